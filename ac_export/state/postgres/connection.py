"""Connecting to the state database: the schema, and naming a DSN without its secrets.

psycopg is imported only here and in the modules of this package, so the embedded default runs
without it (it comes with the `postgres` extra).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

# Advisory lock keys are 64-bit integers; this one ("ac_export" in spirit) serialises schema creation,
# since concurrent `CREATE TABLE IF NOT EXISTS` can collide in PostgreSQL's catalogue.
SCHEMA_LOCK_KEY = 0x61635F6578706F

# The status column is plain text on purpose: new ledger statuses pass through without a migration.
SCHEMA = """
CREATE TABLE IF NOT EXISTS ac_export_ledger (
    host TEXT NOT NULL,
    list_id BIGINT NOT NULL,
    email TEXT NOT NULL,
    customer_id TEXT,
    content_hash TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    batch_id TEXT,
    export TEXT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (host, list_id, email)
);
CREATE TABLE IF NOT EXISTS ac_export_inflight (
    host TEXT NOT NULL,
    list_id BIGINT NOT NULL,
    batch_no BIGINT NOT NULL,
    batch_id TEXT,
    email TEXT NOT NULL,
    customer_id TEXT,
    op TEXT NOT NULL,
    content_hash TEXT,
    payload TEXT NOT NULL,
    export TEXT NOT NULL,
    run_id TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (host, list_id, email)
);
CREATE INDEX IF NOT EXISTS ac_export_inflight_batches ON ac_export_inflight (host, list_id, batch_no);
CREATE TABLE IF NOT EXISTS ac_export_facts (
    host TEXT NOT NULL,
    list_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (host, list_id, name)
);
CREATE TABLE IF NOT EXISTS ac_export_sent_payloads (
    host TEXT NOT NULL,
    list_id BIGINT NOT NULL,
    email TEXT NOT NULL,
    payload TEXT,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (host, list_id, email)
);
CREATE TABLE IF NOT EXISTS ac_export_pacing (
    account TEXT PRIMARY KEY,
    state TEXT NOT NULL
);
"""

_READY: set[str] = set()
_READY_GUARD = threading.Lock()


class StateDatabaseError(Exception):
    """The state database cannot be reached or used; the message names it without credentials."""


def describe(dsn: str) -> str:
    """The database a DSN points at (user@host:port/dbname), never its password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:
        return "the database in AC_EXPORT_STATE_DSN (which does not parse as a PostgreSQL DSN)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"{user}{parts.get('host', 'localhost')}{port}/{parts.get('dbname', '')}"


def _masked(message: str, dsn: str) -> str:
    """A driver message with the DSN's password removed, whatever form it was echoed in."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        password = str(conninfo_to_dict(dsn).get("password") or "")
    except Exception:
        password = ""
    masked = message.replace(password, "***") if password else message
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", masked)


def connect(dsn: str, *, autocommit: bool = True) -> psycopg.Connection:
    """A connection to the state database, its tables made on first use.

    Autocommit by default: writers open explicit transactions, so no session idles in one.
    """
    try:
        import psycopg
    except ImportError:
        raise StateDatabaseError(
            "state: postgres needs the psycopg driver; install the project with its postgres extra "
            "(pip install 'ac_export[postgres]')"
        ) from None
    try:
        conn = psycopg.connect(
            dsn, autocommit=autocommit, application_name="ac_export", options="-c DateStyle=ISO"
        )
    except psycopg.Error as exc:
        raise StateDatabaseError(
            f"cannot connect to the state database {describe(dsn)} (AC_EXPORT_STATE_DSN): "
            f"{_masked(' '.join(str(exc).split()), dsn)}"
        ) from None
    _ensure_schema(conn, dsn)
    return conn


def _ensure_schema(conn: psycopg.Connection, dsn: str) -> None:
    with _READY_GUARD:
        if dsn in _READY:
            return
        was_autocommit = conn.autocommit
        conn.autocommit = False
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_LOCK_KEY])
            conn.execute(SCHEMA)
        conn.autocommit = was_autocommit
        _READY.add(dsn)


@contextmanager
def reported(dsn: str) -> Iterator[None]:
    """Turn a state-database connection lost mid-run (a restart, a network cut) into one clear line.

    The run ends there; PostgreSQL holds everything the run committed (the send queue is committed
    before the first request), so the next run resumes as after a crash.
    """
    import psycopg

    try:
        yield
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise StateDatabaseError(
            f"lost the state database {describe(dsn)} (AC_EXPORT_STATE_DSN) during the run: "
            f"{_masked(first_line.strip(), dsn)}; nothing is lost: run the export again once the "
            "database answers, it resumes what this run left in flight"
        ) from None
