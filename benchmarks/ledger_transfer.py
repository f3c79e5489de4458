"""`ledger_transfer`: what moves between PostgreSQL and a machine for a list of N members.

Through the real export engine (`run_export`) on the PostgreSQL state backend against the emulator
(limits off), each phase an export of the bench segment:
- `setup`: the cold export of the N members from a first machine, so PostgreSQL and the emulator
  hold the list (its figures are kept, not headlined);
- `cold`: an unchanged export from a second machine whose cache folder is empty: the first open
  on a fresh machine fetches the list whole;
- `unchanged`: the same export again there (open, verify-level reads, plan against the unchanged
  segment, write-through, close);
- `changed`: 1% of the members change (`export_data.change_one_percent`), exported there;
- `after_change`: unchanged again: the rows the changed run wrote come back to its cache once.

Each phase gives the ledger rows in and out (`state.postgres.transfer.TRAFFIC`, by table), the CSV
bytes of those COPYs, and the bytes on the wire each way, counted by a relay in front of the
server (`wire.py`: every query, answer and handshake, so nothing can be left out), with its wall
time and API requests. Then the parts of an unchanged open that grow with the members, alone: the
fingerprint query (PostgreSQL scans the list's index) and a bare open + close (DuckDB copies the
cache into the run's scratch).
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ac_export.warehouse import Warehouse
from benchmarks.export import UNLIMITED, export_figures, prepared_export_warehouse, run_against
from benchmarks.export_data import change_one_percent
from benchmarks.postgres import running_postgres
from benchmarks.run_options import RunOptions
from benchmarks.wire import CountingRelay
from benchmarks.worker import Figures, Params

if TYPE_CHECKING:
    import psycopg

PHASES = ("cold", "unchanged", "changed", "after_change")
# The DuckDB tables ledger rows are pulled into (`cache.py`), and the PostgreSQL ones they are pushed to.
LEDGER_IN = ("cache.ledger", "cache_changed", "cache_gone", "ledger")
LEDGER_OUT = ("push_ledger", "push_gone")
TIMINGS = 5


def ledger_transfer_repetition(options: RunOptions, members: int, folder: Path) -> Figures:
    """One repetition: a fresh PostgreSQL cluster and emulator, the phases, the open's costs."""
    warehouse = prepared_export_warehouse(options.root, members)
    with running_postgres() as server:
        params: Params = {
            "warehouse": str(warehouse.root),
            "pace": False,
            "time_scale": 1.0,
            "poll_interval_s": 0.0,
            "state_dsn": server.create_database(),
            "caches": str(folder / "caches"),
        }
        return run_against(options, "ledger_transfer", params, folder, *UNLIMITED)


def ledger_transfer_task(params: Params) -> Figures:
    """The phases in this worker process, every PostgreSQL byte through a counting relay."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    warehouse = Warehouse(Path(params["warehouse"]))
    shutil.rmtree(warehouse.root / "ledger", ignore_errors=True)
    relay = CountingRelay(int(str(conninfo_to_dict(params["state_dsn"])["port"])))
    try:
        base = params | {"state_dsn": make_conninfo(params["state_dsn"], port=str(relay.port))}
        caches = Path(params["caches"])
        shutil.rmtree(caches, ignore_errors=True)
        figures = _prefixed(
            "setup", _phase(base | {"ledger_cache_dir": str(caches / "first")}, warehouse, relay)
        )
        second = base | {"ledger_cache_dir": str(caches / "second")}
        for phase in PHASES:
            if phase == "changed":
                figures |= _prefixed("changes", change_one_percent(warehouse))
            figures |= _prefixed(phase, _phase(second, warehouse, relay))
        return figures | _open_costs(base["state_dsn"], caches / "second")
    finally:
        relay.close()


def _phase(params: Params, warehouse: Warehouse, relay: CountingRelay) -> Figures:
    """One export, and what it moved: ledger rows by direction, COPY bytes, wire bytes."""
    from ac_export.state.postgres.transfer import TRAFFIC

    rows_before, bytes_before = dict(TRAFFIC.by_table), (TRAFFIC.bytes_in, TRAFFIC.bytes_out)
    wire_before = relay.bytes()
    run = export_figures(params, warehouse)
    wire = relay.bytes() - wire_before
    moved = {key: rows - rows_before.get(key, 0) for key, rows in TRAFFIC.by_table.items()}
    return {
        "seconds": run["seconds"],
        "requests": run["requests"],
        "sent": run["sent"],
        "list_size": run["list_size"],
        "ledger_rows_in": sum(moved.get(f"in:{table}", 0) for table in LEDGER_IN),
        "ledger_rows_out": sum(moved.get(f"out:{table}", 0) for table in LEDGER_OUT),
        "rows_in": sum(rows for key, rows in moved.items() if key.startswith("in:")),
        "rows_out": sum(rows for key, rows in moved.items() if key.startswith("out:")),
        "copy_bytes_in": TRAFFIC.bytes_in - bytes_before[0],
        "copy_bytes_out": TRAFFIC.bytes_out - bytes_before[1],
        "wire_bytes_from_server": wire.from_server,
        "wire_bytes_to_server": wire.to_server,
        **{f"rows.{key}": rows for key, rows in sorted(moved.items()) if rows},
    }


def _open_costs(dsn: str, cache_dir: Path) -> Figures:
    """An unchanged open's parts that grow with the list: the server's fingerprint, a bare open + close."""
    import psycopg

    from ac_export.state.postgres.cache import server_fingerprint
    from ac_export.state.postgres.ledger import PostgresLedger

    with psycopg.connect(dsn) as conn:
        host, list_id, rows = _the_list(conn)
        fingerprints = [_timed(lambda: server_fingerprint(conn, (host, list_id))) for _ in range(TIMINGS)]
    opens, closes = [], []
    for _ in range(TIMINGS):
        started = time.perf_counter()
        store = PostgresLedger.open_list(dsn, host, list_id, cache_dir=cache_dir)
        opened = time.perf_counter()
        store.close()
        opens.append(opened - started)
        closes.append(time.perf_counter() - opened)
    return {
        "ledger_rows": rows,
        "fingerprint_seconds": statistics.median(fingerprints),
        "open_seconds": statistics.median(opens),
        "close_seconds": statistics.median(closes),
    }


def _the_list(conn: psycopg.Connection) -> tuple[str, int, int]:
    """The one list the phases exported: its account key, id and ledger rows in PostgreSQL."""
    row = conn.execute("SELECT host, list_id, count(*) FROM ac_export_ledger GROUP BY 1, 2").fetchone()
    assert row is not None, "the setup export left no ledger in PostgreSQL"
    return str(row[0]), int(row[1]), int(row[2])


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _prefixed(prefix: str, figures: Figures) -> Figures:
    return {f"{prefix}.{key}": value for key, value in figures.items()}
