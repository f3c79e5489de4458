"""Runs that share nothing but PostgreSQL: separate processes, each with its own temp folder.

No file lock can help here (each process has its own warehouse copy and pacing folder), so what
keeps them within ActiveCampaign's limits, sends each batch once and survives a SIGKILL is the
PostgreSQL backend alone. The emulator enforces the real limits at a time scale of 10.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ac_export_tests.support import export_driver
from ac_export_tests.support.export_world import ATTRIBUTE_TYPES, ExportWorld

TIME_SCALE = 10.0
RUN_TIMEOUT_S = 120.0
CONTACTS = 1000
BATCHES = 4  # 1,000 contacts in bulk imports of 250


@pytest.fixture
def reading() -> str:
    """These runs are long: the documented reading only (the semantics tests cover every reading)."""
    return "documented"


@dataclass
class Host:
    """One 'machine': its own folder (warehouse copy, pacing folder, logs), and the shared database."""

    world: ExportWorld
    folder: Path
    dsn: str

    def start(
        self, name: str, list_id: int, api_host: str | None = None
    ) -> tuple[Path, subprocess.Popen[bytes]]:
        """Start an export of the segment to `list_id` in a process of this host (through `api_host`)."""
        warehouse = self.folder / "warehouse"
        if not warehouse.exists():
            shutil.copytree(self.world.warehouse.root, warehouse)
        spec = export_driver.ExportSpec(
            name=name,
            export=self.world.export(list_id=list_id).model_dump(),
            api_host=api_host or self.world.emulator.base_url,
            warehouse=str(warehouse),
            attribute_types=ATTRIBUTE_TYPES,
            pace=True,
            time_scale=TIME_SCALE,
            pacing_dir=str(self.folder / "pacing"),
            poll_interval_s=0.01,
            state="postgres",
        )
        path = spec.write(self.folder / f"{name}-{time.monotonic_ns()}.json")
        log = path.with_suffix(".log")
        return path, export_driver.start(path, self.world.emulator.api_key, log, state_dsn=self.dsn)


def finished(spec_path: Path, process: subprocess.Popen[bytes]) -> dict[str, Any]:
    """The counts of a driver that must succeed."""
    code = export_driver.finish(process, RUN_TIMEOUT_S)
    assert code == 0, spec_path.with_suffix(".log").read_text()
    return json.loads(export_driver.result_path(spec_path).read_text())


def hosts(world: ExportWorld, tmp_path: Path, dsn: str) -> tuple[Host, Host]:
    """Two hosts with separate folders over one database; the account enforces its limits."""
    world.people(CONTACTS)
    world.write()
    world.emulator.configure(rate_limit=True, time_scale=TIME_SCALE, processing_delay=20.0)
    return Host(world, tmp_path / "host_a", dsn), Host(world, tmp_path / "host_b", dsn)


def test_two_hosts_exporting_to_one_account_share_its_pace_and_send_each_batch_once(
    world: ExportWorld, tmp_path: Path, postgres_dsn: str
) -> None:
    host_a, host_b = hosts(world, tmp_path, postgres_dsn)
    second = world.emulator.create_list("testers too")

    runs = [host_a.start("export_a", world.list_id), host_b.start("export_b", second)]
    results = [finished(*run) for run in runs]

    stats = world.emulator.stats()
    assert world.subscribed() == world.expected()
    assert world.emulator.list_members(second) == world.expected()
    assert [r["added"] for r in results] == [CONTACTS, CONTACTS]
    assert stats["throttled"] <= 2  # a window edge at most, never a storm
    assert stats["bulk_imports_queued"] == 2 * BATCHES  # each batch sent once


def test_two_hosts_through_two_spellings_of_one_account_share_one_pace(
    world: ExportWorld, tmp_path: Path, postgres_dsn: str
) -> None:
    host_a, host_b = hosts(world, tmp_path, postgres_dsn)
    second = world.emulator.create_list("testers too")
    port = world.emulator.base_url.rsplit(":", 1)[1]

    runs = [
        host_a.start("export_a", world.list_id, f"http://localhost:{port}"),
        host_b.start("export_b", second, f"http://127.0.0.1:{port}/api/3"),
    ]
    results = [finished(*run) for run in runs]

    stats = world.emulator.stats()
    assert [r["added"] for r in results] == [CONTACTS, CONTACTS]
    assert world.emulator.list_members(second) == world.subscribed() == world.expected()
    assert stats["throttled"] <= 2  # as one spelling: a window edge at most, never a storm
    assert stats["bulk_imports_queued"] == 2 * BATCHES
    assert _rows(postgres_dsn, "SELECT account FROM ac_export_pacing") == [(f"127.0.0.1:{port}",)]
    assert _rows(postgres_dsn, "SELECT DISTINCT host FROM ac_export_ledger") == [(f"127.0.0.1:{port}",)]


def test_two_hosts_exporting_to_the_same_list_take_turns(
    world: ExportWorld, tmp_path: Path, postgres_dsn: str
) -> None:
    host_a, host_b = hosts(world, tmp_path, postgres_dsn)

    runs = [host_a.start("export_a", world.list_id), host_b.start("export_a", world.list_id)]
    results = [finished(*run) for run in runs]

    # The list's advisory lock made one wait; it then found the other's work done and sent nothing.
    assert sorted(r["added"] for r in results) == [0, CONTACTS]
    assert world.emulator.stats()["bulk_imports_queued"] == BATCHES
    assert world.subscribed() == world.expected()


def test_a_host_killed_mid_run_leaves_the_other_to_finish_and_a_rerun_converges(
    world: ExportWorld, tmp_path: Path, postgres_dsn: str
) -> None:
    host_a, host_b = hosts(world, tmp_path, postgres_dsn)
    second = world.emulator.create_list("testers too")

    victim = host_a.start("export_a", world.list_id)
    survivor = host_b.start("export_b", second)
    _kill_once_queued(world, victim[1], imports=2)
    queued_at_kill = int(world.emulator.stats()["bulk_imports_queued"])
    in_flight = _rows(postgres_dsn, "SELECT count(DISTINCT batch_no) FROM ac_export_inflight")[0][0]
    assert finished(*survivor)["added"] == CONTACTS

    started = time.monotonic()
    rerun = finished(*host_a.start("export_a", world.list_id))

    assert time.monotonic() - started < 30  # the killed run's lock went with its connection
    assert world.subscribed() == world.expected()
    assert world.emulator.list_members(second) == world.expected()
    assert _rows(postgres_dsn, "SELECT count(*) FROM ac_export_inflight") == [(0,)]
    subscribed = _rows(
        postgres_dsn,
        f"SELECT email FROM ac_export_ledger WHERE list_id = {world.list_id} AND status = 'subscribed'",
    )
    assert {email for (email,) in subscribed} == world.subscribed()
    assert rerun["unchanged"] + rerun["added"] >= CONTACTS  # resumed batches count as added, then unchanged
    # Sent again: at most the batches that were in flight when the victim died.
    resent = int(world.emulator.stats()["bulk_imports_queued"]) - 2 * BATCHES
    assert 0 <= resent <= in_flight
    assert queued_at_kill >= 2


def _kill_once_queued(world: ExportWorld, process: subprocess.Popen[bytes], imports: int) -> None:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while int(world.emulator.stats()["bulk_imports_queued"]) < imports:
        assert process.poll() is None, "the run finished before it could be killed"
        assert time.monotonic() < deadline, "the runs never queued their imports"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _rows(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()
