"""A local cache of a list's PostgreSQL ledger, so that a run fetches only the rows that changed.

PostgreSQL stamps every write of a ledger row with the next value of `ac_export_ledger_seq` and
leaves a tombstone of every deletion (triggers, `connection.CHANGE_TRACKING`). The cache, a DuckDB
file per (database, account, list) on the machine running the export, holds the rows with their
stamps and the last stamp it saw; opening the list fetches the tombstones and rows stamped after it
and applies them, so an unchanged run moves no ledger row and a changed one moves only the changes.

It is only a cache: before it is used its fingerprint (rows, sum and max of their stamps) is
compared with PostgreSQL's, computed there, and any difference (a cache from before a restore,
a write that committed out of order, a file damaged or left by a crash) refetches the list whole.
A cache another process holds open is skipped (the run fetches the list whole into its scratch),
never waited for. Two machines keep two caches, each checked against the same database.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ac_export.state import schema
from ac_export.state.ledger import folder_name
from ac_export.state.postgres.transfer import pull

if TYPE_CHECKING:
    import psycopg

CACHED = {**schema.LEDGER.columns, "changed_seq": "BIGINT"}
_CACHE_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS cache.ledger (
    {", ".join(f"{c} {t}" for c, t in CACHED.items())}, PRIMARY KEY (email)
);
CREATE TABLE IF NOT EXISTS cache.cache_meta (last_seq BIGINT NOT NULL);
"""


def cache_path(conn: psycopg.Connection, cache_dir: Path, host: str, list_id: int) -> Path:
    """The cache file of a list under `cache_dir` (settings' AC_EXPORT_LEDGER_CACHE_DIR).

    Under the database's epoch, so a fresh database gets a fresh folder.
    """
    row = conn.execute("SELECT value FROM ac_export_state_meta WHERE name = 'epoch'").fetchone()
    epoch = str(row[0]) if row else "unknown"
    return cache_dir / epoch / folder_name(host) / f"list_{list_id}.duckdb"


def load_ledger(
    conn: psycopg.Connection,
    con: duckdb.DuckDBPyConnection,
    key: tuple[str, int],
    scratch: Path,
    cache_dir: Path | None,
) -> str:
    """Fill `con`'s `ledger` with the list's PostgreSQL rows, through the cache under `cache_dir` if any.

    Returns how: `delta` (changes only), `full` (the cache refilled) or `uncached` (no cache used).
    Runs inside the caller's repeatable-read transaction, so every read sees one snapshot.
    """
    if cache_dir is not None and _attach(con, cache_path(conn, cache_dir, *key)):
        try:
            how = _refresh(conn, con, key, scratch)
            names = ", ".join(schema.LEDGER.columns)
            con.execute(f"INSERT INTO ledger ({names}) SELECT {names} FROM cache.ledger")
            return how
        finally:
            con.execute("DETACH cache")
    pull(conn, _rows_query(key, schema.LEDGER.columns, None), con, "ledger", schema.LEDGER.columns, scratch)
    return "uncached"


def _attach(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Attach the cache file as `cache`; False when another process holds it (or it is unreadable)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"ATTACH '{_literal(path)}' AS cache")
    except (OSError, duckdb.Error):
        return False
    try:
        con.execute(_CACHE_SCHEMA)
    except duckdb.Error:
        con.execute("DETACH cache")
        return False
    return True


def _refresh(
    conn: psycopg.Connection, con: duckdb.DuckDBPyConnection, key: tuple[str, int], scratch: Path
) -> str:
    """Bring the attached cache up to PostgreSQL's snapshot: the changes since its mark, else everything."""
    row = con.execute("SELECT max(last_seq) FROM cache.cache_meta").fetchone()
    last = None if row is None or row[0] is None else int(row[0])
    server = server_fingerprint(conn, key)
    how = "full"
    con.execute("BEGIN TRANSACTION")
    try:
        if last is not None and last <= server[3]:
            _apply_changes(conn, con, key, scratch, last)
            how = "delta"
        if how == "full" or _local_fingerprint(con) != server[:3]:
            con.execute("DELETE FROM cache.ledger")
            pull(conn, _rows_query(key, CACHED, None), con, "cache.ledger", CACHED, scratch)
            how = "full"
        con.execute("DELETE FROM cache.cache_meta")
        con.execute("INSERT INTO cache.cache_meta VALUES (?)", [server[3]])
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return how


def _apply_changes(
    conn: psycopg.Connection, con: duckdb.DuckDBPyConnection, key: tuple[str, int], scratch: Path, last: int
) -> None:
    """Delete the rows deleted since `last`, then upsert those written since (re-added after a tombstone)."""
    from psycopg import sql

    con.execute("CREATE OR REPLACE TEMP TABLE cache_gone (email VARCHAR)")
    gone = sql.SQL(
        "SELECT email FROM ac_export_ledger_gone WHERE host = {} AND list_id = {} AND changed_seq > {}"
    )
    pull(
        conn,
        gone.format(sql.Literal(key[0]), sql.Literal(key[1]), sql.Literal(last)),
        con,
        "cache_gone",
        {"email": "VARCHAR"},
        scratch,
    )
    con.execute("DELETE FROM cache.ledger WHERE email IN (SELECT email FROM cache_gone)")
    con.execute("CREATE OR REPLACE TEMP TABLE cache_changed AS SELECT * FROM cache.ledger LIMIT 0")
    pull(conn, _rows_query(key, CACHED, last), con, "cache_changed", CACHED, scratch)
    names = ", ".join(CACHED)
    con.execute(f"INSERT OR REPLACE INTO cache.ledger ({names}) SELECT {names} FROM cache_changed")
    con.execute("DROP TABLE cache_gone; DROP TABLE cache_changed")


def _rows_query(key: tuple[str, int], columns: dict[str, str], after: int | None) -> psycopg.sql.Composable:
    from psycopg import sql

    query = sql.SQL("SELECT {} FROM ac_export_ledger WHERE host = {} AND list_id = {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Literal(key[0]), sql.Literal(key[1])
    )
    if after is None:
        return query
    return query + sql.SQL(" AND changed_seq > {}").format(sql.Literal(after))


def server_fingerprint(conn: psycopg.Connection, key: tuple[str, int]) -> tuple[int, int, int, int]:
    """(rows, sum of stamps, max stamp) of the list's ledger, and the last stamp of any of its changes."""
    row = conn.execute(
        """
        SELECT count(*), coalesce(sum(changed_seq), 0)::text, coalesce(max(changed_seq), 0),
               greatest(coalesce(max(changed_seq), 0),
                        (SELECT coalesce(max(changed_seq), 0) FROM ac_export_ledger_gone
                         WHERE host = %(host)s AND list_id = %(list_id)s))
        FROM ac_export_ledger WHERE host = %(host)s AND list_id = %(list_id)s
        """,
        {"host": key[0], "list_id": key[1]},
    ).fetchone()
    assert row is not None  # an aggregate always answers one row
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def _local_fingerprint(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    row = con.execute(
        "SELECT count(*), coalesce(sum(changed_seq), 0), coalesce(max(changed_seq), 0) FROM cache.ledger"
    ).fetchone()
    assert row is not None  # an aggregate always answers one row
    return int(row[0]), int(row[1]), int(row[2])


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
