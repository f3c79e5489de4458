"""The warehouse: a folder of Parquet tables, each replaced atomically, read through DuckDB or Polars.

Every table is one Parquet file written to a temporary name and moved into place with
`os.replace`, so a failed step leaves the previous version and readers never see half a table.
Parquet files take no lock, so Dagster steps in separate processes read and write without
waiting on each other; mutable export state lives in per-list ledgers (`ledger/`).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ac_export import settings

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*$")


class Warehouse:
    """A folder of Parquet tables addressed by names such as `profiles/unified_profiles`."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else settings.warehouse_dir()

    def path(self, name: str) -> Path:
        """The Parquet file behind a table name; names are checked so none escapes the root."""
        if not _TABLE_NAME.match(name) or ".." in name:
            raise ValueError(f"invalid warehouse table name {name!r}")
        return self.root / f"{name}.parquet"

    def exists(self, name: str) -> bool:
        """Whether a table has been written."""
        return self.path(name).exists()

    @contextmanager
    def _atomic_target(self, name: str) -> Iterator[Path]:
        final = self.path(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        try:
            yield temporary
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)

    def write_frame(self, name: str, frame: pl.DataFrame) -> int:
        """Replace a table with a Polars frame; returns the row count."""
        with self._atomic_target(name) as target:
            frame.write_parquet(target)
        return frame.height

    def write_query(
        self,
        name: str,
        con: duckdb.DuckDBPyConnection,
        sql: str,
        params: list[object] | dict[str, object] | None = None,
    ) -> int:
        """Replace a table with the result of a DuckDB query; returns the row count."""
        with self._atomic_target(name) as target:
            con.execute(
                f"COPY ({sql}) TO '{_sql_path(target)}' (FORMAT parquet, COMPRESSION zstd)",
                params or [],
            )
        return self.count(name, con)

    def count(self, name: str, con: duckdb.DuckDBPyConnection | None = None) -> int:
        """Row count of a table, from the Parquet footer."""
        query = f"SELECT count(*) FROM read_parquet('{_sql_path(self.path(name))}')"
        return int(scalar(con or duckdb.connect(":memory:"), query) or 0)

    def read_frame(self, name: str) -> pl.DataFrame:
        """Read a whole table as a Polars frame."""
        return pl.read_parquet(self.path(name))

    def scan(self, name: str) -> str:
        """A DuckDB table expression for a table, for use in FROM clauses."""
        return f"read_parquet('{_sql_path(self.path(name))}')"

    def connect(self, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
        """A fresh in-memory DuckDB connection for computing over warehouse tables."""
        con = duckdb.connect(":memory:")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        return con


def scalar(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | dict[str, object] | None = None
) -> Any:
    """The single value a query returns (None for no rows), fetched completely.

    DuckDB 2 refuses new work on a connection whose last result was not fully fetched, which
    `fetchone()` leaves behind.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def _sql_path(path: Path) -> str:
    """A path as a single-quoted SQL literal body (quotes doubled)."""
    return str(path).replace("'", "''")
