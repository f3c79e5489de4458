"""Where the project finds its configuration, its source data and its warehouse."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """The folder of YAML configuration files (`AC_EXPORT_CONFIG_DIR`, default `data/config`)."""
    configured = os.environ.get("AC_EXPORT_CONFIG_DIR")
    return Path(configured).resolve() if configured else PROJECT_ROOT / "data" / "config"


def data_dir() -> Path:
    """The folder that relative source paths resolve against: the parent of the config folder."""
    return config_dir().parent


def warehouse_dir() -> Path:
    """The folder of Parquet tables and ledgers (`AC_EXPORT_WAREHOUSE`, default `data/warehouse`)."""
    configured = os.environ.get("AC_EXPORT_WAREHOUSE")
    return Path(configured).resolve() if configured else data_dir() / "warehouse"


def warehouse_location() -> str:
    """The warehouse as configured: a folder (resolved) or an object-storage URL such as s3://bucket/prefix."""
    configured = os.environ.get("AC_EXPORT_WAREHOUSE")
    if configured and "://" in configured:
        return configured
    return str(warehouse_dir())
