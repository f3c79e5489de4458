"""Tabular metadata as Dagster shows it best: `dg.MetadataValue.table`, with a typed schema."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import dagster as dg

# Dagster's table column types.
ColumnType = str


def table(
    columns: Sequence[tuple[str, ColumnType]], rows: Iterable[Sequence[object]]
) -> dg.TableMetadataValue:
    """A metadata table: `columns` as (name, type) pairs, `rows` in the same order (kept small)."""
    names = [name for name, _ in columns]
    schema = dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in columns])
    records = [dg.TableRecord(dict(zip(names, _cells(row), strict=True))) for row in rows]
    return dg.MetadataValue.table(records, schema=schema)


def _cells(row: Sequence[object]) -> list[str | int | float | bool | None]:
    return [cell if isinstance(cell, str | int | float | bool) or cell is None else str(cell) for cell in row]
