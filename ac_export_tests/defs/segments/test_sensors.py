"""The segment partition sensor: reconciliation alone, and ticks through Dagster against an instance."""

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from ac_export.automation.tags import SEGMENT_TAG
from ac_export.contracts import members_table
from ac_export.defs.keys import EXPORT_ASSET_KEY as EXPORT
from ac_export.defs.keys import SEGMENT_MEMBERS_KEY as SEGMENT_MEMBERS
from ac_export.defs.partitions import segments_partitions
from ac_export.defs.resources import ProjectConfigResource, WarehouseResource
from ac_export.defs.segments.assets import build_segment_assets
from ac_export.defs.segments.sensors import (
    PartitionChanges,
    reconcile_partitions,
    segment_partitions_sensor,
)
from ac_export.profiles.sources_config import load_sources_config
from ac_export.warehouse import Warehouse
from ac_export_tests.segments.fixtures import CUSTOMERS, rule, segment, write_config, write_world

SEGMENT = segment([rule("state", "equals", "Texas")])


@pytest.mark.parametrize(
    ("configured", "existing", "expected"),
    [
        (["a", "b"], [], PartitionChanges(add=["a", "b"], retire=[])),
        (["a", "b"], ["a", "b"], PartitionChanges(add=[], retire=[])),
        (["b", "c"], ["a", "b"], PartitionChanges(add=["c"], retire=["a"])),
        ([], ["z", "a"], PartitionChanges(add=[], retire=["a", "z"])),
        (["c", "a", "c"], ["b"], PartitionChanges(add=["c", "a"], retire=["b"])),
    ],
)
def test_reconcile_partitions(configured: list[str], existing: list[str], expected: PartitionChanges) -> None:
    assert reconcile_partitions(configured, existing) == expected


class Tick:
    """Runs sensor ticks against an instance and applies their partition requests as the daemon would."""

    def __init__(self, root: Path, instance: dg.DagsterInstance) -> None:
        self.config_dir = root / "config"
        self.warehouse = Warehouse(root / "warehouse")
        self.instance = instance

    def __call__(self) -> dg.SensorResult | dg.SkipReason:
        context = dg.build_sensor_context(
            instance=self.instance,
            resources={
                "project_config": ProjectConfigResource(config_dir=str(self.config_dir)),
                "warehouse": WarehouseResource(root=str(self.warehouse.root)),
            },
        )
        result = segment_partitions_sensor(context)
        if isinstance(result, dg.SensorResult):
            for request in result.dynamic_partitions_requests or []:
                if isinstance(request, dg.AddDynamicPartitionsRequest):
                    self.instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
                else:
                    for key in request.partition_keys:
                        self.instance.delete_dynamic_partition(request.partitions_def_name, key)
        return result

    def partitions(self) -> list[str]:
        return sorted(self.instance.get_dynamic_partitions("segments"))


@pytest.fixture
def tick(tmp_path: Path) -> Iterator[Tick]:
    with dg.instance_for_test() as instance:
        yield Tick(tmp_path, instance)


def test_new_segments_get_partitions_and_a_first_run(tick: Tick) -> None:
    write_world(tick.warehouse)
    tick.warehouse.write_frame("segments/customer_measures", pl.DataFrame({"customer_id": CUSTOMERS}))
    write_config(tick.config_dir, {"texans": SEGMENT, "loyal": SEGMENT})
    result = tick()
    assert isinstance(result, dg.SensorResult)
    assert tick.partitions() == ["loyal", "texans"]
    assert [(run.partition_key, run.tags[SEGMENT_TAG]) for run in result.run_requests or []] == [
        ("texans", "texans"),
        ("loyal", "loyal"),
    ]
    assert isinstance(tick(), dg.SkipReason)


def test_removed_segment_is_retired_and_its_history_kept(tick: Tick) -> None:
    write_config(tick.config_dir, {"texans": SEGMENT, "loyal": SEGMENT})
    tick()
    history = members_table("loyal")
    tick.warehouse.write_frame(
        history, pl.DataFrame({"customer_id": ["c1"], "joined_at": [datetime(2024, 1, 1)]})
    )
    write_config(tick.config_dir, {"texans": SEGMENT, "rich": SEGMENT})
    result = tick()
    assert isinstance(result, dg.SensorResult)
    assert tick.partitions() == ["rich", "texans"]
    assert tick.warehouse.exists(history)


def test_no_first_run_before_the_pipeline_has_data(tick: Tick) -> None:
    write_config(tick.config_dir, {"texans": SEGMENT})
    result = tick()
    assert isinstance(result, dg.SensorResult)
    assert tick.partitions() == ["texans"]
    assert not result.run_requests


def test_invalid_config_changes_nothing(tick: Tick) -> None:
    write_config(tick.config_dir, {"texans": SEGMENT})
    tick()
    write_config(tick.config_dir, {"texans": segment([rule("stat", "equals", "Texas")])})
    result = tick()
    assert isinstance(result, dg.SkipReason)
    assert "unknown attribute or measure 'stat'" in (result.skip_message or "")
    assert tick.partitions() == ["texans"]


@dg.asset(
    key=EXPORT,
    partitions_def=segments_partitions,
    deps=[SEGMENT_MEMBERS],
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
)
def stand_in_export() -> None:
    """Stands in for the real export asset."""


def test_sensor_definition_runs_by_default_and_targets_both_assets(tmp_path: Path) -> None:
    write_config(tmp_path, {})
    defs = dg.Definitions(
        assets=[*build_segment_assets(load_sources_config(tmp_path)), stand_in_export],
        sensors=[segment_partitions_sensor],
        resources={
            "project_config": ProjectConfigResource(config_dir=str(tmp_path)),
            "warehouse": WarehouseResource(root=str(tmp_path / "warehouse")),
        },
    )
    dg.Definitions.validate_loadable(defs)
    sensor = defs.resolve_sensor_def("segment_partitions_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    job = defs.resolve_job_def(sensor.job_name)
    assert job.asset_layer.selected_asset_keys == {SEGMENT_MEMBERS, EXPORT}


def test_a_partition_that_is_not_a_segment_waits_for_its_run_before_it_is_retired(tick: Tick) -> None:
    write_config(tick.config_dir, {"texans": SEGMENT})
    tick()
    tick.instance.add_dynamic_partitions("segments", ["typo"])  # as "Add partition" in the UI does
    job = dg.GraphDefinition("export_segment").to_job()
    run = tick.instance.create_run_for_job(
        job, tags={"dagster/partition": "typo"}, status=dg.DagsterRunStatus.STARTED
    )

    tick()
    assert tick.partitions() == ["texans", "typo"]
    tick.instance.report_run_failed(run)
    tick()
    assert tick.partitions() == ["texans"]
