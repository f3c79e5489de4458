"""Pydantic models of every YAML file under `data/config/`, and loading with clear errors."""

from ac_export.config.loading import ConfigError, StrictModel, load_model, read_yaml

__all__ = ["ConfigError", "StrictModel", "load_model", "read_yaml"]
