"""Faults: with 10% of requests failing (500, 503, 429, dropped connections, slow answers) nothing is lost.

The emulator draws faults per request from a seeded sequence: seed 35 puts every kind of fault
within its first 43 requests, seed 69 a 503 and a 429 at the second and third.
"""

# No `from __future__ import annotations`: Dagster reads annotations of the asset test at runtime.

import logging
from pathlib import Path

import dagster as dg

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.config import load_connections_config
from ac_export.activecampaign.list_export import ExportRequest, ExportResult, run_export
from ac_export.activecampaign.upload import UploadSettings
from ac_export.defs.activecampaign.assets import build_export_asset
from ac_export.defs.activecampaign.resources import ActiveCampaignResource
from ac_export.defs.keys import EXPORT_ASSET_KEY
from ac_export.defs.resources import ProjectConfigResource, StateResource, WarehouseResource
from ac_export_tests.support.export_world import ATTRIBUTE_TYPES, SEGMENT, ExportWorld
from ac_export_tests.support.project import write_project

FAULT_KINDS = ["500", "503", "429", "drop", "drop_after", "slow"]
SEED = 35
SEED_EARLY_429 = 69
COUNTED = ("added", "updated", "removed", "retries", "throttled", "requests")


def inject_faults(world: ExportWorld, seed: int | None = SEED) -> None:
    """10% of API requests fail, a mix of every fault kind; batches take a while, so polls fail too."""
    knobs: dict[str, object] = {
        "fault_rate": 0.1,
        "fault_kinds": FAULT_KINDS,
        "time_scale": 10.0,  # a 429's Retry-After of 1 s becomes 0.1 s
        "slow_delay": 1.0,
        "processing_delay": 6.0,
    }
    if seed is not None:
        knobs["seed"] = seed
    world.emulator.configure(**knobs)


def export_with_faults(world: ExportWorld) -> ExportResult:
    """One export over a client with short backoffs (the faults are the emulator's, not the network's)."""
    world.write()
    export = world.export()
    with ActiveCampaignClient(
        world.emulator.base_url, world.emulator.api_key, timeout_s=5.0, backoff_base_s=0.02, backoff_max_s=0.2
    ) as client:
        return run_export(
            ExportRequest("test_export", export, world.emulator.host, ATTRIBUTE_TYPES),
            client,
            world.warehouse,
            UploadSettings(poll_interval_s=0.02),
            logging.getLogger("test-faults"),
        )


def checked(world: ExportWorld) -> tuple[set[str], set[str], int]:
    """Subscribed and unsubscribed emails of the list, read with faults paused, and the requests that took."""
    world.emulator.configure(fault_rate=0.0)
    before = world.emulator.stats()["requests"]
    subscribed, unsubscribed = world.subscribed(), world.emulator.list_members(world.list_id, status=2)
    return subscribed, unsubscribed, world.emulator.stats()["requests"] - before


def test_exports_under_ten_percent_faults_equal_the_segment_and_count_every_retry(world: ExportWorld) -> None:
    reads = world.emulator.stats()["requests"]  # the fixture created the list
    world.people(1500)
    inject_faults(world)
    first = export_with_faults(world)
    subscribed, _, checking = checked(world)
    reads += checking
    assert subscribed == world.expected()

    for customer in sorted(world.members)[:200]:
        world.profiles[customer]["first_name"] = "Renamed"
    left = set(sorted(world.members)[-150:])
    world.members -= left
    world.people(250, start=5000)
    inject_faults(world, seed=None)  # the fault sequence goes on where the first run left it
    second = export_with_faults(world)
    subscribed, unsubscribed, checking = checked(world)
    reads += checking

    stats = world.emulator.stats()
    totals = {key: int(first.counts.as_dict()[key]) + int(second.counts.as_dict()[key]) for key in COUNTED}
    assert subscribed == world.expected()
    assert unsubscribed == {f"person{int(c[1:])}@example.com" for c in left}
    assert (first.counts.added, second.counts.added) == (1500, 250)
    assert (second.counts.updated, second.counts.removed) == (200, 150)
    # No contact duplicated: the account holds exactly the people ever exported, although retried
    # imports (after a connection dropped once ActiveCampaign had queued one) were queued twice.
    assert stats["contacts"] == 1750
    assert stats["faults"] >= 8 and set(stats["faults_by_kind"]) == set(FAULT_KINDS)
    # Every failed request was retried and counted; slow answers were waited for, not retried.
    assert totals["retries"] == stats["faults"] - stats["faults_by_kind"]["slow"]
    assert totals["throttled"] == stats["faults_by_kind"]["429"]  # the emulator's own limits are off
    assert totals["requests"] == stats["requests"] - reads


def test_a_field_created_before_its_answer_was_lost_is_found_not_duplicated(world: ExportWorld) -> None:
    with ActiveCampaignClient(world.emulator.base_url, world.emulator.api_key) as client:
        first = client.create_field("Tier", "TIER")
        again = client.create_field("Tier", "TIER")  # what a retry after a dropped answer sends

    assert again == first


def test_materialization_metadata_counts_retries_and_throttling(world: ExportWorld, tmp_path: Path) -> None:
    world.people(600)
    world.write()
    project = write_project(tmp_path / "project", 0, world.list_id)
    asset = build_export_asset(load_connections_config(project.config_dir))
    resources = {
        "warehouse": WarehouseResource(root=str(world.warehouse.root)),
        "state": StateResource(),
        "project_config": ProjectConfigResource(config_dir=str(project.config_dir)),
        "activecampaign_test": ActiveCampaignResource(
            api_host=world.emulator.base_url, api_key=world.emulator.api_key, pace=False, poll_interval_s=0.03
        ),
    }
    inject_faults(world, seed=SEED_EARLY_429)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("segments", [SEGMENT])
        result = dg.materialize([asset], partition_key=SEGMENT, instance=instance, resources=resources)
        metadata = result.asset_materializations_for_node("activecampaign_list")[0].metadata
    stats = world.emulator.stats()

    assert result.success
    assert checked(world)[0] == world.expected()
    assert metadata["added"].value == 600
    assert metadata["retries"].value == stats["faults"] - stats["faults_by_kind"].get("slow", 0) > 0
    assert metadata["throttled"].value == stats["faults_by_kind"].get("429", 0) > 0
    assert EXPORT_ASSET_KEY.to_user_string() == "activecampaign_list"
