"""Shared fixtures: the small world of `fixtures.py` written once, with its measures computed."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from ac_export.profiles.sources_config import load_sources_config
from ac_export.segments.config import SegmentsConfig, load_segments_config
from ac_export.segments.measures import compile_measures
from ac_export.segments.rules import compile_segment
from ac_export.warehouse import Warehouse
from ac_export_tests.segments.fixtures import write_config, write_world

MEASURES = "segments/customer_measures"


def load(config_dir: Path) -> SegmentsConfig:
    """The segment configuration of a folder, validated."""
    return load_segments_config(config_dir, load_sources_config(config_dir))


def write_measures(warehouse: Warehouse, config: SegmentsConfig) -> int:
    """Compute customer_measures for the fixture world; returns its row count."""
    query = compile_measures(
        config,
        warehouse.scan("profiles/unified_profiles"),
        warehouse.scan("profiles/profile_sources"),
        {name: warehouse.scan(f"activities/{name}") for name in config.activity_types},
    )
    with closing(warehouse.connect()) as con:
        return warehouse.write_query(MEASURES, con, query.sql, query.params)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The fixture world with customer_measures computed, shared by a test module."""
    root = tmp_path_factory.mktemp("world")
    warehouse = Warehouse(root / "warehouse")
    write_world(warehouse)
    write_measures(warehouse, load(write_config(root / "config", {})))
    return warehouse


@pytest.fixture
def members_of(world: Warehouse, tmp_path: Path) -> Callable[..., list[str]]:
    """Evaluate one segment of a YAML segments mapping and return its sorted member ids."""

    def evaluate(segments: dict[str, Any], name: str, **options: Any) -> list[str]:
        config = load(write_config(tmp_path / "config", segments, **options))
        query = compile_segment(config, name, world.scan("profiles/unified_profiles"), world.scan(MEASURES))
        with closing(world.connect()) as con:
            return sorted(row[0] for row in con.execute(query.sql, query.params).fetchall())

    return evaluate
