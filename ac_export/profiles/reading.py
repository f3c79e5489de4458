"""Reading a configured file (CSV, JSON lines, Parquet) into DuckDB: records numbered, failures kept.

A read yields two tables in the connection: `<table>` with `_row` (1-based record number, the header
not counted) and the requested columns, text as VARCHAR (Parquet keeps its own types), and
`<table>_rejected` with `row`, `reason` and `raw` for records that could not be split into columns.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ac_export.errors import UserError
from ac_export.profiles.snapshot import UnstableSourceError, stable_read
from ac_export.profiles.sources_config import FileSource

RAW_TEXT_LIMIT = 300
# DuckDB gives up on a CSV before reading any record when its first lines do not parse as configured.
SNIFF_HINT = (
    " (look for a quote that is never closed, text after a closing quote, a line over 2 MB, or a "
    "delimiter or encoding other than sources.yaml says; nothing was loaded)"
)
_CHUNK_CHARS = 1 << 20


class SourceFileError(UserError):
    """A source file cannot be read as configured: missing, wrong encoding, or lacking a named column."""


@dataclass(frozen=True)
class RawRead:
    """What a read produced: table names in the connection and how many records the file held."""

    table: str
    rejected: str
    raw_text_sql: str
    rows_read: int


def quote_ident(name: str) -> str:
    """A SQL identifier in double quotes, inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """A SQL string literal, inner quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def read_raw(
    con: duckdb.DuckDBPyConnection, source: FileSource, path: Path, columns: list[str], table: str
) -> RawRead:
    """Read a file's records and named columns into `table`; unsplittable ones go to `<table>_rejected`."""
    if not path.exists():
        raise SourceFileError(f"{path}: file not found; fix 'path' in sources.yaml or add the file")
    if path.is_dir():
        raise SourceFileError(f"{path}: is a folder, not a file; point 'path' in sources.yaml at the file")
    if path.stat().st_size == 0:
        raise SourceFileError(f"{path}: the file is empty (no header, no records); nothing was loaded")
    wanted = list(dict.fromkeys(columns))
    try:
        with (
            stable_read(path, source.format, final_line_break=source.final_line_break),
            _utf8_copy(path, source.encoding) as readable,
        ):
            if source.format == "csv":
                return _read_csv(con, source, readable, wanted, table)
            if source.format == "jsonl":
                return _read_jsonl(con, readable, wanted, table, shown=path)
            return _read_parquet(con, path, wanted, table)
    except UnstableSourceError as exc:
        raise SourceFileError(str(exc)) from None
    except OSError as exc:
        problem = f"cannot be read ({exc.strerror}); check the file and its permissions"
        raise SourceFileError(f"{path}: {problem}") from None
    except (duckdb.BinderException, duckdb.ConversionException, duckdb.NotImplementedException) as exc:
        # Options DuckDB cannot combine, or a file it cannot make sense of as configured.
        raise SourceFileError(
            f"{path}: cannot be read as {source.format} with the options in sources.yaml: "
            f"{str(exc).strip().splitlines()[0][:300]}; check format, delimiter, quote and encoding"
        ) from None
    except (duckdb.InvalidInputException, duckdb.IOException) as exc:
        lines = str(exc).strip().splitlines()
        # DuckDB's first line says where; a later one says why a line was too long (the lines between
        # repeat the record, which can be megabytes).
        detail = "; ".join([lines[0], *(line for line in lines if line.startswith("Maximum line size"))])
        raise SourceFileError(
            f"{path}: cannot be read as {source.format} with the options in sources.yaml: {detail}"
            f"{SNIFF_HINT if 'sniffing' in lines[0] else ''}"
        ) from None


@contextmanager
def _utf8_copy(path: Path, encoding: str) -> Iterator[Path]:
    """The file itself when UTF-8, else a temporary UTF-8 copy streamed in chunks (DuckDB reads UTF-8)."""
    if encoding == "utf-8":
        yield path
        return
    folder = Path(tempfile.mkdtemp(prefix="ac_export_read_"))
    target = folder / path.name
    try:
        with (
            path.open("r", encoding=encoding, newline="") as src,
            target.open("w", encoding="utf-8", newline="") as dst,
        ):
            shutil.copyfileobj(src, dst, _CHUNK_CHARS)
    except UnicodeError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise SourceFileError(
            f"{path}: not valid {encoding} text ({exc}); fix 'encoding' in sources.yaml"
        ) from None
    try:
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class MissingColumnsError(SourceFileError):
    """Columns asked for are not in the file; `missing` and `present` name them."""

    def __init__(self, path: Path, missing: list[str], present: list[str]) -> None:
        super().__init__(
            f"{path}: column(s) {missing} named in sources.yaml are not in the file; it has {present}"
        )
        self.path, self.missing, self.present = path, missing, present


def _require_columns(present: list[str], wanted: list[str], path: Path) -> None:
    missing = [c for c in wanted if c not in present]
    if missing:
        raise MissingColumnsError(path, missing, present)


def _csv_scan(source: FileSource, path: Path, table: str) -> str:
    options = {
        "header": "true" if source.header else "false",
        "delim": quote_literal(source.delimiter),
        "quote": quote_literal(source.quote),
        # RFC 4180: a quote inside a quoted field is written twice.
        "escape": quote_literal(source.quote),
        # No comment character: the sniffer would otherwise drop records whose first field starts with '#'.
        "comment": "''",
        "all_varchar": "true",
        "store_rejects": "true",
        "rejects_table": quote_literal(f"{table}_errors"),
        "rejects_scan": quote_literal(f"{table}_scans"),
    }
    rendered = ", ".join(f"{key} = {value}" for key, value in options.items())
    return f"read_csv({quote_literal(str(path))}, {rendered})"


def _read_csv(
    con: duckdb.DuckDBPyConnection, source: FileSource, path: Path, wanted: list[str], table: str
) -> RawRead:
    scan = _csv_scan(source, path, table)
    present = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
    _require_columns(present, wanted, path)
    selected = ", ".join(quote_ident(c) for c in present)
    # The scan keeps file order (DuckDB preserves insertion order), so row_number() is the ordinal
    # among the records it could split; rejected records are then slotted back in by the line DuckDB
    # reports. That is exact while records are one line each: DuckDB counts a blank line or a line
    # break inside a quoted field differently in reports than in scans, shifting later numbers.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT row_number() OVER () AS _row, {selected} FROM {scan}"
    )
    header_lines = 1 if source.header else 0
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table}_rejected AS
        SELECT CAST(line - {header_lines} AS BIGINT) AS row,
               string_agg(DISTINCT {_csv_reason_sql()}, '; ') AS reason,
               left(first(csv_line), {RAW_TEXT_LIMIT}) AS raw
        FROM {table}_errors GROUP BY line
    """)
    if _count(con, f"{table}_rejected"):
        _renumber_around_rejects(con, table)
    fields = ", ".join(f"coalesce({quote_ident(c)}, '')" for c in present)
    raw = f"concat_ws({quote_literal(source.delimiter)}, {fields})"
    return RawRead(table, f"{table}_rejected", raw, _count(con, table) + _count(con, f"{table}_rejected"))


def _renumber_around_rejects(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Turn accepted ordinals into record numbers: accepted ordinal i sits after every rejected
    record with fewer accepted records before it."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table}_shift AS
        SELECT row - row_number() OVER (ORDER BY row) AS accepted_before,
               row_number() OVER (ORDER BY row) AS rejected_so_far
        FROM {table}_rejected
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table}_numbers AS
        SELECT a._row AS ordinal, a._row + coalesce(s.rejected_so_far, 0) AS record
        FROM (SELECT _row FROM {table}) a ASOF LEFT JOIN (
            SELECT accepted_before, max(rejected_so_far) AS rejected_so_far FROM {table}_shift GROUP BY 1
        ) s ON a._row > s.accepted_before
    """)
    con.execute(f"UPDATE {table} SET _row = n.record FROM {table}_numbers n WHERE {table}._row = n.ordinal")


def _csv_reason_sql() -> str:
    return """CASE error_type
        WHEN 'MISSING COLUMNS' THEN 'too few columns (' || lower(error_message) || ')'
        WHEN 'TOO MANY COLUMNS' THEN 'too many columns (' || lower(error_message) || ')'
        WHEN 'UNQUOTED VALUE' THEN 'text after a closing quote: quote the whole field and double inner quotes'
        WHEN 'INVALID ENCODING' THEN 'bytes that are not valid text in the configured encoding'
        WHEN 'LINE SIZE OVER MAXIMUM' THEN 'record too long (an unclosed quote?)'
        ELSE 'could not split the record into columns: ' || error_message END"""


def _read_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, wanted: list[str], table: str, shown: Path
) -> RawRead:
    # An empty delimiter and no quoting read each physical line whole, so the line number is the row.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table}_lines AS
        SELECT row_number() OVER () AS _row, line FROM read_csv({quote_literal(str(path))},
            columns = {{'line': 'VARCHAR'}}, header = false, delim = '', quote = '', escape = '',
            auto_detect = false)
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table}_lines_typed AS
        SELECT _row, line,
               CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE false END AS is_object
        FROM {table}_lines WHERE trim(coalesce(line, '')) <> ''
    """)
    keys = {
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT unnest(json_keys(line::JSON)) FROM {table}_lines_typed WHERE is_object"
        ).fetchall()
    }
    _require_columns(sorted(keys), wanted, shown)
    extracted = ", ".join(
        f"json_extract_string(line, {quote_literal('$.' + _json_path_key(c))}) AS {quote_ident(c)}"
        for c in wanted
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT _row, {extracted}, line AS _line "
        f"FROM {table}_lines_typed WHERE is_object"
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table}_rejected AS
        SELECT _row AS row, 'not a JSON object on one line' AS reason, left(line, {RAW_TEXT_LIMIT}) AS raw
        FROM {table}_lines_typed WHERE NOT is_object
    """)
    return RawRead(table, f"{table}_rejected", "_line", _count(con, table) + _count(con, f"{table}_rejected"))


def _json_path_key(column: str) -> str:
    return '"' + column.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, wanted: list[str], table: str) -> RawRead:
    scan = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"
    present = [
        row[0] for row in con.execute(f"DESCRIBE SELECT * EXCLUDE (file_row_number) FROM {scan}").fetchall()
    ]
    _require_columns(present, wanted, path)
    selected = ", ".join(quote_ident(c) for c in wanted)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT file_row_number + 1 AS _row, {selected} FROM {scan}"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_rejected (row BIGINT, reason VARCHAR, raw VARCHAR)")
    struct = ", ".join(f"{quote_literal(c)}: {quote_ident(c)}" for c in wanted)
    return RawRead(table, f"{table}_rejected", f"CAST({{{struct}}} AS VARCHAR)", _count(con, table))


def column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name → DuckDB type of a table in the connection."""
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE {table}").fetchall()}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
