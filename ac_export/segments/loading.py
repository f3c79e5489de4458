"""Reading the segment configuration at run time, so edits apply to the next run without a reload."""

from __future__ import annotations

from pathlib import Path

from ac_export.profiles.sources_config import load_sources_config
from ac_export.segments.config import SegmentsConfig, load_segments_config


def load_project_segments(config_dir: Path) -> SegmentsConfig:
    """Load `sources.yaml`, `measures.yaml` and `segments.yaml` from a config folder, validated together."""
    return load_segments_config(config_dir, load_sources_config(config_dir))
