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

Tombstones do not pile up: each writer's open notes its cache's mark in `ac_export_ledger_caches`
and prunes the list's tombstones that every cache noted in the last `KEEP_DAYS` has seen, recording
the last stamp pruned. A cache behind that stamp (one not seen for `KEEP_DAYS`, or never noted: a
dry run's, an older version's) may have missed a pruned deletion, so it refetches the list whole
before any delta is tried, whatever its fingerprint says.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
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
CREATE TABLE IF NOT EXISTS cache.cache_id (id VARCHAR NOT NULL);
"""
# A cache not noted for this long stops holding tombstones back; it refetches whole when next used.
# Weeks, so that a machine idle over a holiday still fetches only what changed.
KEEP_DAYS = 30


@dataclass(frozen=True)
class Loaded:
    """How a list's rows were loaded (`delta`, `full` or `uncached`), and the cache's id and mark if any."""

    how: str
    cache_id: str | None = None
    seen_seq: int | None = None


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
) -> Loaded:
    """Fill `con`'s `ledger` with the list's PostgreSQL rows, through the cache under `cache_dir` if any.

    How: `delta` (changes only), `full` (the cache refilled) or `uncached` (no cache used).
    Runs inside the caller's repeatable-read transaction, so every read sees one snapshot.
    """
    if cache_dir is not None and _attach(con, cache_path(conn, cache_dir, *key)):
        try:
            how, seen = _refresh(conn, con, key, scratch)
            names = ", ".join(schema.LEDGER.columns)
            con.execute(f"INSERT INTO ledger ({names}) SELECT {names} FROM cache.ledger")
            return Loaded(how, _cache_id(con), seen)
        finally:
            con.execute("DETACH cache")
    pull(conn, _rows_query(key, schema.LEDGER.columns, None), con, "ledger", schema.LEDGER.columns, scratch)
    return Loaded("uncached")


def note_and_prune(conn: psycopg.Connection, key: tuple[str, int], loaded: Loaded) -> int:
    """Note the cache's mark, then prune the tombstones every cache noted lately has seen; returns how many.

    A writer's step (it holds the list's lock), in its own transaction after the load: the marks of
    caches not noted for KEEP_DAYS are forgotten first, so an abandoned machine holds nothing back.
    """
    params = {"host": key[0], "list_id": key[1], "days": KEEP_DAYS}
    with conn.transaction():
        if loaded.cache_id is not None:
            conn.execute(
                """
                INSERT INTO ac_export_ledger_caches (host, list_id, cache_id, seen_seq)
                VALUES (%(host)s, %(list_id)s, %(cache_id)s, %(seen)s)
                ON CONFLICT (host, list_id, cache_id)
                DO UPDATE SET seen_seq = excluded.seen_seq, seen_at = now()
                """,
                params | {"cache_id": loaded.cache_id, "seen": loaded.seen_seq},
            )
        conn.execute(
            "DELETE FROM ac_export_ledger_caches WHERE host = %(host)s AND list_id = %(list_id)s "
            "AND seen_at < now() - make_interval(days => %(days)s)",
            params,
        )
        row = conn.execute(_PRUNE, params).fetchone()
    return int(row[0]) if row else 0


# With no cache left to protect, every tombstone of the list goes (a cache seen later is behind the
# recorded stamp and refetches whole).
_PRUNE = """
WITH horizon AS (
    SELECT coalesce(min(seen_seq), 9223372036854775807) AS seq FROM ac_export_ledger_caches
    WHERE host = %(host)s AND list_id = %(list_id)s
), pruned AS (
    DELETE FROM ac_export_ledger_gone g USING horizon
    WHERE g.host = %(host)s AND g.list_id = %(list_id)s AND g.changed_seq <= horizon.seq
    RETURNING g.changed_seq
), recorded AS (
    INSERT INTO ac_export_ledger_pruned (host, list_id, through_seq)
    SELECT %(host)s, %(list_id)s, max(changed_seq) FROM pruned HAVING count(*) > 0
    ON CONFLICT (host, list_id)
    DO UPDATE SET through_seq = greatest(ac_export_ledger_pruned.through_seq, excluded.through_seq)
)
SELECT count(*) FROM pruned
"""


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
) -> tuple[str, int]:
    """Bring the attached cache up to PostgreSQL's snapshot: the changes since its mark, else everything.

    Returns how, and the mark the cache now holds.
    """
    row = con.execute("SELECT max(last_seq) FROM cache.cache_meta").fetchone()
    last = None if row is None or row[0] is None else int(row[0])
    server = server_fingerprint(conn, key)
    how = "full"
    con.execute("BEGIN TRANSACTION")
    try:
        # Behind the last pruned tombstone, the cache may have missed a deletion: no delta can say.
        if last is not None and server[4] <= last <= server[3]:
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
    return how, server[3]


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


def server_fingerprint(conn: psycopg.Connection, key: tuple[str, int]) -> tuple[int, int, int, int, int]:
    """(rows, sum of stamps, max stamp) of the list's ledger, the last stamp of any of its changes
    (pruned tombstones included, so it never goes back), and the last stamp pruned."""
    row = conn.execute(
        """
        WITH pruned AS (
            SELECT coalesce(max(through_seq), 0) AS seq FROM ac_export_ledger_pruned
            WHERE host = %(host)s AND list_id = %(list_id)s
        )
        SELECT count(*), coalesce(sum(changed_seq), 0)::text, coalesce(max(changed_seq), 0),
               greatest(coalesce(max(changed_seq), 0),
                        (SELECT coalesce(max(changed_seq), 0) FROM ac_export_ledger_gone
                         WHERE host = %(host)s AND list_id = %(list_id)s),
                        (SELECT seq FROM pruned)),
               (SELECT seq FROM pruned)
        FROM ac_export_ledger WHERE host = %(host)s AND list_id = %(list_id)s
        """,
        {"host": key[0], "list_id": key[1]},
    ).fetchone()
    assert row is not None  # an aggregate always answers one row
    return int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4])


def _cache_id(con: duckdb.DuckDBPyConnection) -> str:
    """The attached cache's own id (made on first use), under which PostgreSQL notes its mark."""
    row = con.execute("SELECT min(id) FROM cache.cache_id").fetchone()
    if row is not None and row[0] is not None:
        return str(row[0])
    made = uuid.uuid4().hex
    con.execute("INSERT INTO cache.cache_id VALUES (?)", [made])
    return made


def _local_fingerprint(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    row = con.execute(
        "SELECT count(*), coalesce(sum(changed_seq), 0), coalesce(max(changed_seq), 0) FROM cache.ledger"
    ).fetchone()
    assert row is not None  # an aggregate always answers one row
    return int(row[0]), int(row[1]), int(row[2])


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
