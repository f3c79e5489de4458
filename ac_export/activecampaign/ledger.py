"""The export ledger: per (account host, list id, email), what we last sent and what ActiveCampaign said.

One DuckDB file per list, so runs exporting to different lists never wait on each other's lock, and
one export per list (enforced in config) means one writer per file. The ledger makes exports
incremental (unchanged contacts are not sent), resumable (batches in flight are recorded before they
are sent and settled in one transaction once confirmed), and limits removals to contacts this
project subscribed itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from ac_export.activecampaign.errors import ActiveCampaignError

# Ledger statuses.
SUBSCRIBED = "subscribed"  # we subscribed it and ActiveCampaign confirmed
REMOVED = "removed"  # we unsubscribed it (it may be re-subscribed when it re-enters the segment)
OPTED_OUT = "opted_out"  # it unsubscribed itself: never re-subscribed
REFUSED = "refused"  # ActiveCampaign refused it; retried on later runs

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    email VARCHAR PRIMARY KEY,
    customer_id VARCHAR,
    content_hash VARCHAR,
    status VARCHAR NOT NULL,
    reason VARCHAR,
    batch_id VARCHAR,
    export VARCHAR,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS inflight (
    batch_no BIGINT NOT NULL,
    batch_id VARCHAR,
    email VARCHAR NOT NULL,
    customer_id VARCHAR,
    op VARCHAR NOT NULL,
    content_hash VARCHAR,
    payload VARCHAR NOT NULL,
    export VARCHAR NOT NULL,
    run_id VARCHAR,
    created_at TIMESTAMP NOT NULL
);
"""


def ledger_path(root: Path, host: str, list_id: int) -> Path:
    """Where the ledger of one list lives under the warehouse."""
    safe_host = re.sub(r"[^A-Za-z0-9.\-]", "_", host)
    return root / "ledger" / safe_host / f"list_{list_id}.duckdb"


def open_ledger(path: Path, *, read_only: bool = False, wait_s: float = 30.0) -> duckdb.DuckDBPyConnection:
    """Open (and create) a list's ledger, waiting a while if another process holds its lock."""
    if read_only and not path.exists():
        con = duckdb.connect(":memory:")
        con.execute(SCHEMA)
        return con
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise ActiveCampaignError(
                    f"the ledger {path} is in use by another run exporting to the same list; "
                    "wait for that run to finish (Dagster's 'activecampaign' pool normally serialises them)"
                ) from None
            time.sleep(0.2)
    if not read_only:
        con.execute(SCHEMA)
    return con


LEDGER_COLUMNS = "email, customer_id, content_hash, status, reason, batch_id, export, updated_at"


def _upsert(con: duckdb.DuckDBPyConnection, select_sql: str, params: list[object]) -> None:
    """Insert or overwrite ledger rows; `select_sql` yields rows in LEDGER_COLUMNS order."""
    con.execute(
        f"""
        INSERT INTO ledger ({LEDGER_COLUMNS}) {select_sql}
        ON CONFLICT (email) DO UPDATE SET
            customer_id = coalesce(excluded.customer_id, ledger.customer_id),
            content_hash = excluded.content_hash, status = excluded.status, reason = excluded.reason,
            batch_id = coalesce(excluded.batch_id, ledger.batch_id), export = excluded.export,
            updated_at = excluded.updated_at
        """,
        params,
    )


def record_inflight(
    con: duckdb.DuckDBPyConnection, batch_no: int, rows: pa.Table, export: str, run_id: str
) -> None:
    """Remember a batch before it is sent, so a crash after sending can be resumed, not lost."""
    con.register("batch_rows", rows)
    try:
        con.execute(
            """
            INSERT INTO inflight
            SELECT ?, NULL, email, customer_id, op, content_hash, payload, ?, ?, now() FROM batch_rows
            """,
            [batch_no, export, run_id],
        )
    finally:
        con.unregister("batch_rows")


def set_batch_id(con: duckdb.DuckDBPyConnection, batch_no: int, batch_id: str) -> None:
    """Note the id ActiveCampaign gave a queued batch."""
    con.execute("UPDATE inflight SET batch_id = ? WHERE batch_no = ?", [batch_id, batch_no])


def refuse_from_inflight(con: duckdb.DuckDBPyConnection, batch_no: int, refused: dict[str, str]) -> None:
    """Move contacts refused at validation out of a batch into the ledger as refused, with the reason."""
    emails, reasons = list(refused), list(refused.values())
    with _transaction(con):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE refused AS "
            "SELECT unnest(?::VARCHAR[]) AS email, unnest(?::VARCHAR[]) AS reason",
            [emails, reasons],
        )
        _upsert(
            con,
            f"""
            SELECT i.email, i.customer_id, NULL, '{REFUSED}', r.reason, NULL, i.export, now()
            FROM inflight i JOIN refused r USING (email) WHERE i.batch_no = ? AND i.op <> 'remove'
            """,
            [batch_no],
        )
        con.execute(
            "DELETE FROM inflight WHERE batch_no = ? AND email IN (SELECT email FROM refused)", [batch_no]
        )


def settle_batch(
    con: duckdb.DuckDBPyConnection, batch_no: int, batch_id: str, failures: list[str], failure_reason: str
) -> dict[str, int]:
    """Apply a confirmed batch to the ledger in one transaction; returns confirmed counts by outcome."""
    with _transaction(con):
        con.execute("CREATE OR REPLACE TEMP TABLE failed AS SELECT unnest(?::VARCHAR[]) AS email", [failures])
        counts = _outcome_counts(con, batch_no)
        _upsert(
            con,
            f"""
            SELECT i.email, i.customer_id,
                   CASE WHEN i.op = 'remove' THEN NULL ELSE i.content_hash END,
                   CASE WHEN i.op = 'remove' THEN '{REMOVED}' ELSE '{SUBSCRIBED}' END,
                   NULL, ?, i.export, now()
            FROM inflight i ANTI JOIN failed f USING (email) WHERE i.batch_no = ?
            """,
            [batch_id, batch_no],
        )
        # A refused removal leaves the contact subscribed; a refused subscription is retried next run.
        _upsert(
            con,
            f"""
            SELECT i.email, i.customer_id, NULL, '{REFUSED}', ?, ?, i.export, now()
            FROM inflight i SEMI JOIN failed f USING (email) WHERE i.batch_no = ? AND i.op <> 'remove'
            """,
            [failure_reason, batch_id, batch_no],
        )
        con.execute("DELETE FROM inflight WHERE batch_no = ?", [batch_no])
    return counts


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _outcome_counts(con: duckdb.DuckDBPyConnection, batch_no: int) -> dict[str, int]:
    rows = con.execute(
        """
        SELECT CASE WHEN f.email IS NULL THEN i.op ELSE 'refused' END AS outcome, count(*)
        FROM inflight i LEFT JOIN failed f USING (email)
        WHERE i.batch_no = ?
        GROUP BY ALL
        """,
        [batch_no],
    ).fetchall()
    return {str(outcome): int(count) for outcome, count in rows}


def mark_opted_out(con: duckdb.DuckDBPyConnection, export: str, emails: list[str]) -> None:
    """Record contacts that unsubscribed themselves so no later run re-subscribes them."""
    _upsert(
        con,
        f"""
        SELECT email, NULL, NULL, '{OPTED_OUT}', 'unsubscribed themselves in ActiveCampaign', NULL, ?, now()
        FROM (SELECT unnest(?::VARCHAR[]) AS email)
        """,
        [export, emails],
    )


def pending_batches(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str | None, int]]:
    """Batches recorded as in flight by an earlier run that stopped: (batch_no, batch_id, contacts)."""
    rows = con.execute(
        "SELECT batch_no, any_value(batch_id), count(*) FROM inflight GROUP BY batch_no ORDER BY batch_no"
    ).fetchall()
    return [(int(no), str(bid) if bid else None, int(n)) for no, bid, n in rows]


def batch_payloads(con: duckdb.DuckDBPyConnection, batch_no: int) -> list[str]:
    """The contact JSON of a batch in flight, to send it again exactly as planned."""
    rows = con.execute(
        "SELECT payload FROM inflight WHERE batch_no = ? ORDER BY email", [batch_no]
    ).fetchall()
    return [str(row[0]) for row in rows]


def next_batch_no(con: duckdb.DuckDBPyConnection) -> int:
    """A batch number not used by any batch still in flight."""
    row = con.execute("SELECT coalesce(max(batch_no), 0) + 1 FROM inflight").fetchone()
    return int(row[0]) if row else 1
