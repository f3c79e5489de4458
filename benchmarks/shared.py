"""Past one machine, measured: N exports at once to one account with `state: postgres`, and the pacer's cost.

- `shared_pacing`: 1, 2 and 4 exports of N contacts each, in separate worker processes sharing only
  a throwaway PostgreSQL cluster (ledgers and the pacer), to separate lists of one emulated account
  that enforces ActiveCampaign's real limits (time-scaled). The account's bulk window (100 imports
  of 250 contacts a minute) bounds them all together, so the floor is all their contacts at 25,000
  a minute, and wall time ÷ floor says how much of the shared pace they used.
- `pacer_overhead`: the time one reservation and its settlement take (acquire + settle) with the
  file-locked pacer and with the PostgreSQL one, windows short enough that no request waits.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from ac_export.activecampaign.api.limits import Limits, RequestKind
from ac_export.emulator.process import EmulatorProcess
from ac_export.state.pacer import AccountPacer
from benchmarks.export import API_KEY, CONTACTS_PER_MINUTE, CUSTOM_FIELD, prepared_export_warehouse
from benchmarks.postgres import running_postgres
from benchmarks.run_options import RunOptions
from benchmarks.worker import Figures, Params

CONCURRENCY = (1, 2, 4)
# Windows this short never make a request wait, so what is timed is the pacer's own work.
NO_WAIT = Limits(time_scale=10_000.0)


def shared_pacing_repetition(options: RunOptions, contacts: int, folder: Path) -> Figures:
    """1, 2 and 4 concurrent exports of `contacts` each to one account, state on PostgreSQL."""
    warehouse = prepared_export_warehouse(options.root, contacts)
    figures: Figures = {}
    with running_postgres() as server:
        for exports in CONCURRENCY:
            dsn = server.create_database()
            run = _concurrent(options, str(warehouse.root), exports, dsn, folder / f"exports-{exports}")
            figures |= {f"n{exports}.{key}": value for key, value in run.items()}
    return figures


def _concurrent(options: RunOptions, warehouse: str, exports: int, dsn: str, folder: Path) -> Figures:
    scale = options.pacing_time_scale
    lists = [arg for n in range(exports) for arg in ("--list", f"bench{n + 1}")]
    process = EmulatorProcess(
        ["--api-key", API_KEY, *lists, "--field", CUSTOM_FIELD, "--time-scale", str(scale)]
    )
    try:
        base: Params = {"warehouse": warehouse, "pace": True, "time_scale": scale, "poll_interval_s": 1.0}
        params = [
            base | {"base_url": process.base_url, "list_id": n + 1, "state_dsn": dsn} for n in range(exports)
        ]
        with ThreadPoolExecutor(exports) as pool:
            runs = list(
                pool.map(lambda p: options.task("export", p[1], folder / f"export-{p[0]}"), enumerate(params))
            )
        stats = httpx.get(f"{process.base_url}/_emulator/stats").json()
    finally:
        process.stop()
    sent = sum(int(run["sent"]) for run in runs)
    wall = max(run["ended_at"] for run in runs) - min(run["started_at"] for run in runs)
    floor = sent / CONTACTS_PER_MINUTE * 60.0 / scale
    return {
        "exports": exports,
        "sent": sent,
        "seconds": wall,
        "floor_seconds": floor,
        "floor_ratio": wall / floor,
        "throttled": int(stats["throttled"]),
        "bulk_imports": int(stats["bulk_imports_queued"]),
        "time_scale": scale,
    }


def pacer_overhead_repetition(options: RunOptions, requests: int, folder: Path) -> Figures:
    """Microseconds per acquire + settle: file-locked pacer, PostgreSQL pacer, and their difference."""
    return options.task("pacer_overhead", {"requests": requests}, folder)


def pacer_overhead_task(params: Params) -> Figures:
    """Time `requests` reservations with each pacer (in this worker process)."""
    from ac_export.state.postgres.pacer import PostgresPacer

    requests = int(params["requests"])
    with tempfile.TemporaryDirectory() as folder:
        embedded = _per_request_us(AccountPacer("bench.api-us1.com", NO_WAIT, Path(folder)), requests)
    with running_postgres() as server:
        shared = _per_request_us(
            PostgresPacer("bench.api-us1.com", NO_WAIT, server.create_database()), requests
        )
    return {
        "requests": requests,
        "embedded_us": embedded,
        "postgres_us": shared,
        "overhead_us": shared - embedded,
    }


def _per_request_us(pacer: AccountPacer, requests: int) -> float:
    """Median over 5 rounds of the mean time per acquire + settle, in microseconds."""
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(requests // 5):
            pacer.settle(RequestKind.GENERAL, pacer.acquire(RequestKind.GENERAL))
        rounds.append((time.perf_counter() - started) / (requests // 5) * 1e6)
    return statistics.median(rounds)
