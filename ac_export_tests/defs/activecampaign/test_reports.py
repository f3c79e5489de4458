"""What the UI shows of an export run: a dry run's plan, the rejections table, the list's history chart."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from ac_export.activecampaign.config import load_connections_config
from ac_export.automation.tags import DRY_RUN_TAG, SEGMENT_TAG
from ac_export.defs.activecampaign.assets import build_export_asset
from ac_export.defs.activecampaign.resources import resource_key
from ac_export.defs.resources import ProjectConfigResource, StateResource, WarehouseResource
from ac_export_tests.defs.activecampaign.test_assets import materialize_export, project_config
from ac_export_tests.support.export_world import SEGMENT, ExportWorld


@pytest.fixture
def reading() -> str:
    """One reading: these tests are about what is shown, not about ActiveCampaign's ambiguities."""
    return "documented"


def _people(world: ExportWorld, count: int, start: int = 0) -> None:
    for customer in world.people(count, start=start):
        world.profiles[customer]["loyalty_tier"] = "gold"


def _event_metadata(result: dg.ExecuteInProcessResult, kind: str) -> dict[str, object]:
    [event] = [e for e in result.all_events if e.event_type_value == kind]
    data = event.event_specific_data
    record = data.asset_observation if kind == "ASSET_OBSERVATION" else data.materialization
    return dict(record.metadata)


def test_a_dry_run_shows_its_plan_and_is_tagged_as_one(world: ExportWorld, tmp_path: Path) -> None:
    _people(world, 4)
    world.profiles["c00002"]["email"] = "not an email"
    instance = dg.DagsterInstance.ephemeral()

    result = materialize_export(world, project_config(tmp_path, world), {"dry_run": True}, instance)

    metadata = _event_metadata(result, "ASSET_OBSERVATION")
    assert "added" not in metadata  # a preview's counts must not pass for a real run's in the UI
    plan = metadata["preview/plan"]
    assert isinstance(plan, dg.TableMetadataValue)
    actions = sorted(record.data["action"] for record in plan.records)
    assert actions == ["add", "add", "add", "reject"]
    # The run's plan is the operator's: who would change, in full.
    emails = {r.data["customer"]: r.data["email"] for r in plan.records if r.data["action"] == "add"}
    assert emails == {
        "c00000": "person0@example.com",
        "c00001": "person1@example.com",
        "c00003": "person3@example.com",
    }
    path = metadata["preview/plan_path/test_export"]
    assert isinstance(path, dg.PathMetadataValue) and Path(path.path).exists()
    assert metadata["preview/plan_rows/test_export"].value == 4  # type: ignore[attr-defined]
    tags = instance.get_run_by_id(result.run_id).tags  # type: ignore[union-attr]
    assert (tags[SEGMENT_TAG], tags[DRY_RUN_TAG]) == (SEGMENT, "true")


def test_masking_everywhere_masks_the_plan_in_the_ui(world: ExportWorld, tmp_path: Path) -> None:
    _people(world, 2)
    config_dir = project_config(tmp_path, world)
    automation = yaml.safe_load((config_dir / "automation.yaml").read_text())
    automation["privacy"] = {"mask_emails": "everywhere"}
    (config_dir / "automation.yaml").write_text(yaml.safe_dump(automation))

    result = materialize_export(world, config_dir, {"dry_run": True}, dg.DagsterInstance.ephemeral())

    plan = _event_metadata(result, "ASSET_OBSERVATION")["preview/plan"]
    assert isinstance(plan, dg.TableMetadataValue)
    assert [str(r.data["email (masked)"]) for r in plan.records] == ["pe***@example.com"] * 2


def test_a_run_shows_its_rejections_and_the_list_history(world: ExportWorld, tmp_path: Path) -> None:
    _people(world, 3)
    world.profiles["c00001"]["email"] = None
    config_dir = project_config(tmp_path, world)
    materialize_export(world, config_dir)

    _people(world, 2, start=10)
    result = materialize_export(world, config_dir)

    metadata = _event_metadata(result, "ASSET_MATERIALIZATION")
    rejections = metadata["rejections"]
    assert isinstance(rejections, dg.TableMetadataValue)
    assert [(r.data["customer"], r.data["kind"]) for r in rejections.records] == [
        ("c00001", "rejected_missing_email")
    ]
    assert Path(metadata["rejections_path/test_export"].path).exists()  # type: ignore[attr-defined]
    history = metadata["history"]
    assert isinstance(history, dg.MarkdownMetadataValue)
    assert "data:image/png;base64," in (history.md_str or "")
    chart = Path(metadata["history_chart/test_export"].path)  # type: ignore[attr-defined]
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_large_removals_wait_for_approval_when_automation_asks(world: ExportWorld, tmp_path: Path) -> None:
    _people(world, 6)
    config_dir = project_config(tmp_path, world)
    automation = yaml.safe_load((config_dir / "automation.yaml").read_text())
    automation["approval"] = {"removals_above": 2}
    (config_dir / "automation.yaml").write_text(yaml.safe_dump(automation))
    assert materialize_export(world, config_dir).success
    for customer in ("c00000", "c00001", "c00002"):
        world.members.discard(customer)

    waiting = materialize_export(world, config_dir, {"allow_large_removal": True})

    failure = next(e for e in waiting.all_events if e.is_step_failure)
    assert "`approve_removals: 3`" in failure.step_failure_data.user_failure_data.description
    assert len(world.subscribed()) == 6
    stale = materialize_export(world, config_dir, {"allow_large_removal": True, "approve_removals": 2})
    assert not stale.success and len(world.subscribed()) == 6  # an approval of another plan does not pass
    approved = materialize_export(world, config_dir, {"allow_large_removal": True, "approve_removals": 3})
    assert approved.success and len(world.subscribed()) == 3


def test_a_partition_that_is_not_a_segment_fails_with_the_fix(world: ExportWorld, tmp_path: Path) -> None:
    _people(world, 1)

    result = materialize_export(world, project_config(tmp_path, world), partition="typo_segment")

    failure = next(e for e in result.all_events if e.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert "'typo_segment' is not a segment in segments.yaml" in description


def test_a_run_tagged_as_a_dry_run_sends_nothing_whatever_its_config(
    world: ExportWorld, tmp_path: Path
) -> None:
    _people(world, 2)
    config_dir = project_config(tmp_path, world)
    world.write()
    asset = build_export_asset(load_connections_config(config_dir))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("segments", [SEGMENT])
    resources = {
        "warehouse": WarehouseResource(root=str(world.warehouse.root)),
        "project_config": ProjectConfigResource(config_dir=str(config_dir)),
        "state": StateResource(),
        resource_key("test"): world.resource(),
    }

    result = dg.materialize(
        [asset], partition_key=SEGMENT, instance=instance, resources=resources, tags={DRY_RUN_TAG: "true"}
    )

    assert result.success and result.asset_materializations_for_node("activecampaign_list") == []
    assert world.emulator.stats()["bulk_import_requests"] == 0
