"""Crashes: an export killed with SIGKILL at random points converges, on rerun, to exactly the segment.

Each export runs in its own process (`support/export_driver.py`); the test watches the emulator's
counters and kills the process from outside at a seeded random moment of one phase:
- `enqueue`: just after the plan read the list's opt-outs, while the send queue is recorded;
- `upload`: once the n-th bulk import of the run was queued;
- `confirm`: after the run's first import was queued and before ActiveCampaign completed it
  (batches take 0.8 s to process here, so the window is wide);
- `record`: after ActiveCampaign completed a batch, while confirmations are settled in the ledger.

After every kill the ledger must open and agree with ActiveCampaign: nothing recorded as
subscribed or removed that ActiveCampaign has not done. After the final run the list equals the
segment, nothing is in flight, the ledger's subscribed set is the list, and the bulk imports
queued beyond the plan's batches are exactly the batches in flight at kills whose ids the ledger
had not recorded yet.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ac_export.state.ledger import ledger_path
from ac_export_tests.support import export_driver
from ac_export_tests.support.export_world import ATTRIBUTE_TYPES, ExportWorld

SEED = int(os.environ.get("AC_EXPORT_CRASH_SEED", "20261128"))
PROCESSING_DELAY_S = 0.8
LATENCY_S = 0.03  # spaces requests out, so that every phase lasts long enough to be hit
RUN_TIMEOUT_S = 60.0
CONTACTS_GET = "GET /api/3/contacts"
# Seconds between reaching a phase's trigger and the kill (drawn uniformly); the ledger records
# batch ids and settles confirmations about once a second, so `record` spans a whole flush.
KILL_DELAY_S = {"enqueue": (0.0, 0.25), "upload": (0.0, 0.0), "confirm": (0.1, 0.7), "record": (0.0, 0.15)}


@dataclass
class Crash:
    """One kill: its phase, whether it happened, and the batches in flight at that moment."""

    phase: str
    killed: bool
    in_flight: int = 0
    ids_recorded: int = 0


@dataclass
class LedgerView:
    """What a list's ledger holds, read after a kill."""

    subscribed: set[str]
    removed: set[str]
    inflight: list[tuple[int, str | None, str, str]]
    batch_ids: set[str]

    @property
    def inflight_ids(self) -> set[str]:
        """Batch ids recorded for batches still in flight."""
        return {batch_id for _, batch_id, _, _ in self.inflight if batch_id}


@pytest.fixture
def reading() -> str:
    """These runs are long: the documented reading only (the semantics tests cover every reading)."""
    return "documented"


def read_ledger(path: Path) -> LedgerView:
    """Open the ledger read-only, as a crashed run left it (a crash must never corrupt it)."""
    if not path.exists():
        return LedgerView(set(), set(), [], set())
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT email, status, batch_id FROM ledger").fetchall()
        inflight = con.execute("SELECT batch_no, batch_id, email, op FROM inflight").fetchall()
    return LedgerView(
        subscribed={email for email, status, _ in rows if status == "subscribed"},
        removed={email for email, status, _ in rows if status == "removed"},
        inflight=[(int(no), bid, str(email), str(op)) for no, bid, email, op in inflight],
        batch_ids={str(bid) for _, _, bid in rows if bid},
    )


@dataclass
class CrashRunner:
    """Runs the world's export in a subprocess, killing it at random points of chosen phases."""

    world: ExportWorld
    folder: Path
    rng: random.Random
    crashes: list[Crash] = field(default_factory=list)
    _runs: int = 0

    @property
    def ledger_file(self) -> Path:
        """The ledger of the world's list."""
        return ledger_path(self.world.warehouse.root, self.world.emulator.host, self.world.list_id)

    def _start(self) -> tuple[Path, subprocess.Popen[bytes]]:
        self.world.write()
        self._runs += 1
        spec = export_driver.ExportSpec(
            name="test_export",
            export=self.world.export().model_dump(by_alias=True),
            api_host=self.world.emulator.base_url,
            warehouse=str(self.world.warehouse.root),
            attribute_types=ATTRIBUTE_TYPES,
        )
        spec_path = spec.write(self.folder / f"run{self._runs}.json")
        log = self.folder / f"run{self._runs}.log"
        return spec_path, export_driver.start(spec_path, self.world.emulator.api_key, log)

    def run_to_end(self) -> dict[str, Any]:
        """Run the export once without a kill; returns its counts."""
        spec_path, process = self._start()
        code = export_driver.finish(process, RUN_TIMEOUT_S)
        log = spec_path.with_suffix(".log")
        assert code == 0, log.read_text() if log.exists() else "no log"
        return json.loads(export_driver.result_path(spec_path).read_text())

    def crash(self, phase: str, accounting: BatchAccounting, remaining: int) -> Crash:
        """Run the export and SIGKILL it at a random point of `phase`; then account for its batches."""
        before = self.world.emulator.stats()
        _, process = self._start()
        killed = self._kill_during(phase, process, before, self.rng.randint(1, max(remaining - 1, 1)))
        time.sleep(0.3)  # a request that reached the emulator as the process died is handled by now
        stats, ledger = self.world.emulator.stats(), read_ledger(self.ledger_file)
        crash = accounting.after_kill(phase, killed, stats, ledger)
        self.crashes.append(crash)
        return crash

    def _kill_during(
        self, phase: str, process: subprocess.Popen[bytes], before: dict[str, Any], wanted: int
    ) -> bool:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        delay = self.rng.uniform(*KILL_DELAY_S[phase])
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False  # the run finished before reaching the kill point
            if _reached(phase, before, self.world.emulator.stats(), wanted):
                time.sleep(delay)
                process.send_signal(signal.SIGKILL)
                process.wait()
                return True
            time.sleep(0.01)
        process.kill()
        raise AssertionError(f"the export never reached phase {phase}")


def _reached(phase: str, before: dict[str, Any], now: dict[str, Any], wanted: int) -> bool:
    """Whether the run reached the point of `phase` at which the kill is armed."""
    queued = int(now["bulk_imports_queued"]) - int(before["bulk_imports_queued"])
    if phase == "enqueue":
        return _endpoint_count(now, CONTACTS_GET) > _endpoint_count(before, CONTACTS_GET)
    if phase == "upload":
        return queued >= wanted
    if phase == "confirm":
        return queued >= 1
    completed = now["batches"]["completed"] - before["batches"]["completed"]
    return bool(completed >= 1)


def _endpoint_count(stats: dict[str, Any], endpoint: str) -> int:
    by_endpoint = stats["by_endpoint"]
    assert isinstance(by_endpoint, dict)
    return sum(by_endpoint.get(endpoint, {}).values())


@dataclass
class BatchAccounting:
    """Bulk imports queued at the emulator, settled in the ledger, or abandoned (re-sent) after a kill.

    At a kill, the batches in flight are those queued and neither settled nor abandoned before;
    those whose id the ledger had recorded are polled by the next run, the others are sent again.
    """

    queued_at_start: int
    settled_before: set[str]
    abandoned: int = 0

    def settled(self, ledger: LedgerView) -> int:
        """Batches this phase settled in the ledger."""
        return len(ledger.batch_ids - self.settled_before)

    def queued(self, stats: dict[str, Any]) -> int:
        """Bulk imports the emulator queued during this phase."""
        return int(stats["bulk_imports_queued"]) - self.queued_at_start

    def after_kill(self, phase: str, killed: bool, stats: dict[str, Any], ledger: LedgerView) -> Crash:
        """Count the batches in flight at a kill and those the next run will have to send again."""
        in_flight = self.queued(stats) - self.settled(ledger) - self.abandoned
        recorded = len(ledger.inflight_ids - self.settled_before)
        self.abandoned += in_flight - recorded
        return Crash(phase, killed, in_flight, recorded)


def assert_consistent(world: ExportWorld, ledger: LedgerView) -> None:
    """Nothing settled in the ledger claims what ActiveCampaign has not done; the send queue is well formed.

    A contact still in flight may be in either state at ActiveCampaign (its batch may have been
    processed before the kill), so only settled contacts are compared.
    """
    queued = [email for _, _, email, _ in ledger.inflight]
    assert len(queued) == len(set(queued))  # each contact is in flight at most once
    settled_subscribed, settled_removed = ledger.subscribed - set(queued), ledger.removed - set(queued)
    assert settled_subscribed <= world.subscribed()
    assert settled_removed <= world.emulator.list_members(world.list_id, status=2)
    settled_adds = {email for _, _, email, op in ledger.inflight if op == "add"} & ledger.subscribed
    assert not settled_adds  # a settled batch leaves the queue in the same transaction
    sizes: dict[int, int] = {}
    for number, _, _, _ in ledger.inflight:
        sizes[number] = sizes.get(number, 0) + 1
    assert all(size <= 250 for size in sizes.values())


def crash_and_converge(runner: CrashRunner, phases: list[str], planned_batches: int) -> None:
    """Kill the export once per phase, check the ledger after each kill, then let a run finish."""
    world = runner.world
    accounting = BatchAccounting(
        int(world.emulator.stats()["bulk_imports_queued"]), read_ledger(runner.ledger_file).batch_ids
    )
    for phase in phases:
        remaining = planned_batches - accounting.settled(read_ledger(runner.ledger_file))
        runner.crash(phase, accounting, remaining)
        assert_consistent(world, read_ledger(runner.ledger_file))
    runner.run_to_end()
    ledger = read_ledger(runner.ledger_file)
    assert world.subscribed() == world.expected()
    assert ledger.inflight == []
    assert ledger.subscribed == world.subscribed()
    assert accounting.settled(ledger) == planned_batches
    resent = accounting.queued(world.emulator.stats()) - planned_batches
    assert resent == accounting.abandoned
    assert resent <= sum(crash.in_flight for crash in runner.crashes)
    # The first three kill points are always reached; `record` may find the run already finished.
    assert sum(crash.killed for crash in runner.crashes) >= len(phases) - 1


@pytest.fixture
def runner(world: ExportWorld, tmp_path: Path) -> CrashRunner:
    """Slow batch processing widens the window between upload and confirmation."""
    world.emulator.configure(processing_delay=PROCESSING_DELAY_S, latency=LATENCY_S)
    return CrashRunner(world, tmp_path, random.Random(SEED))


def test_killed_first_export_converges_to_the_segment(runner: CrashRunner) -> None:
    world = runner.world
    world.people(1000)

    crash_and_converge(runner, ["enqueue", "upload", "confirm", "record"], 4)

    assert world.emulator.stats()["contacts"] == 1000


def test_killed_update_and_removal_converges_and_never_resubscribes_leavers(runner: CrashRunner) -> None:
    world = runner.world
    world.people(1000)
    world.run()  # in process: this first export is not under test
    members = sorted(world.members)
    for customer in members[:300]:
        world.profiles[customer]["first_name"] = "Renamed"
    leavers = set(members[-200:])
    world.members -= leavers
    world.people(250, start=5000)

    crash_and_converge(runner, ["enqueue", "upload", "confirm", "record"], 3)

    left = {f"person{int(customer[1:])}@example.com" for customer in leavers}
    assert left <= world.emulator.list_members(world.list_id, status=2)
    assert read_ledger(runner.ledger_file).removed == left
