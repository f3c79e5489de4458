"""Loading one configured source file into the warehouse: typed records, rejected rows, invalid values.

Tables written for a profile source `<name>` (activities write the same under `activities/`):
- `sources/<name>`: `source_key`, one typed column per mapped attribute, `_row` (rows are not
  sorted: sorting a million wide rows costs more than the whole parse; `_row` gives file order);
- `sources/<name>__rejected`: `row`, `reason`, `raw` — records that cannot stand (unsplittable,
  no key, a key already taken); the first record with a key wins;
- `sources/<name>__invalid_values`: `row`, `column`, `value`, `reason` — values that did not parse
  and were set to NULL while the record was kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ac_export import contracts
from ac_export.profiles.parsing import given_sql, problem_sql, text_sql, typed_sql
from ac_export.profiles.reading import (
    RAW_TEXT_LIMIT,
    SourceFileError,
    column_types,
    quote_ident,
    quote_literal,
    read_raw,
)
from ac_export.profiles.reasons import capped_reason_sql
from ac_export.profiles.snapshot import row_drop_problem
from ac_export.profiles.sources_config import ActivitySource, FileSource, ProfileSource
from ac_export.warehouse import Warehouse

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class IngestReport:
    """Counts of one source load, for metadata and logs."""

    table: str
    rows_read: int
    accepted: int
    rejected: int
    invalid_values: int
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    invalid_by_column: dict[str, int] = field(default_factory=dict)
    rejected_sample: list[tuple[int, str]] = field(default_factory=list)
    unlinked: int | None = None


def open_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection without the progress bar (it would litter run logs)."""
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    return con


def ingest_profile_source(
    warehouse: Warehouse, name: str, source: ProfileSource, data_dir: Path
) -> IngestReport:
    """Read a profile source file and write `sources/<name>` with its rejected rows and invalid values."""
    with open_connection() as con:
        _stage(con, source, source.resolve_path(data_dir), link_column=None)
        hold_sharp_drop(con, warehouse, f"sources/{name}", source, source.resolve_path(data_dir))
        select = f"SELECT _key AS source_key, {_attribute_list(source)}, _row FROM typed"
        return _write(con, warehouse, contracts.source_table(name), select, source)


def ingest_activity_source(
    warehouse: Warehouse, name: str, source: ActivitySource, data_dir: Path
) -> IngestReport:
    """Read an activity file and write `activities/<name>`, each row linked to a profile source's key."""
    with open_connection() as con:
        _stage(con, source, source.resolve_path(data_dir), link_column=source.links_to.column)
        hold_sharp_drop(con, warehouse, f"activities/{name}", source, source.resolve_path(data_dir))
        select = (
            f"SELECT _key AS activity_id, {quote_literal(source.links_to.source)} AS profile_source, "
            f"_link AS profile_key, {_attribute_list(source)}, _row FROM typed"
        )
        report = _write(con, warehouse, contracts.activity_table(name), select, source)
        linked_table = contracts.source_table(source.links_to.source)
        if not warehouse.exists(linked_table):
            return report
        unlinked = con.execute(
            f"SELECT count(*) FROM {warehouse.scan(report.table)} a "
            f"ANTI JOIN {warehouse.scan(linked_table)} s ON a.profile_key = s.source_key"
        ).fetchall()[0][0]
        return IngestReport(**{**report.__dict__, "unlinked": int(unlinked)})


def _stage(con: duckdb.DuckDBPyConnection, source: FileSource, path: Path, link_column: str | None) -> None:
    """Read the file into `raw`, type its standing records into `typed`, list the others in `rejected`."""
    wanted = [source.primary_key, *([link_column] if link_column else []), *source.read_columns()]
    raw = read_raw(con, source, path, wanted, "raw")
    link = text_sql(link_column, source) if link_column else "NULL"
    # Keys are judged on a narrow table; the wide records are joined once, to be typed.
    con.execute(f"""
        CREATE TEMP TABLE keys AS
        SELECT _row, _key, _link, min(_row) OVER (PARTITION BY _key) AS _first_row
        FROM (SELECT _row, {text_sql(source.primary_key, source)} AS _key, {link} AS _link FROM raw)
    """)
    con.execute(
        f"CREATE TEMP TABLE key_problems AS SELECT * FROM (SELECT _row, {_key_reason(source, link_column)} "
        "AS reason FROM keys) WHERE reason IS NOT NULL"
    )
    con.execute(f"""
        CREATE TEMP TABLE typed AS
        SELECT k._key, k._link, {_typed_columns(con, source)}, r._row
        FROM raw r JOIN keys k USING (_row) ANTI JOIN key_problems p USING (_row)
    """)
    con.execute(f"""
        CREATE TEMP TABLE rejected AS
        SELECT p._row AS row, {capped_reason_sql("p.reason")} AS reason,
               left({raw.raw_text_sql}, {RAW_TEXT_LIMIT}) AS raw
        FROM key_problems p JOIN raw r USING (_row)
        UNION ALL SELECT row, {capped_reason_sql("reason")}, raw FROM {raw.rejected}
    """)


def hold_sharp_drop(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, table: str, source: FileSource, path: Path
) -> None:
    """Refuse the load (before any write) when it has far fewer records than the previous good one."""
    if source.max_row_drop is None or not warehouse.exists(table):
        return
    previous = int(con.execute(f"SELECT count(*) FROM {warehouse.scan(table)}").fetchall()[0][0])
    current = int(con.execute("SELECT count(*) FROM typed").fetchall()[0][0])
    problem = row_drop_problem(path, table, previous, current, source.max_row_drop)
    if problem:
        raise SourceFileError(problem)


def _key_reason(source: FileSource, link_column: str | None) -> str:
    empty_key = quote_literal(f"primary key column {source.primary_key!r} is empty")
    duplicate = "'duplicate primary key ''' || _key || ''' (first seen at row ' || _first_row || ')'"
    empty_link = quote_literal(f"link column {link_column!r} is empty: the activity names no customer record")
    link_test = f"WHEN _link IS NULL THEN {empty_link}" if link_column else ""
    return f"CASE WHEN _key IS NULL THEN {empty_key} WHEN _row > _first_row THEN {duplicate} {link_test} END"


def _typed_columns(con: duckdb.DuckDBPyConnection, source: FileSource) -> str:
    raw_types = column_types(con, "raw")
    typed = [
        f"{typed_sql(column, m.resolved_type(), source, raw_types[column])} AS {quote_ident(m.attribute)}"
        for column, m in source.mappings()
    ]
    for attribute, combination in source.combine.items():
        parts = ", ".join(text_sql(column, source) for column in combination.concat)
        joined = f"concat_ws({quote_literal(combination.separator)}, {parts})"
        typed.append(f"NULLIF({joined}, '') AS {quote_ident(attribute)}")
    return ", ".join(typed)


def _attribute_list(source: FileSource) -> str:
    return ", ".join(quote_ident(a) for a in source.attributes())


def _invalid_values_sql(con: duckdb.DuckDBPyConnection, source: FileSource) -> str:
    """Values that did not parse: the raw text is there, the typed value is not (text never fails)."""
    raw_types = column_types(con, "raw")
    parts, listed = [], set()
    for column, m in source.mappings():
        kind = m.resolved_type()
        # A column feeding several typed attributes lists each of its invalid values once.
        if (kind == "string" and raw_types[column] == "VARCHAR") or column in listed:
            continue
        listed.add(column)
        reason = problem_sql(column, kind, source, raw_types[column], "_parsed")
        given = given_sql(column, source, raw_types[column])
        parts.append(
            f'SELECT _row AS row, {quote_literal(column)} AS "column", '
            f"left(given, {RAW_TEXT_LIMIT}) AS value, "
            f"reason FROM (SELECT r._row, {given} AS given, {reason} AS reason FROM raw r "
            # Only the parsed column is joined: names compare case-insensitively (Income vs income).
            f"JOIN (SELECT _row, {quote_ident(m.attribute)} AS _parsed FROM typed) t USING (_row)) "
            "WHERE reason IS NOT NULL"
        )
    if not parts:
        return "SELECT CAST(NULL AS BIGINT) AS row, '' AS \"column\", '' AS value, '' AS reason WHERE false"
    return " UNION ALL ".join(parts) + ' ORDER BY row, "column"'


def _write(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, table: str, select: str, source: FileSource
) -> IngestReport:
    accepted = warehouse.write_query(table, con, select)
    rejected = warehouse.write_query(f"{table}__rejected", con, "SELECT * FROM rejected ORDER BY row")
    invalid = warehouse.write_query(f"{table}__invalid_values", con, _invalid_values_sql(con, source))
    by_reason = con.execute(
        "SELECT regexp_extract(reason, '^[^(:'']*') AS kind, count(*) "
        "FROM rejected GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    by_column = con.execute(
        f'SELECT "column", count(*) FROM {warehouse.scan(f"{table}__invalid_values")} '
        "GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    sample = con.execute(f"SELECT row, reason FROM rejected ORDER BY row LIMIT {SAMPLE_SIZE}").fetchall()
    return IngestReport(
        table=table,
        rows_read=accepted + rejected,
        accepted=accepted,
        rejected=rejected,
        invalid_values=invalid,
        rejected_by_reason={str(kind).strip(): int(n) for kind, n in by_reason},
        invalid_by_column={str(column): int(n) for column, n in by_column},
        rejected_sample=[(int(row), str(reason)) for row, reason in sample],
    )
