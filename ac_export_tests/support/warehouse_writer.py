"""Replace one warehouse table over and over from its own process, for tests of concurrent writers.

`python -m ac_export_tests.support.warehouse_writer ROOT TABLE WRITER ROWS REPEATS`: even writers
go through Polars (`write_frame`), odd ones through DuckDB (`write_query`), so both paths are raced.
"""

from __future__ import annotations

import sys

import duckdb
import polars as pl

from ac_export.warehouse import Warehouse


def frame_for(writer: int, rows: int) -> pl.DataFrame:
    """The frame a writer writes: its id on every row, and rows numbered 0..rows-1."""
    return pl.DataFrame(
        {"writer": [writer] * rows, "n": list(range(rows))}, schema={"writer": pl.Int64, "n": pl.Int64}
    )


def is_complete(frame: pl.DataFrame, rows_of: dict[int, int]) -> bool:
    """Whether a frame read back is exactly one writer's whole frame."""
    writers = frame["writer"].unique().to_list()
    if len(writers) != 1 or writers[0] not in rows_of:
        return False
    expected = rows_of[writers[0]]
    return frame.height == expected and frame["n"].sort().to_list() == list(range(expected))


def write(warehouse: Warehouse, table: str, writer: int, rows: int) -> None:
    """One replacement of the table by this writer."""
    if writer % 2 == 0:
        warehouse.write_frame(table, frame_for(writer, rows))
        return
    with duckdb.connect(":memory:") as con:
        warehouse.write_query(table, con, f"SELECT {writer}::BIGINT AS writer, range AS n FROM range({rows})")


def main() -> int:
    """Entry point: replace the table REPEATS times."""
    root, table, writer, rows, repeats = sys.argv[1:6]
    warehouse = Warehouse(root)
    for _ in range(int(repeats)):
        write(warehouse, table, int(writer), int(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
