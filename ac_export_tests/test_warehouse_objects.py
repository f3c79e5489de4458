"""The warehouse on object storage (a local S3-compatible server): versions replaced whole, never mixed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ac_export import warehouse as warehouse_module
from ac_export.warehouse import Warehouse
from ac_export_tests.support.warehouse_writer import frame_for, is_complete

TABLE = "segments/members/raced"
WRITERS = {1: 20_000, 2: 30_000}


def test_tables_round_trip_through_object_storage(s3_warehouse_url: str) -> None:
    warehouse = Warehouse(s3_warehouse_url)
    assert not warehouse.exists("profiles/unified_profiles")

    warehouse.write_frame("profiles/unified_profiles", pl.DataFrame({"customer_id": ["a", "b"]}))
    with duckdb.connect() as con:
        written = warehouse.write_query("exports/x/rejections", con, "SELECT range AS n FROM range(5)")

    elsewhere = Warehouse(s3_warehouse_url)  # another host: its own cache, the same bucket
    elsewhere.root = elsewhere.root.with_name(elsewhere.root.name + "-other")
    assert elsewhere.exists("profiles/unified_profiles")
    assert elsewhere.read_frame("profiles/unified_profiles")["customer_id"].to_list() == ["a", "b"]
    assert written == 5
    with duckdb.connect() as con:
        total = con.execute(f"SELECT sum(n) FROM {elsewhere.scan('exports/x/rejections')}").fetchall()
    assert total == [(10,)]
    assert warehouse.ledger_root is None  # no DuckDB ledger files on object storage


def test_a_failed_write_leaves_the_previous_version(s3_warehouse_url: str) -> None:
    warehouse = Warehouse(s3_warehouse_url)
    warehouse.write_frame(TABLE, frame_for(1, 10))

    with duckdb.connect() as con, pytest.raises(duckdb.Error):
        warehouse.write_query(TABLE, con, "SELECT error('the step failed')")

    assert is_complete(Warehouse(s3_warehouse_url).read_frame(TABLE), {1: 10})


def test_superseded_versions_are_pruned(s3_warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warehouse_module, "KEEP_SECONDS", 0.0)
    warehouse = Warehouse(s3_warehouse_url)
    for writer in range(6):
        warehouse.write_frame(TABLE, frame_for(writer, 10))
    import obstore
    from obstore.store import from_url

    names = [item["path"] for batch in obstore.list(from_url(s3_warehouse_url)) for item in batch]
    versions = [name for name in names if ".v" in name and name.startswith("segments/members/raced")]
    assert len(versions) == warehouse_module.KEEP_VERSIONS + 1
    assert is_complete(warehouse.read_frame(TABLE), {5: 10})


def test_concurrent_writers_in_other_processes_never_expose_a_mixed_version(
    s3_warehouse_url: str, tmp_path: Path
) -> None:
    warehouse = Warehouse(s3_warehouse_url)
    warehouse.write_frame(TABLE, frame_for(0, 10))
    module = "ac_export_tests.support.warehouse_writer"
    # Writers cache elsewhere (as on other hosts), so every version the reader sees comes from the bucket.
    env = {**os.environ, "AC_EXPORT_WAREHOUSE_CACHE": str(tmp_path / "writers-cache")}
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", module, s3_warehouse_url, TABLE, str(writer), str(rows), "6"],
            stderr=subprocess.PIPE,
            env=env,
        )
        for writer, rows in WRITERS.items()
    ]
    reads, seen = 0, set()
    while any(w.poll() is None for w in writers) or reads < 5:
        frame = warehouse.read_frame(TABLE)
        assert is_complete(frame, {0: 10, **WRITERS})
        seen.add(int(frame["writer"][0]))
        reads += 1
        time.sleep(0.05)
    for writer in writers:
        _, errors = writer.communicate(timeout=60)
        assert writer.returncode == 0, errors.decode()
    assert len(seen) >= 2  # the reads saw the table change while it was being replaced
