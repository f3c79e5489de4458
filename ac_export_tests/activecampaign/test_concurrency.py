"""Concurrency: exports running at once in separate processes share the account's pace and its ledgers.

The emulator enforces ActiveCampaign's real limits at a time scale of 10 (50 requests a second),
and batches take two seconds to process, so each export polls as fast as its pacer lets it: alone,
each would use the whole budget. Through the shared pacing state they split it; with separate
state (the control) they overrun it together.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ac_export_tests.support import export_driver
from ac_export_tests.support.export_world import ATTRIBUTE_TYPES, ExportWorld

TIME_SCALE = 10.0
RUN_TIMEOUT_S = 120.0


@pytest.fixture
def reading() -> str:
    """These runs are long: the documented reading only (the semantics tests cover every reading)."""
    return "documented"


def run_together(
    world: ExportWorld, folder: Path, targets: list[tuple[str, int, Path]], api_hosts: list[str] | None = None
) -> list[dict]:
    """Run one export per (name, list id, pacing folder) at the same time; returns their counts.

    Each reaches the account through the emulator's URL, or through its entry in `api_hosts`.
    """
    world.write()
    processes = []
    hosts = api_hosts or [world.emulator.base_url] * len(targets)
    for (name, list_id, pacing_dir), api_host in zip(targets, hosts, strict=True):
        spec = export_driver.ExportSpec(
            name=name,
            export=world.export(list_id=list_id).model_dump(),
            api_host=api_host,
            warehouse=str(world.warehouse.root),
            attribute_types=ATTRIBUTE_TYPES,
            pace=True,
            time_scale=TIME_SCALE,
            pacing_dir=str(pacing_dir),
            poll_interval_s=0.01,
        )
        spec_path = spec.write(folder / f"{name}.json")
        log = folder / f"{name}.log"
        processes.append((spec_path, log, export_driver.start(spec_path, world.emulator.api_key, log)))
    results = []
    for spec_path, log, process in processes:
        assert export_driver.finish(process, RUN_TIMEOUT_S) == 0, log.read_text()
        results.append(json.loads(export_driver.result_path(spec_path).read_text()))
    return results


def account_with_real_limits(world: ExportWorld) -> int:
    """The account enforces its limits (time-scaled); returns the id of a second list."""
    second = world.emulator.create_list("testers too")
    world.emulator.configure(rate_limit=True, time_scale=TIME_SCALE, processing_delay=20.0)
    return second


def test_two_exports_to_one_account_share_its_pace(world: ExportWorld, tmp_path: Path) -> None:
    world.people(1000)
    second = account_with_real_limits(world)
    shared = tmp_path / "pacing"

    targets = [("export_a", world.list_id, shared), ("export_b", second, shared)]
    results = run_together(world, tmp_path, targets)

    stats = world.emulator.stats()
    assert world.subscribed() == world.expected()
    assert world.emulator.list_members(second) == world.expected()
    assert [r["added"] for r in results] == [1000, 1000]
    assert stats["throttled"] <= 2  # a window edge at most, never a storm
    assert sum(int(r["throttled"]) for r in results) == stats["throttled"]
    # Both polled while their batches were processed: together they wanted more than the budget.
    assert _endpoint_total(stats, "GET /api/3/import/info") >= 40


def test_two_exports_through_two_spellings_of_one_account_share_one_pace(
    world: ExportWorld, tmp_path: Path
) -> None:
    world.people(1000)
    second = account_with_real_limits(world)
    shared = tmp_path / "pacing"
    port = world.emulator.base_url.rsplit(":", 1)[1]

    targets = [("export_a", world.list_id, shared), ("export_b", second, shared)]
    results = run_together(
        world, tmp_path, targets, [f"http://localhost:{port}", f"http://127.0.0.1:{port}/"]
    )

    stats = world.emulator.stats()
    assert world.subscribed() == world.expected()
    assert world.emulator.list_members(second) == world.expected()
    assert [r["added"] for r in results] == [1000, 1000]
    assert stats["throttled"] <= 2  # as one spelling: a window edge at most (two pacers storm, below)
    assert _endpoint_total(stats, "GET /api/3/import/info") >= 40
    assert len(list(shared.glob("*.json"))) == 1  # one pacing file for the account


def test_without_the_shared_pace_the_same_exports_storm_into_429s(world: ExportWorld, tmp_path: Path) -> None:
    world.people(1000)
    second = account_with_real_limits(world)

    run_together(
        world,
        tmp_path,
        [("export_a", world.list_id, tmp_path / "pacing_a"), ("export_b", second, tmp_path / "pacing_b")],
    )

    assert world.emulator.stats()["throttled"] >= 10


def test_two_runs_to_the_same_list_at_once_send_each_batch_once(world: ExportWorld, tmp_path: Path) -> None:
    world.people(1000)
    world.emulator.configure(processing_delay=0.5)

    pacing = tmp_path / "pacing"
    targets = [("export_a", world.list_id, pacing), ("export_a2", world.list_id, pacing)]
    results = run_together(world, tmp_path, targets)

    stats = world.emulator.stats()
    assert world.subscribed() == world.expected()
    # The second run waited for the first to release the list's ledger, then found nothing to send.
    assert sorted(r["added"] for r in results) == [0, 1000]
    assert sorted(r["unchanged"] for r in results) == [0, 1000]
    assert stats["bulk_imports_queued"] == 4


def _endpoint_total(stats: dict[str, object], endpoint: str) -> int:
    by_endpoint = stats["by_endpoint"]
    assert isinstance(by_endpoint, dict)
    return sum(by_endpoint.get(endpoint, {}).values())
