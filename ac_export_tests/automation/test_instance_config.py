"""The committed .dagster_home/dagster.yaml loads with its run queue, limits and monitoring."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import dagster as dg
import pytest

from ac_export.settings import PROJECT_ROOT

COMMITTED = PROJECT_ROOT / ".dagster_home" / "dagster.yaml"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dg.DagsterInstance]:
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(COMMITTED, home / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as loaded:
        yield loaded


def test_runs_are_queued_with_one_refresh_and_one_run_per_segment_at_a_time(
    instance: dg.DagsterInstance,
) -> None:
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    queue = instance.get_concurrency_config().run_queue_config
    assert queue is not None
    assert queue.max_concurrent_runs == 4
    assert queue.tag_concurrency_limits == [
        {"key": "ac_export/refresh", "limit": 1},
        {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1},
        {
            "key": "dagster/asset_partition_range_start",
            "value": {"applyLimitPerUniqueValue": True},
            "limit": 1,
        },
    ]


def test_pools_limit_exports_per_step(instance: dg.DagsterInstance) -> None:
    pools = instance.get_concurrency_config().pool_config
    assert pools.default_pool_limit == 2
    assert pools.pool_granularity is not None and pools.pool_granularity.value == "op"


def test_run_monitoring_frees_slots_of_dead_runs(instance: dg.DagsterInstance) -> None:
    settings = instance.run_monitoring_settings
    assert settings["enabled"] is True
    assert settings["free_slots_after_run_end_seconds"] == 60
    assert settings["max_runtime_seconds"] >= 7 * 3600


def test_the_activecampaign_pool_gets_two_slots_and_a_step_gives_its_slot_back(
    instance: dg.DagsterInstance,
) -> None:
    @dg.asset(pool="activecampaign")
    def probe() -> None:
        """Claims a slot of the pool the export asset uses."""

    assert dg.materialize([probe], instance=instance).success
    info = instance.event_log_storage.get_concurrency_info("activecampaign")
    assert info.slot_count == 2
    assert info.claimed_slots == []
