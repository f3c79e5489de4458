"""The warehouse: a folder of Parquet tables, each replaced atomically, read through DuckDB or Polars.

Every write of a table makes a new, never-modified version file (`<table>.v<time>-<id>.parquet`),
then moves a small pointer file (`<table>.current`) onto it with `os.replace`. A reader resolves
the pointer once and reads one immutable file, so it sees a whole version even when it opens the
file several times (DuckDB's `read_parquet` does) while another process replaces the table; a
failed or killed writer leaves the previous version current. Superseded versions are deleted once
they are both old and not among the last few, so a slow reader is never pulled out from under.
Parquet files take no lock, so Dagster steps in separate processes read and write without waiting
on each other; mutable export state lives in per-list ledgers (`ledger/`, or PostgreSQL).

The same scheme works on object storage: `AC_EXPORT_WAREHOUSE=s3://bucket/prefix` (see
`object_store.py`), with the versions read cached locally.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ac_export import settings
from ac_export.object_store import ObjectTables, cache_dir, is_object_url

_TABLE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*$")
# Superseded versions kept for readers still on them: the newest few, and any younger than this.
KEEP_VERSIONS = 3
KEEP_SECONDS = 600.0


class Warehouse:
    """A folder or object-storage URL of Parquet tables, named like `profiles/unified_profiles`.

    On object storage (`s3://bucket/prefix`), `root` is the local cache of the versions read.
    """

    def __init__(self, root: Path | str | None = None, *, cache: Path | None = None) -> None:
        if root is None or cache is None:
            # Only the edges (CLI, definitions, demo) leave them out: their settings say where.
            edge = settings.current()
            root = edge.warehouse_location if root is None else root
            cache = edge.warehouse_cache if cache is None else cache
        location = str(root)
        self._objects: ObjectTables | None = None
        if is_object_url(location):
            self._objects = ObjectTables(location)
            self.root = cache_dir(location, cache)
        else:
            self.root = Path(location)

    @property
    def location(self) -> str:
        """The folder or URL the tables live in, as configured."""
        return self._objects.url if self._objects else str(self.root)

    @property
    def ledger_root(self) -> Path | None:
        """Where embedded ledger files live: the warehouse folder (none on object storage)."""
        return None if self._objects else self.root

    def _base(self, name: str) -> Path:
        if not _TABLE_NAME.match(name) or ".." in name:
            raise ValueError(f"invalid warehouse table name {name!r}")
        return self.root / name

    def _pointer(self, name: str) -> Path:
        base = self._base(name)
        return base.with_name(f"{base.name}.current")

    def path(self, name: str) -> Path:
        """The Parquet file of a table's current version (names are checked so none escapes the root)."""
        if self._objects:
            return self._cached_version(name, self._objects)
        pointer = self._pointer(name)
        try:
            return pointer.with_name(pointer.read_text(encoding="utf-8").strip())
        except FileNotFoundError:
            return pointer.with_name(f"{self._base(name).name}.missing.parquet")

    def _cached_version(self, name: str, objects: ObjectTables) -> Path:
        """The current version's local copy: the pointer is read once, the version fetched if not cached."""
        base = self._base(name)
        version = objects.current(name)
        if version is None:
            return base.with_name(f"{base.name}.missing.parquet")
        cached = base.with_name(version)
        if not cached.exists():
            objects.download(name.rpartition("/")[0], version, cached)
        return cached

    def exists(self, name: str) -> bool:
        """Whether a table has been written."""
        if self._objects:
            self._base(name)  # checks the name
            return self._objects.current(name) is not None
        return self._pointer(name).exists()

    @contextmanager
    def _atomic_target(self, name: str) -> Iterator[Path]:
        """A temporary file to write a new version to; it becomes current only if the write succeeds."""
        base = self._base(name)
        base.parent.mkdir(parents=True, exist_ok=True)
        version = base.with_name(f"{base.name}.v{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet")
        temporary = version.with_name(f".{version.name}.tmp")
        pointer_temporary = base.with_name(f".{base.name}.current.{uuid.uuid4().hex}.tmp")
        try:
            yield temporary
            if self._objects:
                self._objects.publish(name, version.name, temporary)
            os.replace(temporary, version)  # on object storage: the local cache of the new version
            if not self._objects:
                pointer_temporary.write_text(version.name, encoding="utf-8")
                os.replace(pointer_temporary, self._pointer(name))
        finally:
            temporary.unlink(missing_ok=True)
            pointer_temporary.unlink(missing_ok=True)
        if self._objects:
            self._objects.prune(name, _version_pattern(base), version.name, KEEP_VERSIONS, KEEP_SECONDS)
        self._prune(base, current=version)

    def _prune(self, base: Path, current: Path) -> None:
        pattern = _version_pattern(base)
        versions = sorted(p for p in base.parent.iterdir() if pattern.match(p.name) and p != current)
        cutoff = time.time() - KEEP_SECONDS
        for old in versions[: max(len(versions) - KEEP_VERSIONS, 0)]:
            try:
                if old.stat().st_mtime < cutoff:
                    old.unlink()
            except FileNotFoundError:
                continue  # another writer pruned it first

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


def _version_pattern(base: Path) -> re.Pattern[str]:
    """File names of a table's versions."""
    return re.compile(rf"^{re.escape(base.name)}\.v\d{{20}}-[0-9a-f]{{8}}\.parquet$")


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
