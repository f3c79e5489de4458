"""A project folder for the tests (a pytest plugin): the demo configuration over small stand-in sources."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ac_export.settings import PROJECT_ROOT

DEMO_CONFIG = PROJECT_ROOT / "data" / "config"


def copy_demo_config(target: Path) -> Path:
    """Copy data/config to `target/config` and write a small file at every source path it names."""
    # Imported here: the root conftest loads this plugin for every test run, most never need it.
    from ac_export.profiles.sources_config import load_sources_config

    config_dir = target / "config"
    shutil.copytree(DEMO_CONFIG, config_dir)
    sources = load_sources_config(config_dir)
    for source in [*sources.profile_sources.values(), *sources.activity_sources.values()]:
        path = source.resolve_path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"header of {path.name}\n", encoding="utf-8")
    return config_dir


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of the demo configuration in tmp_path/config, its sources in tmp_path/sources."""
    return copy_demo_config(tmp_path)
