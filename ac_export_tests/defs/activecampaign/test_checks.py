"""The `list_in_sync` asset check, through Dagster: passes after a run, fails when members are missing."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ac_export_tests.defs.activecampaign.test_assets import loyal_world, materialize_export, project_config
from ac_export_tests.support.export_world import ExportWorld

__all__ = ["loyal_world"]  # the fixture, shared with the asset tests


def check_result(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "list_in_sync"
    return evaluation


def test_list_in_sync_passes_after_an_export(loyal_world: ExportWorld, tmp_path: Path) -> None:
    result = materialize_export(loyal_world, project_config(tmp_path, loyal_world))

    evaluation = check_result(result)
    assert evaluation.passed
    assert evaluation.metadata["activecampaign_subscribed"].value == 30
    assert evaluation.metadata["ours"].value == 30
    assert evaluation.metadata["missing"].value == 0


def test_list_in_sync_fails_as_an_error_when_members_are_missing(
    loyal_world: ExportWorld, tmp_path: Path
) -> None:
    config_dir = project_config(tmp_path, loyal_world)
    assert materialize_export(loyal_world, config_dir).success
    loyal_world.emulator.empty_list(loyal_world.list_id)

    looked = check_result(materialize_export(loyal_world, config_dir, {"dry_run": True}))
    repaired = materialize_export(loyal_world, config_dir)

    assert not looked.passed and looked.severity == dg.AssetCheckSeverity.ERROR
    assert looked.metadata["missing"].value == 30
    assert "missing" in (looked.description or "")
    assert check_result(repaired).passed
    (materialization,) = repaired.asset_materializations_for_node("activecampaign_list")
    assert materialization.metadata["repaired"].value == 30
    assert loyal_world.subscribed() == loyal_world.expected()


def test_a_subscriber_added_by_hand_is_known_as_pre_existing_not_a_difference(
    loyal_world: ExportWorld, tmp_path: Path
) -> None:
    config_dir = project_config(tmp_path, loyal_world)
    assert materialize_export(loyal_world, config_dir).success
    loyal_world.emulator.subscribe_by_account("walk-in@example.com", loyal_world.list_id)

    looked = check_result(materialize_export(loyal_world, config_dir, {"dry_run": True}))

    # A dry run reconciles in memory: the newcomer is known as pre-existing there, so nothing differs.
    assert looked.passed
    assert looked.metadata["pre_existing"].value == 1
