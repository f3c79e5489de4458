"""The ledger in PostgreSQL: per (account host, list id, email), shared by runs on every host.

A run takes the list's advisory lock (one writer per list, as the embedded ledger's file lock
gives), loads the list's ledger and in-flight rows into a scratch DuckDB to plan in, and writes
every change through to PostgreSQL in one transaction before it returns: the send queue before
the first request, batch ids as they are recorded, confirmations as they are settled. A crash of
the run loses only the scratch copy; PostgreSQL holds what the embedded file would have held.

Ledger rows are pushed by their `updated_at` (every change stamps it), so a change made through
any ledger function reaches PostgreSQL; rows a reconcile deleted by the emails no longer in the
scratch copy; the list's facts whole (a handful of rows); sent payloads by `sent_at`; in-flight
rows by the operation that changed them. Sent payloads are loaded only for a dry run, the one
reader of them.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ac_export.settings import DEFAULT_LEDGER_CACHE_DIR
from ac_export.state import ledger, schema
from ac_export.state.accounts import account_identity
from ac_export.state.ledger import LedgerInUse
from ac_export.state.postgres.cache import Loaded, load_ledger, note_and_prune
from ac_export.state.postgres.connection import connect, describe, reported
from ac_export.state.postgres.merge import merge_spellings, older_spellings
from ac_export.state.postgres.transfer import pull, push
from ac_export.state.store import LedgerStore
from ac_export.warehouse import scalar

if TYPE_CHECKING:
    import psycopg

LEDGER_TYPES = schema.LEDGER.columns
INFLIGHT_TYPES = schema.INFLIGHT.columns
FACT_TYPES = schema.FACTS.columns
SENT_TYPES = schema.SENT_PAYLOADS.columns

LOCK_POLL_S = 0.2


def _temp_table(name: str, types: dict[str, str]) -> str:
    columns = ", ".join(f"{column} {schema.POSTGRES_TYPES[kind]}" for column, kind in types.items())
    return f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DELETE ROWS"


def _assignments(types: dict[str, str]) -> str:
    return ", ".join(f"{column} = excluded.{column}" for column in types if column != "email")


class PostgresLedger(LedgerStore):
    """A list's ledger kept in PostgreSQL, planned over in a scratch DuckDB."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        conn: psycopg.Connection,
        host: str,
        list_id: int,
        scratch: Path,
        dsn: str,
    ) -> None:
        super().__init__(con)
        self._conn = conn
        self._dsn = dsn  # a secret: only ever passed to `reported`, which names the database without it
        self._key = (host, list_id)
        self._scratch = scratch
        self._pushed_until = datetime.min
        self._read_only = False
        self._cache_dir = DEFAULT_LEDGER_CACHE_DIR
        self._loaded = Loaded("uncached")
        self.loaded_by = "uncached"  # how the ledger rows came: `cache.load_ledger`

    @classmethod
    def open_list(
        cls,
        dsn: str,
        host: str,
        list_id: int,
        *,
        read_only: bool = False,
        wait_s: float = 30.0,
        cache_dir: Path = DEFAULT_LEDGER_CACHE_DIR,
    ) -> PostgresLedger:
        """Take the list's lock (unless reading only), then load its rows; raises LedgerInUse.

        Keyed by the account's canonical identity, whatever spelling `host` is; rows kept under an
        older spelling are merged in first (a reader sees the merge without keeping it). The rows
        come through this machine's cache under `cache_dir` (`cache.py`).
        """
        identity = account_identity(host)
        conn = connect(dsn)
        scratch = Path(tempfile.mkdtemp(prefix="ac_export-ledger-"))
        try:
            with reported(dsn):
                if not read_only:
                    _lock_list(conn, dsn, identity, list_id, wait_s)
                store = cls._load_merged(conn, dsn, identity, list_id, scratch, read_only, wait_s, cache_dir)
                if not read_only:
                    store._note_and_prune()
        except BaseException:
            conn.close()
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        return store

    @classmethod
    def _load_merged(
        cls,
        conn: psycopg.Connection,
        dsn: str,
        identity: str,
        list_id: int,
        scratch: Path,
        read_only: bool,
        wait_s: float,
        cache_dir: Path,
    ) -> PostgresLedger:
        """Merge older spellings' rows (kept by a writer, rolled back for a reader), then load the list."""
        older = older_spellings(conn, identity, list_id)
        # An older version of the export locked a list by its spelling and may still be writing those
        # rows: a writer holds their locks too until the merge is committed.
        held = [] if read_only else older
        for host in held:
            _lock_list(conn, dsn, host, list_id, wait_s)
        try:
            con = duckdb.connect(str(scratch / "ledger.duckdb"))
            con.execute(f"SET memory_limit = '{ledger.MEMORY_LIMIT}'")
            con.execute(ledger.SCHEMA)
            store = cls(con, conn, identity, list_id, scratch, dsn)
            store._read_only = read_only
            store._cache_dir = cache_dir
            with conn.transaction(force_rollback=read_only):
                # One snapshot for the cache's fingerprint, its changes and the other tables.
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                merge_spellings(conn, identity, list_id, older)
                # Rows a merge wrote are this transaction's until it commits (a reader's never do):
                # the cache only ever learns committed rows.
                store._load(with_sent_payloads=read_only, use_cache=not older)
            store._pushed_until = scalar(con, "SELECT now()::TIMESTAMP")
        finally:
            for host in held:
                conn.execute(
                    "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [_lock_name(host, list_id)]
                )
        return store

    def _note_and_prune(self) -> None:
        """Note this machine's cache mark and prune the tombstones every cache has seen (`cache.py`)."""
        try:
            note_and_prune(self._conn, self._key, self._loaded)
        except BaseException:
            self.con.close()
            raise

    def _load(self, *, with_sent_payloads: bool, use_cache: bool) -> None:
        from psycopg import sql

        loaded = load_ledger(
            self._conn, self.con, self._key, self._scratch, self._cache_dir if use_cache else None
        )
        self.loaded_by = loaded.how
        self._loaded = loaded
        tables = [("inflight", INFLIGHT_TYPES), ("facts", FACT_TYPES)]
        if with_sent_payloads:
            tables.append(("sent_payloads", SENT_TYPES))
        for table, types in tables:
            query = sql.SQL("SELECT {} FROM {} WHERE host = {} AND list_id = {}").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in types),
                sql.Identifier(f"ac_export_{table}"),
                sql.Literal(self._key[0]),
                sql.Literal(self._key[1]),
            )
            pull(self._conn, query, self.con, table, types, self._scratch)
        # The emails PostgreSQL holds, so that rows deleted here are deleted there too.
        self.con.execute("CREATE TEMP TABLE pushed_emails (email VARCHAR PRIMARY KEY)")
        self.con.execute("INSERT INTO pushed_emails SELECT email FROM ledger")

    @contextmanager
    def _change(self) -> Iterator[psycopg.Connection]:
        """A PostgreSQL transaction that also carries every ledger row changed in DuckDB since the last one.

        Rows are found by `updated_at` at or after the last push's mark, so a change made directly
        in `con` (by a ledger function called on it) goes out with the next change, or `write_through()`.
        """
        with reported(self._dsn), self._conn.transaction():
            yield self._conn
            mark: datetime = scalar(self.con, "SELECT now()::TIMESTAMP")
            self._push_ledger(self._pushed_until)
            self._push_deletions()
            self._push_facts()
            self._push_sent_payloads(self._pushed_until)
        self._pushed_until = mark
        self.con.execute(
            "INSERT INTO pushed_emails SELECT email FROM ledger ANTI JOIN pushed_emails USING (email)"
        )

    def _push_deletions(self) -> None:
        gone = "SELECT email FROM pushed_emails ANTI JOIN ledger USING (email)"
        if not scalar(self.con, f"SELECT count(*) FROM ({gone})"):
            return
        self._conn.execute(_temp_table("push_gone", {"email": "VARCHAR"}))
        push(self.con, gone, self._conn, "push_gone", self._scratch)
        self._conn.execute(
            "DELETE FROM ac_export_ledger WHERE host = %s AND list_id = %s "
            "AND email IN (SELECT email FROM push_gone)",
            list(self._key),
        )
        self.con.execute(f"DELETE FROM pushed_emails WHERE email IN ({gone})")

    def _push_facts(self) -> None:
        self._conn.execute(_temp_table("push_facts", FACT_TYPES))
        push(self.con, "SELECT name, value FROM facts", self._conn, "push_facts", self._scratch)
        self._conn.execute(
            """
            INSERT INTO ac_export_facts (host, list_id, name, value)
            SELECT %s, %s, name, value FROM push_facts
            ON CONFLICT (host, list_id, name) DO UPDATE SET value = excluded.value
            """,
            list(self._key),
        )

    def _push_sent_payloads(self, since: datetime) -> None:
        self._conn.execute(_temp_table("push_sent", SENT_TYPES))
        push(
            self.con,
            f"SELECT email, payload, sent_at FROM sent_payloads "
            f"WHERE sent_at >= TIMESTAMP '{since.isoformat(sep=' ')}'",
            self._conn,
            "push_sent",
            self._scratch,
        )
        self._conn.execute(
            """
            INSERT INTO ac_export_sent_payloads (host, list_id, email, payload, sent_at)
            SELECT %s, %s, email, payload, sent_at FROM push_sent
            ON CONFLICT (host, list_id, email)
            DO UPDATE SET payload = excluded.payload, sent_at = excluded.sent_at
            """,
            list(self._key),
        )

    def _push_ledger(self, since: datetime) -> None:
        self._conn.execute(_temp_table("push_ledger", LEDGER_TYPES))
        columns = ", ".join(LEDGER_TYPES)
        push(
            self.con,
            f"SELECT {columns} FROM ledger WHERE updated_at >= TIMESTAMP '{since.isoformat(sep=' ')}'",
            self._conn,
            "push_ledger",
            self._scratch,
        )
        self._conn.execute(
            f"""
            INSERT INTO ac_export_ledger (host, list_id, {columns})
            SELECT %s, %s, {columns} FROM push_ledger
            ON CONFLICT (host, list_id, email) DO UPDATE SET {_assignments(LEDGER_TYPES)}
            """,
            list(self._key),
        )

    def enqueue(self, queue_sql: str, export: str, run_id: str, batch_size: int) -> tuple[int, int]:
        """Record the send queue in flight, in PostgreSQL before the first request goes out."""
        with self._change() as conn:
            first, last = super().enqueue(queue_sql, export, run_id, batch_size)
            conn.execute(_temp_table("push_inflight", INFLIGHT_TYPES))
            columns = ", ".join(INFLIGHT_TYPES)
            push(
                self.con,
                f"SELECT {columns} FROM inflight WHERE batch_no BETWEEN {int(first)} AND {int(last)}",
                conn,
                "push_inflight",
                self._scratch,
            )
            conn.execute(
                f"INSERT INTO ac_export_inflight (host, list_id, {columns}) "
                f"SELECT %s, %s, {columns} FROM push_inflight",
                list(self._key),
            )
        return first, last

    def split_batch(self, batch_no: int, moved_emails: list[str]) -> int:
        """Move contacts to a new batch, here and in PostgreSQL."""
        with self._change() as conn:
            new_no = super().split_batch(batch_no, moved_emails)
            conn.execute(
                "UPDATE ac_export_inflight SET batch_no = %s "
                "WHERE host = %s AND list_id = %s AND batch_no = %s AND email = ANY(%s)",
                [new_no, *self._key, batch_no, moved_emails],
            )
        return new_no

    def record_batch_ids(self, batch_ids: dict[int, str]) -> None:
        """Note batch ids, here and in PostgreSQL."""
        if not batch_ids:
            return
        with self._change() as conn:
            super().record_batch_ids(batch_ids)
            conn.execute(
                """
                UPDATE ac_export_inflight i SET batch_id = q.batch_id
                FROM unnest(%s::bigint[], %s::text[]) AS q(batch_no, batch_id)
                WHERE i.host = %s AND i.list_id = %s AND i.batch_no = q.batch_no
                """,
                [list(batch_ids), list(batch_ids.values()), *self._key],
            )

    def refuse_from_inflight(self, batch_no: int, refused: dict[str, str]) -> None:
        """Record refused contacts and take them out of the queue, in one PostgreSQL transaction."""
        with self._change() as conn:
            super().refuse_from_inflight(batch_no, refused)
            conn.execute(
                "DELETE FROM ac_export_inflight "
                "WHERE host = %s AND list_id = %s AND batch_no = %s AND email = ANY(%s)",
                [*self._key, batch_no, list(refused)],
            )

    def settle_batches(
        self, confirmed: dict[int, tuple[str, list[str]]], failure_reason: str
    ) -> dict[str, int]:
        """Apply confirmed batches and take them out of the queue, in one PostgreSQL transaction."""
        if not confirmed:
            return {}
        with self._change() as conn:
            outcome = super().settle_batches(confirmed, failure_reason)
            conn.execute(
                "DELETE FROM ac_export_inflight WHERE host = %s AND list_id = %s AND batch_no = ANY(%s)",
                [*self._key, list(confirmed)],
            )
        return outcome

    def write_through(self) -> None:
        """Write through ledger rows changed directly in `con` since the last change went out.

        A ledger opened to read (a dry run, without the list's lock) never writes: its changes
        are the run's own scratch.
        """
        if self._read_only:
            return
        with self._change():
            pass

    def close(self) -> None:
        """Drop the scratch copy and release the list's lock (closing the session releases it)."""
        try:
            self.con.close()
        finally:
            self._conn.close()
            shutil.rmtree(self._scratch, ignore_errors=True)


def _lock_list(conn: psycopg.Connection, dsn: str, host: str, list_id: int, wait_s: float) -> None:
    """One writer per list: a session advisory lock, waited for up to `wait_s`."""
    deadline = time.monotonic() + wait_s
    while not _try_lock(conn, host, list_id):
        if time.monotonic() > deadline:
            raise LedgerInUse(
                f"the ledger of list {list_id} on {host} (in the state database {describe(dsn)}) is in use "
                "by another run exporting to the same list; wait for that run to finish (Dagster's "
                "'activecampaign' pool normally serialises them)"
            )
        time.sleep(LOCK_POLL_S)


def _lock_name(host: str, list_id: int) -> str:
    return f"ac_export ledger {host} {list_id}"


def _try_lock(conn: psycopg.Connection, host: str, list_id: int) -> bool:
    row = conn.execute(
        "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [_lock_name(host, list_id)]
    ).fetchone()
    return bool(row and row[0])
