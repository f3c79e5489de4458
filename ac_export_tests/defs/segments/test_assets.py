"""The segment assets through Dagster: metadata, history across runs, and the guard blocking the export."""

# No `from __future__ import annotations`: Dagster inspects the `context` annotation at runtime.

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl
import pytest

from ac_export.contracts import members_table
from ac_export.defs.partitions import segments_partitions
from ac_export.defs.resources import ProjectConfigResource, WarehouseResource
from ac_export.defs.segments.assets import GUARD_CHECK, build_segment_assets
from ac_export.profiles.sources_config import load_sources_config
from ac_export.warehouse import Warehouse
from ac_export_tests.segments.fixtures import rule, segment, write_config, write_world

EXPORT = dg.AssetKey("activecampaign_list")
MEMBERS = dg.AssetKey("segment_members")
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


@dg.asset(
    key=EXPORT,
    partitions_def=segments_partitions,
    deps=["segment_members"],
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
)
def stand_in_export(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Stands in for the real export: records that it ran for a segment."""
    return dg.MaterializeResult(metadata={"segment": context.partition_key})


class Project:
    """A config folder, a warehouse with the fixture world, and a Dagster instance."""

    def __init__(self, root: Path, instance: dg.DagsterInstance) -> None:
        self.config_dir = root / "config"
        self.warehouse = Warehouse(root / "warehouse")
        self.instance = instance
        write_world(self.warehouse)

    def configure(self, segments: dict[str, Any], **options: Any) -> None:
        write_config(self.config_dir, segments, **options)
        existing = set(self.instance.get_dynamic_partitions("segments"))
        self.instance.add_dynamic_partitions("segments", [name for name in segments if name not in existing])

    def assets(self) -> list[dg.AssetsDefinition]:
        return [*build_segment_assets(load_sources_config(self.config_dir)), stand_in_export]

    def resources(self) -> dict[str, dg.ConfigurableResource]:
        return {
            "warehouse": WarehouseResource(root=str(self.warehouse.root)),
            "project_config": ProjectConfigResource(config_dir=str(self.config_dir)),
        }

    def measures(self) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            self.assets(), selection="customer_measures", instance=self.instance, resources=self.resources()
        )

    def segment(self, name: str) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            self.assets(),
            selection=["segment_members", EXPORT.to_user_string()],
            partition_key=name,
            instance=self.instance,
            resources=self.resources(),
            raise_on_error=False,
        )

    def segments(self, first: str, last: str) -> dg.ExecuteInProcessResult:
        """`segment_members` over a range of partitions in one run, as a single-run backfill runs it."""
        return dg.materialize(
            self.assets(),
            selection=["segment_members"],
            tags={RANGE_START: first, RANGE_END: last},
            instance=self.instance,
            resources=self.resources(),
            raise_on_error=False,
        )

    def current_members(self, name: str) -> list[str]:
        frame = self.warehouse.read_frame(members_table(name)).filter(pl.col("left_at").is_null())
        return sorted(frame["customer_id"].to_list())


@pytest.fixture(scope="module")
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as shared:
        yield shared


@pytest.fixture
def project(tmp_path: Path, instance: dg.DagsterInstance) -> Project:
    return Project(tmp_path, instance)


def metadata(result: dg.ExecuteInProcessResult, key: str = "segment_members") -> dict[str, Any]:
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(key)]
    return {name: value.value for name, value in event.materialization.metadata.items()}


def exported(result: dg.ExecuteInProcessResult) -> bool:
    return any(e.asset_key == EXPORT for e in result.get_asset_materialization_events())


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(str(event.event_specific_data) for event in result.get_step_failure_events())


def test_measures_then_segments_with_metadata(project: Project) -> None:
    project.configure(
        {"loyal": segment([rule("sources", "contains", "loyalty")], description="It's 'loyal'; --")}
    )
    measures = project.measures()
    assert measures.success
    assert metadata(measures, "customer_measures")["dagster/row_count"] == 6
    assert metadata(measures, "customer_measures")["measures"] == 14

    result = project.segment("loyal")
    assert result.success
    assert metadata(result) == {
        "dagster/row_count": 3,
        "spells": 3,
        "members": 3,
        "joined": 3,
        "left": 0,
        "description": "It's 'loyal'; --",
        "as_of": "2019-06-30",
    }
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == GUARD_CHECK
    assert evaluation.passed
    assert evaluation.partition == "loyal"
    assert exported(result)
    assert project.current_members("loyal") == ["c1", "c3", "c5"]


def test_second_run_records_who_left(project: Project) -> None:
    project.configure({"west": segment([rule("state", "in", ["California", "Oregon"])])})
    project.measures()
    assert project.segment("west").success
    project.configure({"west": segment([rule("state", "in", ["California"])])})
    result = project.segment("west")
    assert result.success
    assert {k: metadata(result)[k] for k in ("members", "joined", "left", "dagster/row_count")} == {
        "members": 2,
        "joined": 0,
        "left": 1,
        "dagster/row_count": 2,
    }
    assert metadata(result)["spells"] == 3  # the leaver's spell stays, as history
    assert project.current_members("west") == ["c1", "c4"]
    history = project.warehouse.read_frame(members_table("west"))
    (leaver,) = history.filter(pl.col("left_at").is_not_null()).rows(named=True)
    assert leaver["customer_id"] == "c5"
    assert leaver["left_at"] == leaver["evaluated_at"]


def test_guard_holds_a_sudden_swing_and_blocks_the_export(project: Project) -> None:
    project.configure({"loyal": segment([rule("sources", "contains", "loyalty")])})
    project.measures()
    assert project.segment("loyal").success

    broken = project.warehouse.read_frame("profiles/unified_profiles").with_columns(
        pl.lit(["crm"]).alias("sources")
    )
    project.warehouse.write_frame("profiles/unified_profiles", broken)
    held = project.segment("loyal")

    assert not held.success
    (evaluation,) = held.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.partition == "loyal"
    assert evaluation.metadata["left"].value == 3
    assert evaluation.metadata["change_fraction"].value == 1.0
    assert "override_until" in (evaluation.description or "")
    assert not exported(held)
    assert not held.get_asset_materialization_events()
    assert project.current_members("loyal") == ["c1", "c3", "c5"]

    today = datetime.now(UTC).date()
    project.configure(
        {"loyal": segment([rule("sources", "contains", "loyalty")], guard={"override_until": today})}
    )
    released = project.segment("loyal")
    assert released.success
    assert released.get_asset_check_evaluations()[0].metadata["overridden"].value is True
    assert metadata(released)["left"] == 3
    assert exported(released)
    assert project.current_members("loyal") == []


def test_threshold_comes_from_config(project: Project) -> None:
    project.configure(
        {"west": segment([rule("state", "in", ["California", "Oregon"])])}, guard={"max_change_fraction": 0.2}
    )
    project.measures()
    project.segment("west")
    project.configure(
        {"west": segment([rule("state", "in", ["California"])])}, guard={"max_change_fraction": 0.2}
    )
    held = project.segment("west")
    assert not held.success
    assert held.get_asset_check_evaluations()[0].metadata["max_change_fraction"].value == 0.2


def test_partition_of_a_removed_segment_fails_clearly(project: Project) -> None:
    project.configure({"gone": segment([rule("state", "equals", "Texas")])})
    project.measures()
    project.configure({"other": segment([rule("state", "equals", "Texas")])})
    result = project.segment("gone")
    assert not result.success
    assert "'gone' is not a segment in segments.yaml" in failure_message(result)


def test_missing_upstream_tables_fail_clearly(project: Project) -> None:
    project.configure({"tx": segment([rule("state", "equals", "Texas")])})
    result = project.segment("tx")
    assert not result.success
    assert "warehouse tables missing: segments/customer_measures" in failure_message(result)


def test_invalid_config_fails_with_the_config_message(project: Project) -> None:
    project.configure({"tx": segment([rule("state", "equals", "Texas")])})
    project.measures()
    project.configure({"tx": segment([rule("stat", "equals", "Texas")])})
    result = project.segment("tx")
    assert not result.success
    assert "segment 'tx', rule rules.all[0] (stat equals 'Texas'): unknown attribute or measure 'stat'" in (
        failure_message(result)
    )


def test_customer_measures_depends_on_every_activity(project: Project) -> None:
    project.configure({})
    measures, members = build_segment_assets(load_sources_config(project.config_dir))
    assert measures.key == dg.AssetKey("customer_measures")
    assert set(measures.dependency_keys) == {
        dg.AssetKey("unified_profiles"),
        dg.AssetKey(["activities", "orders"]),
        dg.AssetKey(["activities", "store_orders"]),
        dg.AssetKey(["activities", "reviews"]),
    }
    assert members.partitions_def == segments_partitions
    assert set(members.dependency_keys) == {dg.AssetKey("unified_profiles"), dg.AssetKey("customer_measures")}
    assert members.group_names_by_key[dg.AssetKey("segment_members")] == "segments"


@pytest.fixture
def alone(tmp_path: Path) -> Iterator[Project]:
    """A project with an instance of its own: a range covers every partition between its ends."""
    with dg.instance_for_test() as own:
        yield Project(tmp_path / "alone", own)


THREE = {
    "west": segment([rule("state", "in", ["California", "Oregon"])]),
    "loyal": segment([rule("sources", "contains", "loyalty")]),
    "tx": segment([rule("state", "equals", "Texas")]),
}


def by_partition(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    """Each partition's materialization metadata in a run over several partitions."""
    events = [e.materialization for e in result.get_asset_materialization_events() if e.asset_key == MEMBERS]
    assert len({e.partition for e in events}) == len(events), "one materialization per partition"
    return {str(e.partition): {k: v.value for k, v in e.metadata.items()} for e in events}


def test_a_range_of_segments_is_one_run_with_each_partition_its_own_materialization(alone: Project) -> None:
    alone.configure(THREE)
    alone.measures()
    result = alone.segments("west", "tx")
    assert result.success
    metadata = by_partition(result)
    assert sorted(metadata) == ["loyal", "tx", "west"]
    assert {name: (m["members"], m["joined"], m["left"]) for name, m in metadata.items()} == {
        "west": (3, 3, 0),
        "loyal": (3, 3, 0),
        "tx": (len(alone.current_members("tx")), len(alone.current_members("tx")), 0),
    }
    assert metadata["west"]["description"] == THREE["west"]["description"]
    assert {e.partition: e.passed for e in result.get_asset_check_evaluations()} == {
        "west": True,
        "loyal": True,
        "tx": True,
    }
    assert alone.current_members("west") == ["c1", "c4", "c5"]
    assert alone.instance.get_materialized_partitions(MEMBERS) >= {"west", "loyal", "tx"}


def test_the_same_members_from_a_range_as_from_one_partition(project: Project, alone: Project) -> None:
    alone.configure(THREE)
    alone.measures()
    assert alone.segments("west", "tx").success
    ranged = {name: alone.current_members(name) for name in THREE}
    project.configure(THREE)
    project.measures()
    for name in THREE:
        assert project.segment(name).success
    assert {name: project.current_members(name) for name in THREE} == ranged


def test_a_held_segment_in_a_range_fails_alone_and_the_others_are_materialized(alone: Project) -> None:
    alone.configure(THREE)
    alone.measures()
    assert alone.segments("west", "tx").success
    alone.configure({**THREE, "loyal": segment([rule("state", "equals", "Nowhere")])})
    result = alone.segments("west", "tx")

    assert not result.success
    assert sorted(by_partition(result)) == ["tx", "west"]
    checks = {e.partition: e for e in result.get_asset_check_evaluations()}
    assert {name: check.passed for name, check in checks.items()} == {
        "west": True,
        "loyal": False,
        "tx": True,
    }
    assert checks["loyal"].metadata["left"].value == 3
    message = failure_message(result)
    assert "2 of 3 segments materialized" in message
    assert "loyal: held by its membership guard" in message
    assert alone.current_members("loyal") == ["c1", "c3", "c5"]


def test_a_partition_that_is_not_a_segment_fails_alone_in_a_range(alone: Project) -> None:
    alone.configure(THREE)
    alone.measures()
    alone.configure({name: THREE[name] for name in ("west", "tx")})
    result = alone.segments("west", "tx")
    assert not result.success
    assert sorted(by_partition(result)) == ["tx", "west"]
    message = failure_message(result)
    assert "2 of 3 segments materialized" in message
    assert "'loyal' is not a segment in segments.yaml" in message


def test_segment_members_backfills_in_one_run_and_the_export_one_run_per_segment(project: Project) -> None:
    project.configure({})
    _, members = build_segment_assets(load_sources_config(project.config_dir))
    assert members.backfill_policy == dg.BackfillPolicy.single_run()
    assert stand_in_export.backfill_policy == dg.BackfillPolicy.multi_run(max_partitions_per_run=1)
