"""`ledger_transfer` and `ledger_transfer_engine`: what moves between PostgreSQL and a machine per run.

Both on the PostgreSQL state backend, N members, phases run from a second machine (its own cache
folder) after a first machine wrote the list:
- `cold`: the second machine's first run, its cache empty: the open fetches the list whole;
- `unchanged`: the same run again (open, verify-level reads, plan against the unchanged segment,
  write-through, close);
- `changed`: 1% of the members change (0.5% a field, 0.25% leave, 0.25% join) and are sent;
- `after_change`: unchanged again: the rows the changed run wrote come back to its cache once.

`ledger_transfer` (default 1,000,000) drives the ledger store itself, as the engine does but without
the API: `PostgresLedger.open_list`, the verify's aggregate reads and facts, a plan query over a
segment table in the scratch DuckDB, the send queue through `enqueue`, `record_batch_ids` and
`settle_batches` (the same store methods the engine's upload calls, 40 batches of 250 a round),
`write_through`, `close`. A cold export of a million members through the emulator takes longer
than a benchmark can on a loaded two-core machine (measured: over 11 minutes for the setup alone).
`ledger_transfer_engine` (default 100,000) runs the real export engine (`run_export`) against the
emulator for every phase, the check that the store-driven phases move what a real run moves.

Each phase gives the ledger rows in and out (`state.postgres.transfer.TRAFFIC`, by table), and the
bytes on the wire each way, counted by a relay in front of the server (`wire.py`: every query,
answer and handshake, so nothing can be left out), with its wall time. Then the parts of an
unchanged open that grow with the members, alone: the fingerprint query (PostgreSQL scans the
list's index) and a bare open + close (DuckDB copies the cache into the run's scratch).
"""

from __future__ import annotations

import shutil
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

    from ac_export.state.postgres.ledger import PostgresLedger

PHASES = ("cold", "unchanged", "changed", "after_change")
# The DuckDB tables ledger rows are pulled into (`cache.py`), and the PostgreSQL ones they are pushed to.
LEDGER_IN = ("cache.ledger", "cache_changed", "cache_gone", "ledger")
LEDGER_OUT = ("push_ledger", "push_gone")
TIMINGS = 5
HOST = "bench.api-us1.com"
LIST_ID = 1
BATCH = 250  # ActiveCampaign's bulk import limit, as the engine batches
ROUND = 40  # batches the uploader reads and settles together (`upload.py`)


def ledger_transfer_repetition(options: RunOptions, members: int, folder: Path) -> Figures:
    """One repetition of the store-driven phases, on a fresh PostgreSQL cluster."""
    with running_postgres() as server:
        params: Params = {
            "members": members,
            "state_dsn": server.create_database(),
            "caches": str(folder / "caches"),
        }
        return options.task("ledger_transfer", params, folder)


def engine_transfer_repetition(options: RunOptions, members: int, folder: Path) -> Figures:
    """One repetition of the engine's phases: a fresh PostgreSQL cluster and emulator."""
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
        return run_against(options, "ledger_transfer_engine", params, folder, *UNLIMITED)


@contextmanager
def _relayed(params: Params) -> Iterator[tuple[str, CountingRelay, Path]]:
    """The DSN through a counting relay, the relay, and an empty folder for the machines' caches."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    relay = CountingRelay(int(str(conninfo_to_dict(params["state_dsn"])["port"])))
    caches = Path(params["caches"])
    shutil.rmtree(caches, ignore_errors=True)
    try:
        yield make_conninfo(params["state_dsn"], port=str(relay.port)), relay, caches
    finally:
        relay.close()


def ledger_transfer_task(params: Params) -> Figures:
    """The store-driven phases in this worker process."""
    members = int(params["members"])
    with _relayed(params) as (dsn, relay, caches):
        started = time.perf_counter()
        _seed(dsn, caches / "first", members)
        figures: Figures = {"setup.seconds": time.perf_counter() - started}
        for phase in PHASES:
            changed = phase in ("changed", "after_change")
            run = _store_run(dsn, caches / "second", members, changed=changed)
            figures |= _prefixed(phase, _measured(run, relay))
        return figures | _open_costs(dsn, caches / "second")


def ledger_transfer_engine_task(params: Params) -> Figures:
    """The engine's phases in this worker process: each an export against the emulator."""
    warehouse = Warehouse(Path(params["warehouse"]))
    shutil.rmtree(warehouse.root / "ledger", ignore_errors=True)
    with _relayed(params) as (dsn, relay, caches):
        base = params | {"state_dsn": dsn}
        first = base | {"ledger_cache_dir": str(caches / "first")}
        figures = _prefixed("setup", _measured(lambda: export_figures(first, warehouse), relay))
        second = base | {"ledger_cache_dir": str(caches / "second")}
        for phase in PHASES:
            if phase == "changed":
                figures |= _prefixed("changes", change_one_percent(warehouse))
            figures |= _prefixed(phase, _measured(lambda: export_figures(second, warehouse), relay))
        return figures | _open_costs(dsn, caches / "second")


def _measured(run: Callable[[], Figures], relay: CountingRelay) -> Figures:
    """One run's own figures, with what it moved: ledger rows by direction and table, wire bytes."""
    from ac_export.state.postgres.transfer import TRAFFIC

    rows_before, wire_before, started = dict(TRAFFIC.by_table), relay.bytes(), time.perf_counter()
    figures = run()
    seconds, wire = time.perf_counter() - started, relay.bytes() - wire_before
    moved = {key: rows - rows_before.get(key, 0) for key, rows in TRAFFIC.by_table.items()}
    return {
        "seconds": seconds,
        **{key: figures[key] for key in ("requests", "sent", "list_size", "open_seconds") if key in figures},
        "ledger_rows_in": sum(moved.get(f"in:{table}", 0) for table in LEDGER_IN),
        "ledger_rows_out": sum(moved.get(f"out:{table}", 0) for table in LEDGER_OUT),
        "rows_in": sum(rows for key, rows in moved.items() if key.startswith("in:")),
        "rows_out": sum(rows for key, rows in moved.items() if key.startswith("out:")),
        "wire_bytes_from_server": wire.from_server,
        "wire_bytes_to_server": wire.to_server,
        **{f"rows.{key}": rows for key, rows in sorted(moved.items()) if rows},
    }


def _seed(dsn: str, cache_dir: Path, members: int) -> None:
    """The first machine's cold export as it leaves PostgreSQL: every member subscribed, written through."""
    from ac_export.state.postgres.ledger import PostgresLedger

    store = PostgresLedger.open_list(dsn, HOST, LIST_ID, cache_dir=cache_dir)
    try:
        store.con.execute(
            "INSERT INTO ledger SELECT email, customer_id, content_hash, 'subscribed', NULL, "
            "'import-' || (i // ?), 'bench_export', now() FROM (" + _segment_sql(members, False) + ")",
            [BATCH],
        )
        store.write_through()
    finally:
        store.close()


def _segment_sql(members: int, changed: bool) -> str:
    """The segment's members with their content hashes; `changed`: export_data's 1% change set."""
    if not changed:
        return (
            f"SELECT i, 'person' || i || '@example.com' AS email, 'c' || i AS customer_id, "
            f"'h' || i AS content_hash FROM range({int(members)}) t(i)"
        )
    joiners = (members + 399) // 400
    return (
        f"SELECT i, 'person' || i || '@example.com' AS email, 'c' || i AS customer_id, "
        f"'h' || i || CASE WHEN i % 200 = 0 THEN 'e' ELSE '' END AS content_hash "
        f"FROM range({int(members) + joiners}) t(i) WHERE i >= {int(members)} OR i % 400 <> 1"
    )


# The plan's queue, as `enqueue` takes it: (email, customer_id, op, content_hash, payload).
_QUEUE = """
SELECT s.email, s.customer_id, CASE WHEN l.email IS NULL THEN 'add' ELSE 'update' END AS op,
       s.content_hash, '{"contact": {"email": "' || s.email || '"}}' AS payload
FROM segment s LEFT JOIN ledger l USING (email)
WHERE l.email IS NULL OR l.content_hash IS DISTINCT FROM s.content_hash
UNION ALL
SELECT l.email, l.customer_id, 'remove', NULL, '{"contact": {"email": "' || l.email || '"}}'
FROM ledger l ANTI JOIN segment s USING (email) WHERE l.status = 'subscribed'
"""


def _store_run(dsn: str, cache_dir: Path, members: int, *, changed: bool) -> Callable[[], Figures]:
    """One run as the engine drives the store: open, verify's reads, plan, send and settle, close."""
    from ac_export.state.postgres.ledger import PostgresLedger

    def run() -> Figures:
        started = time.perf_counter()
        store = PostgresLedger.open_list(dsn, HOST, LIST_ID, cache_dir=cache_dir)
        opened = time.perf_counter()
        try:
            _verify_reads(store)
            store.write_through()  # the engine's write-through after the verify
            store.con.execute("CREATE OR REPLACE TEMP TABLE segment AS " + _segment_sql(members, changed))
            queued = int(store.con.execute(f"SELECT count(*) FROM ({_QUEUE})").fetchall()[0][0])
            sent = _send(store) if queued else 0
            _verify_reads(store)  # the tally after the upload
            store.write_through()
        finally:
            store.close()
        return {"open_seconds": opened - started, "sent": sent}

    return run


def _verify_reads(store: PostgresLedger) -> None:
    """The verify's and the tally's reads of the ledger (aggregates by status) and the facts they keep."""
    from ac_export.state import ledger

    on, off = store.con.execute(
        "SELECT count(*) FILTER (WHERE status IN ('subscribed', 'pre_existing')), "
        "count(*) FILTER (WHERE status IN ('removed', 'opted_out', 'unsubscribed_in_ac')) FROM ledger"
    ).fetchall()[0]
    if ledger.read_fact(store.con, "list_name") is None:
        ledger.write_fact(store.con, "list_name", "bench")
    ledger.write_fact(store.con, "last_counts", f"{on}/{off}")


def _send(store: PostgresLedger) -> int:
    """Queue the plan, then note batch ids and settle each round of batches, as the uploader does."""
    first, last = store.enqueue(_QUEUE, "bench_export", uuid.uuid4().hex, BATCH)
    numbers, settled = list(range(first, last + 1)), 0
    for start in range(0, len(numbers), ROUND):
        chunk = numbers[start : start + ROUND]
        store.record_batch_ids({no: f"import-{no}" for no in chunk})
        settled += sum(store.settle_batches({no: (f"import-{no}", []) for no in chunk}, "refused").values())
    return settled


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
        "bare_open_seconds": statistics.median(opens),
        "bare_close_seconds": statistics.median(closes),
    }


def _the_list(conn: psycopg.Connection) -> tuple[str, int, int]:
    """The one list the phases exported: its account key, id and ledger rows in PostgreSQL."""
    row = conn.execute("SELECT host, list_id, count(*) FROM ac_export_ledger GROUP BY 1, 2").fetchone()
    assert row is not None, "the setup left no ledger in PostgreSQL"
    return str(row[0]), int(row[1]), int(row[2])


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _prefixed(prefix: str, figures: Figures) -> Figures:
    return {f"{prefix}.{key}": value for key, value in figures.items()}
