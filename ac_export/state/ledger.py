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

from ac_export.errors import UserError
from ac_export.state.accounts import account_identity
from ac_export.warehouse import scalar

# The plan's temporary tables hold each member's contact JSON several times over (about 1.2 GB for a
# million members); with this cap DuckDB spills them to a folder beside the ledger instead, which
# keeps a million-member export under 1 GiB of resident memory.
MEMORY_LIMIT = "384MB"

# Ledger statuses.
SUBSCRIBED = "subscribed"  # we subscribed it and ActiveCampaign confirmed: ours
PRE_EXISTING = "pre_existing"  # on the list before we managed it (or put there by others): never removed
REMOVED = "removed"  # we unsubscribed it (it may be re-subscribed when it re-enters the segment)
OPTED_OUT = "opted_out"  # it left the list while we had it subscribed: never re-subscribed
UNSUBSCRIBED_IN_AC = "unsubscribed_in_activecampaign"  # unsubscribed, not by us (by whom unknown): never sent
MISSING = "missing"  # we had it subscribed but ActiveCampaign no longer has it on the list: repaired
REFUSED = "refused"  # ActiveCampaign refused it; sent again once its data changes (or at a full reconcile)
# What the ledger remembers after ActiveCampaign forgot it (an account reset, a list emptied or
# restored, a contact deleted): consent and ownership are the ledger's to keep, not the list's.
OPTED_OUT_REMEMBERED = "opted_out_remembered"  # opted out; ActiveCampaign no longer shows it: never sent
UNSUBSCRIBED_REMEMBERED = "unsubscribed_remembered"  # unsubscribed by others, likewise: never sent
PRE_EXISTING_MISSING = "pre_existing_missing"  # not ours, lost by the list: repaired as not ours

# Statuses of contacts ActiveCampaign holds as subscribed to the list, and as unsubscribed from it.
ON_LIST = (SUBSCRIBED, PRE_EXISTING)
OFF_LIST = (REMOVED, OPTED_OUT, UNSUBSCRIBED_IN_AC)
# Never sent a subscription by the export (the operator's `forget-opt-out` is the way back).
OPTED_OUT_STATUSES = (OPTED_OUT, OPTED_OUT_REMEMBERED)
UNSUBSCRIBED_STATUSES = (UNSUBSCRIBED_IN_AC, UNSUBSCRIBED_REMEMBERED)
# Never ours, whatever the export sends them: never removed.
NOT_OURS = (PRE_EXISTING, PRE_EXISTING_MISSING)

WORKING_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS facts (
    name VARCHAR PRIMARY KEY,
    value VARCHAR
);
"""
# What each contact was last sent with (for a preview's changed fields); read, never shadowed.
SENT_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent_payloads (
    email VARCHAR PRIMARY KEY,
    payload VARCHAR,
    sent_at TIMESTAMP NOT NULL
);
"""
SCHEMA = WORKING_SCHEMA + SENT_SCHEMA


class LedgerInUse(UserError):
    """Another run holds the list's ledger for longer than a run waits."""


def folder_name(host: str) -> str:
    """A host or identity as a folder name (as ledger folders have always been named)."""
    return re.sub(r"[^A-Za-z0-9.\-]", "_", host)


def ledger_path(root: Path, host: str, list_id: int) -> Path:
    """Where a list's ledger lives under the warehouse: in its account's canonical identity's folder."""
    return root / "ledger" / folder_name(account_identity(host)) / f"list_{list_id}.duckdb"


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
                raise LedgerInUse(
                    f"the ledger {path} is in use by another run exporting to the same list; "
                    "wait for that run to finish (Dagster's 'activecampaign' pool normally serialises them)"
                ) from None
            time.sleep(0.2)
    if not read_only:
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        con.execute(SCHEMA)
    return con


def sql_in(statuses: tuple[str, ...]) -> str:
    """Ledger statuses as an SQL `IN` list (they are constants of this module, never user input)."""
    return "(" + ", ".join(f"'{status}'" for status in statuses) + ")"


def read_fact(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """A fact the ledger keeps about its list (its name, when it was last fully reconciled)."""
    row = con.execute("SELECT value FROM facts WHERE name = ?", [name]).fetchone()
    return None if row is None else str(row[0])


def write_fact(con: duckdb.DuckDBPyConnection, name: str, value: str) -> None:
    """Remember a fact about the ledger's list."""
    con.execute(
        "INSERT INTO facts VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [name, value],
    )


def shadow(con: duckdb.DuckDBPyConnection) -> None:
    """Give a read-only ledger connection writable in-memory copies of its tables (for a dry run).

    Temporary tables come first in DuckDB's search path, so a dry run can verify, reconcile and plan
    exactly as a real run would while the ledger file stays untouched.
    """
    catalog = scalar(con, "SELECT current_database()")
    con.execute(WORKING_SCHEMA.replace("CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE"))
    for table in ("ledger", "inflight", "facts"):
        con.execute(f'INSERT INTO temp.main.{table} SELECT * FROM "{catalog}".main.{table}')


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


def enqueue(
    con: duckdb.DuckDBPyConnection, queue_sql: str, export: str, run_id: str, batch_size: int
) -> tuple[int, int]:
    """Record a run's whole send queue as in flight, numbered into batches of `batch_size`, at once.

    `queue_sql` yields (email, customer_id, op, content_hash, payload) in send order. Recording
    before sending means a crash at any later point leaves the work findable, never lost.
    """
    first = next_batch_no(con)
    con.execute(
        f"""
        INSERT INTO inflight
        SELECT ? + (row_number() OVER () - 1) // {int(batch_size)}, NULL,
               email, customer_id, op, content_hash, payload, ?, ?, now()
        FROM ({queue_sql})
        """,
        [first, export, run_id],
    )
    last = int(scalar(con, "SELECT coalesce(max(batch_no), ?) FROM inflight", [first - 1]))
    return first, last


def split_batch(con: duckdb.DuckDBPyConnection, batch_no: int, moved_emails: list[str]) -> int:
    """Move some contacts of a batch to a new batch (when the batch is over the byte limit)."""
    new_no = next_batch_no(con)
    con.execute(
        "UPDATE inflight SET batch_no = ? WHERE batch_no = ? AND list_contains(?::VARCHAR[], email)",
        [new_no, batch_no, moved_emails],
    )
    return new_no


def record_batch_ids(con: duckdb.DuckDBPyConnection, batch_ids: dict[int, str]) -> None:
    """Note the ids ActiveCampaign gave queued batches (grouped: one commit for many batches)."""
    if batch_ids:
        con.execute(
            """
            UPDATE inflight SET batch_id = q.batch_id
            FROM (SELECT unnest(?::BIGINT[]) AS batch_no, unnest(?::VARCHAR[]) AS batch_id) q
            WHERE inflight.batch_no = q.batch_no
            """,
            [list(batch_ids), list(batch_ids.values())],
        )


def refuse_from_inflight(con: duckdb.DuckDBPyConnection, batch_no: int, refused: dict[str, str]) -> None:
    """Move contacts refused at validation out of a batch into the ledger as refused, with the reason."""
    emails, reasons = list(refused), list(refused.values())
    with transaction(con):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE refused AS "
            "SELECT unnest(?::VARCHAR[]) AS email, unnest(?::VARCHAR[]) AS reason",
            [emails, reasons],
        )
        _upsert(
            con,
            f"""
            SELECT i.email, i.customer_id,
                   CASE WHEN i.op = 'update' AND l.status IN {sql_in(ON_LIST)} THEN NULL
                        ELSE i.content_hash END,
                   CASE WHEN i.op = 'update' AND l.status IN {sql_in(ON_LIST)} THEN l.status
                        WHEN l.status = '{PRE_EXISTING_MISSING}' THEN l.status
                        ELSE '{REFUSED}' END,
                   r.reason, NULL, i.export, now()
            FROM inflight i JOIN refused r USING (email) LEFT JOIN ledger l USING (email)
            WHERE i.batch_no = ? AND i.op <> 'remove'
            """,
            [batch_no],
        )
        con.execute(
            "DELETE FROM inflight WHERE batch_no = ? AND email IN (SELECT email FROM refused)", [batch_no]
        )


def settle_batches(
    con: duckdb.DuckDBPyConnection, confirmed: dict[int, tuple[str, list[str]]], failure_reason: str
) -> dict[str, int]:
    """Apply confirmed batches (batch_no → (batch_id, refused emails)) in one transaction.

    Returns confirmed counts by outcome: add, update, remove, resubscribe, repair, refused (a contact
    to subscribe or update) and refused_remove (a leaver whose unsubscribe was refused: not a member).
    """
    if not confirmed:
        return {}
    numbers = list(confirmed)
    failed = [(no, email) for no, (_, emails) in confirmed.items() for email in emails]
    with transaction(con):
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE settling AS
            SELECT i.*, q.confirmed_id, f.email IS NOT NULL AS refused, l.status AS prior_status
            FROM inflight i
            JOIN (SELECT unnest(?::BIGINT[]) AS batch_no, unnest(?::VARCHAR[]) AS confirmed_id) q
                USING (batch_no)
            LEFT JOIN (SELECT unnest(?::BIGINT[]) AS batch_no, unnest(?::VARCHAR[]) AS email) f
                USING (batch_no, email)
            LEFT JOIN ledger l USING (email)
            """,
            [numbers, [bid for bid, _ in confirmed.values()], [n for n, _ in failed], [e for _, e in failed]],
        )
        # Sending keeps whose contact it is: a pre-existing subscriber updated or repaired stays
        # pre-existing, never ours.
        _upsert(
            con,
            f"""
            SELECT email, customer_id, CASE WHEN op = 'remove' THEN NULL ELSE content_hash END,
                   CASE WHEN op = 'remove' THEN '{REMOVED}'
                        WHEN prior_status IN {sql_in(NOT_OURS)} THEN '{PRE_EXISTING}'
                        ELSE '{SUBSCRIBED}' END,
                   NULL, confirmed_id, export, now()
            FROM settling WHERE NOT refused
            """,
            [],
        )
        # A refused removal or update leaves the contact where it was (still on the list, the hash
        # forgotten so the change is retried); a refused subscription keeps the hash it was refused
        # with, so it is not sent again until the contact's data changes; a refused repair of someone
        # else's subscriber stays theirs.
        _upsert(
            con,
            f"""
            SELECT email, customer_id,
                   CASE WHEN op = 'update' AND prior_status IN {sql_in(ON_LIST)} THEN NULL
                        WHEN prior_status = '{PRE_EXISTING_MISSING}' THEN NULL
                        ELSE content_hash END,
                   CASE WHEN op = 'update' AND prior_status IN {sql_in(ON_LIST)} THEN prior_status
                        WHEN prior_status = '{PRE_EXISTING_MISSING}' THEN prior_status
                        ELSE '{REFUSED}' END,
                   ?, confirmed_id, export, now()
            FROM settling WHERE refused AND op <> 'remove'
            """,
            [failure_reason],
        )
        con.execute("DELETE FROM inflight WHERE list_contains(?::BIGINT[], batch_no)", [numbers])
        rows = con.execute(
            "SELECT CASE WHEN refused AND op = 'remove' THEN 'refused_remove' WHEN refused THEN 'refused' "
            "ELSE op END, count(*) FROM settling GROUP BY ALL"
        ).fetchall()
    return {str(outcome): int(count) for outcome, count in rows}


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of the block's writes to the ledger, or none of them."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def pending_batches(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str | None, int]]:
    """Batches recorded as in flight by an earlier run that stopped: (batch_no, batch_id, contacts)."""
    rows = con.execute(
        "SELECT batch_no, any_value(batch_id), count(*) FROM inflight GROUP BY batch_no ORDER BY batch_no"
    ).fetchall()
    return [(int(no), str(bid) if bid else None, int(n)) for no, bid, n in rows]


def batch_contents(con: duckdb.DuckDBPyConnection, batch_nos: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(email, contact JSON) of each of several batches in flight, to send them exactly as planned.

    Read together: each query scans the whole in-flight table, so one query per batch made reading
    a 100,000-contact queue cost seconds.
    """
    rows = con.execute(
        "SELECT batch_no, email, payload FROM inflight WHERE list_contains(?::BIGINT[], batch_no) "
        "ORDER BY batch_no, email",
        [batch_nos],
    ).fetchall()
    contents: dict[int, list[tuple[str, str]]] = {int(no): [] for no in batch_nos}
    for batch_no, email, payload in rows:
        contents[int(batch_no)].append((str(email), str(payload)))
    return contents


def returning_among(
    con: duckdb.DuckDBPyConnection, batch_nos: list[int], emails: set[str]
) -> dict[int, list[tuple[str, str]]]:
    """Of these emails in these batches, those sent to re-subscribe a contact we had removed.

    Returns batch_no → [(email, the payload it was sent with)].
    """
    if not emails or not batch_nos:
        return {}
    rows = con.execute(
        """
        SELECT batch_no, email, payload
        FROM inflight
        WHERE op = 'resubscribe' AND list_contains(?::BIGINT[], batch_no)
          AND list_contains(?::VARCHAR[], email)
        ORDER BY batch_no, email
        """,
        [batch_nos, sorted(emails)],
    ).fetchall()
    found: dict[int, list[tuple[str, str]]] = {}
    for batch_no, email, payload in rows:
        found.setdefault(int(batch_no), []).append((str(email), str(payload)))
    return found


def next_batch_no(con: duckdb.DuckDBPyConnection) -> int:
    """A batch number not used by any batch still in flight."""
    return int(scalar(con, "SELECT coalesce(max(batch_no), 0) + 1 FROM inflight"))
