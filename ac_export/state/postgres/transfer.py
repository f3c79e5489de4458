"""Moving rows in bulk between PostgreSQL and a local DuckDB: COPY as CSV through a scratch file.

Set-based both ways (no Python loop over rows): PostgreSQL's COPY streams the rows out, DuckDB's
CSV reader loads them with declared types, and back again through DuckDB's COPY and PostgreSQL's
COPY FROM STDIN. NULL is written `\\N`, so an empty string stays an empty string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import psycopg

CHUNK_BYTES = 1 << 20


@dataclass
class Traffic:
    """Rows and bytes moved between PostgreSQL and this process (what the ledger cache saves)."""

    rows_in: int = 0
    bytes_in: int = 0
    rows_out: int = 0
    bytes_out: int = 0
    # Rows by the DuckDB table filled (`in:cache.ledger`) or the PostgreSQL one (`out:push_ledger`).
    by_table: dict[str, int] = field(default_factory=dict)

    def count(self, direction: str, table: str, rows: int, size: int) -> None:
        """Add one transfer of `rows` rows and `size` bytes, `in` from PostgreSQL or `out` to it."""
        if direction == "in":
            self.rows_in, self.bytes_in = self.rows_in + rows, self.bytes_in + size
        else:
            self.rows_out, self.bytes_out = self.rows_out + rows, self.bytes_out + size
        key = f"{direction}:{table}"
        self.by_table[key] = self.by_table.get(key, 0) + rows


# The process's running totals, read by the benchmarks and the tests of the cache.
TRAFFIC = Traffic()


def pull(
    conn: psycopg.Connection,
    query: psycopg.sql.Composable,
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    scratch: Path,
) -> int:
    """Insert the rows of a PostgreSQL query (columns in `columns` order) into a DuckDB table."""
    from psycopg import sql

    path = scratch / f"pull_{table}.csv"
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, NULL '\\N')").format(query)
    with conn.cursor() as cursor, cursor.copy(statement) as copy, path.open("wb") as out:
        for data in copy:
            out.write(data)
    types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    names = ", ".join(columns)
    try:
        inserted = con.execute(
            f"""
            INSERT INTO {table} ({names})
            SELECT {names} FROM read_csv('{_literal(path)}', columns = {{{types}}}, header = false,
                nullstr = '\\N', quote = '"', escape = '"', auto_detect = false)
            """
        ).fetchone()
        TRAFFIC.count("in", table, int(inserted[0]) if inserted else 0, path.stat().st_size)
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    finally:
        path.unlink(missing_ok=True)


def push(
    con: duckdb.DuckDBPyConnection, select_sql: str, conn: psycopg.Connection, target: str, scratch: Path
) -> None:
    """Copy the rows of a DuckDB query into a PostgreSQL (temporary) table with matching columns."""
    path = scratch / f"push_{target}.csv"
    copied = con.execute(
        f"COPY ({select_sql}) TO '{_literal(path)}' (FORMAT csv, HEADER false, NULLSTR '\\N')"
    ).fetchone()
    TRAFFIC.count("out", target, int(copied[0]) if copied else 0, path.stat().st_size)
    try:
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY {target} FROM STDIN (FORMAT csv, NULL '\\N')") as copy,
            path.open("rb") as source,
        ):
            while chunk := source.read(CHUNK_BYTES):
                copy.write(chunk)
    finally:
        path.unlink(missing_ok=True)


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
