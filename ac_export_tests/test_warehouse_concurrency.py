"""Concurrent and crashing writers of one warehouse table: every version on disk is a whole one.

Writers replace the table by writing a temporary file and renaming it over the old one, so a
reader that opens the file sees the old version or a new one, never a mix, and a writer killed
mid-write leaves the previous version in place.

Readers that open the file more than once during one read (DuckDB's `read_parquet`, Polars given a
path) are safe too: each version is its own immutable file, and `scan`/`read_frame` resolve the
current one once per read.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl

from ac_export.warehouse import Warehouse
from ac_export_tests.support.warehouse_writer import frame_for, is_complete

TABLE = "segments/members/raced"
WRITERS = {1: 20_000, 2: 30_000, 3: 40_000, 4: 50_000}
BIG_ROWS = 3_000_000


def start_writer(root: Path, writer: int, rows: int, repeats: int) -> subprocess.Popen[bytes]:
    """A process replacing the table `repeats` times with writer `writer`'s frame."""
    module = "ac_export_tests.support.warehouse_writer"
    arguments = [str(root), TABLE, str(writer), str(rows), str(repeats)]
    return subprocess.Popen([sys.executable, "-m", module, *arguments], stderr=subprocess.PIPE)


def test_four_processes_replacing_one_table_never_expose_a_partial_version(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    warehouse.write_frame(TABLE, frame_for(0, 10))
    rows_of = {0: 10, **WRITERS}
    writers = [start_writer(warehouse.root, writer, rows, 15) for writer, rows in WRITERS.items()]

    reads, seen = 0, set()
    while any(process.poll() is None for process in writers):
        with warehouse.path(TABLE).open("rb") as version:  # one open file: one version
            frame = pl.read_parquet(version)
        assert is_complete(frame, rows_of), f"a reader saw a partial table: {frame.height} rows"
        seen.add(int(frame["writer"][0]))
        reads += 1

    assert all(process.wait() == 0 for process in writers)
    assert is_complete(warehouse.read_frame(TABLE), rows_of)
    assert reads >= 20 and len(seen) >= 2  # the reader really raced the writers
    assert not list(warehouse.path(TABLE).parent.glob("*.tmp"))  # finished writers leave no debris


def test_a_writer_killed_mid_write_leaves_the_previous_version(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    warehouse.write_frame(TABLE, frame_for(0, 10))
    folder = warehouse.path(TABLE).parent

    for _ in range(3):
        debris = set(folder.glob("*.tmp"))  # what earlier killed writers left behind
        writer = start_writer(warehouse.root, 2, BIG_ROWS, 1)
        while not set(folder.glob("*.tmp")) - debris and writer.poll() is None:
            time.sleep(0.005)
        writer.send_signal(signal.SIGKILL)
        assert writer.wait() == -signal.SIGKILL  # killed mid-write, not finished

        frame = warehouse.read_frame(TABLE)
        assert is_complete(frame, {0: 10, 2: BIG_ROWS})
        assert warehouse.count(TABLE) == frame.height


def test_readers_that_reopen_the_file_never_mix_versions(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    warehouse.write_frame(TABLE, frame_for(0, 10))
    rows_of = {0: 10, **WRITERS}
    writers = [start_writer(warehouse.root, writer, rows, 15) for writer, rows in WRITERS.items()]

    reads, seen = 0, set()
    with duckdb.connect(":memory:") as con:
        while any(process.poll() is None for process in writers):
            frame = con.sql(f"SELECT writer, n FROM {warehouse.scan(TABLE)}").pl()
            assert is_complete(frame, rows_of), f"a DuckDB read mixed versions: {frame.height} rows"
            assert is_complete(warehouse.read_frame(TABLE), rows_of)
            seen.add(int(frame["writer"][0]))
            reads += 1

    assert all(process.wait() == 0 for process in writers)
    assert reads >= 10 and len(seen) >= 2  # the readers really raced the writers
