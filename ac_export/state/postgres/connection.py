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

from ac_export.errors import UserError
from ac_export.state.schema import TABLES

if TYPE_CHECKING:
    import psycopg

# Advisory lock keys are 64-bit integers; this one ("ac_export" in spirit) serialises schema creation,
# since concurrent `CREATE TABLE IF NOT EXISTS` can collide in PostgreSQL's catalogue.
SCHEMA_LOCK_KEY = 0x61635F6578706F

# Every write of a ledger row, by any writer (this version, an older one, the spellings' merge, an
# operator's SQL), takes the next value of one sequence, and every deletion leaves a tombstone
# with one: a reader that saw the list up to a value fetches only what changed after it
# (`cache.py`). The trigger, not the writers, stamps it, so no write can forget to.
CHANGE_TRACKING = """
CREATE SEQUENCE IF NOT EXISTS ac_export_ledger_seq;
ALTER TABLE ac_export_ledger ADD COLUMN IF NOT EXISTS changed_seq BIGINT NOT NULL
    DEFAULT nextval('ac_export_ledger_seq');
CREATE INDEX IF NOT EXISTS ac_export_ledger_changes ON ac_export_ledger (host, list_id, changed_seq);
CREATE TABLE IF NOT EXISTS ac_export_ledger_gone (
    host TEXT NOT NULL, list_id BIGINT NOT NULL, email TEXT NOT NULL, changed_seq BIGINT NOT NULL,
    PRIMARY KEY (host, list_id, email)
);
CREATE INDEX IF NOT EXISTS ac_export_ledger_gone_changes
    ON ac_export_ledger_gone (host, list_id, changed_seq);
-- Tombstones are pruned once every cache known to read the list has seen them (`cache.py`): the
-- caches' marks, and per list the last stamp pruned, which a cache behind it refetches whole for.
CREATE TABLE IF NOT EXISTS ac_export_ledger_caches (
    host TEXT NOT NULL, list_id BIGINT NOT NULL, cache_id TEXT NOT NULL, seen_seq BIGINT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (host, list_id, cache_id)
);
CREATE TABLE IF NOT EXISTS ac_export_ledger_pruned (
    host TEXT NOT NULL, list_id BIGINT NOT NULL, through_seq BIGINT NOT NULL, PRIMARY KEY (host, list_id)
);
CREATE TABLE IF NOT EXISTS ac_export_state_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO ac_export_state_meta VALUES ('epoch', md5(random()::text || clock_timestamp()::text))
    ON CONFLICT (name) DO NOTHING;
CREATE OR REPLACE FUNCTION ac_export_ledger_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_seq := nextval('ac_export_ledger_seq');
    RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION ac_export_ledger_tombstones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ac_export_ledger_gone (host, list_id, email, changed_seq)
    SELECT host, list_id, email, nextval('ac_export_ledger_seq') FROM gone_rows
    ON CONFLICT (host, list_id, email) DO UPDATE SET changed_seq = excluded.changed_seq;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER ac_export_ledger_stamp BEFORE INSERT OR UPDATE ON ac_export_ledger
    FOR EACH ROW EXECUTE FUNCTION ac_export_ledger_stamp();
CREATE OR REPLACE TRIGGER ac_export_ledger_tombstones AFTER DELETE ON ac_export_ledger
    REFERENCING OLD TABLE AS gone_rows FOR EACH STATEMENT EXECUTE FUNCTION ac_export_ledger_tombstones();
"""
# The tables come from the one description of the ledger (`state.schema`).
SCHEMA = (
    "\n".join(table.postgres_ddl() for table in TABLES)
    + """
CREATE TABLE IF NOT EXISTS ac_export_pacing (
    account TEXT PRIMARY KEY,
    state TEXT NOT NULL
);
"""
    + CHANGE_TRACKING
)

_READY: set[str] = set()
_READY_GUARD = threading.Lock()


class StateDatabaseError(UserError):
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
