"""The export asset through Dagster: partitions, metadata, consent, dry runs as observations."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from ac_export.activecampaign.config import load_connections_config
from ac_export.contracts import ExportCounts
from ac_export.defs.activecampaign.assets import build_export_asset
from ac_export.defs.activecampaign.resources import resource_key
from ac_export.defs.keys import EXPORT_ASSET_KEY
from ac_export.defs.resources import ProjectConfigResource, StateResource, WarehouseResource
from ac_export.settings import PROJECT_ROOT
from ac_export_tests.support.export_world import SEGMENT, ExportWorld

DATA_CONFIG = PROJECT_ROOT / "data" / "config"


def project_config(tmp_path: Path, world: ExportWorld, consent: bool = True) -> Path:
    """The demo's configuration with one extra segment and export aimed at the test's list."""
    config_dir = tmp_path / "config"
    shutil.copytree(DATA_CONFIG, config_dir)
    segments = yaml.safe_load((config_dir / "segments.yaml").read_text())
    segments["segments"][SEGMENT] = {
        "description": "test",
        "rules": [{"attribute": "email", "operator": "is_not_empty"}],
    }
    (config_dir / "segments.yaml").write_text(yaml.safe_dump(segments))
    connections = {
        "connections": {"test": {"display_name": "t", "api_host": "127.0.0.1", "api_key_env": "K"}}
    }
    connections["connections"]["test"]["data_privacy_consent"] = consent
    connections["connections"]["test"]["usable_by"] = "contributors"
    (config_dir / "connections.yaml").write_text(yaml.safe_dump(connections))
    export = {
        "segment": SEGMENT,
        "connection": "test",
        "list_id": world.list_id,
        "create_missing_fields": True,
    }
    export["fields"] = {"first_name": "first_name", "custom": {"LOYALTY_TIER": "loyalty_tier"}}
    (config_dir / "exports.yaml").write_text(yaml.safe_dump({"exports": {"test_export": export}}))
    return config_dir


def materialize_export(
    world: ExportWorld,
    config_dir: Path,
    run_config: dict | None = None,
    instance: dg.DagsterInstance | None = None,
    partition: str = SEGMENT,
) -> dg.ExecuteInProcessResult:
    world.write()
    asset = build_export_asset(load_connections_config(config_dir))
    instance = instance or dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("segments", [partition])
    resources = {
        "warehouse": WarehouseResource(root=str(world.warehouse.root)),
        "state": StateResource(),
        "project_config": ProjectConfigResource(config_dir=str(config_dir)),
        resource_key("test"): world.resource(),
    }
    config = {"ops": {"activecampaign_list": {"config": run_config}}} if run_config else None
    return dg.materialize(
        [asset],
        partition_key=partition,
        instance=instance,
        resources=resources,
        run_config=config,
        raise_on_error=False,
    )


@pytest.fixture
def loyal_world(world: ExportWorld) -> ExportWorld:
    world.people(30)
    for values in world.profiles.values():
        values["loyalty_tier"] = "gold"
    return world


def test_materialization_reports_exactly_the_promised_counts(
    loyal_world: ExportWorld, tmp_path: Path
) -> None:
    result = materialize_export(loyal_world, project_config(tmp_path, loyal_world))

    assert result.success
    [materialization] = result.asset_materializations_for_node("activecampaign_list")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert set(ExportCounts.names()) <= set(metadata)
    assert set(metadata) - set(ExportCounts.names()) == {
        "dagster/row_count",
        "exports",
        "rejections",
        "reconciled",
        "rejections_path/test_export",
        "history",
        "history_chart/test_export",
    }
    assert metadata["members"] == metadata["added"] == metadata["dagster/row_count"] == 30
    assert materialization.partition == SEGMENT
    assert loyal_world.subscribed() == loyal_world.expected()


def test_no_consent_no_export(loyal_world: ExportWorld, tmp_path: Path) -> None:
    result = materialize_export(loyal_world, project_config(tmp_path, loyal_world, consent=False))

    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "no data-privacy consent" in str(failure.step_failure_data.error.message)
    assert loyal_world.emulator.stats()["bulk_import_requests"] == 0


def test_dry_run_is_an_observation_not_a_materialization(loyal_world: ExportWorld, tmp_path: Path) -> None:
    result = materialize_export(loyal_world, project_config(tmp_path, loyal_world), {"dry_run": True})

    assert result.success
    assert result.asset_materializations_for_node("activecampaign_list") == []
    observations = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    assert observations[0].event_specific_data.asset_observation.asset_key == EXPORT_ASSET_KEY
    assert observations[0].event_specific_data.asset_observation.metadata["preview/added"].value == 30
    assert loyal_world.emulator.stats()["bulk_import_requests"] == 0


def test_guard_failure_is_a_dagster_failure_with_the_fix(loyal_world: ExportWorld, tmp_path: Path) -> None:
    config_dir = project_config(tmp_path, loyal_world)
    assert materialize_export(loyal_world, config_dir).success
    loyal_world.members.clear()
    loyal_world.people(1, start=500)
    loyal_world.profiles["c00500"]["loyalty_tier"] = "gold"

    result = materialize_export(loyal_world, config_dir)

    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "removal_guard" in failure.step_failure_data.error.message
    assert len(loyal_world.subscribed()) == 30
