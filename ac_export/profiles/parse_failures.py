"""Values that failed to parse, per source and attribute: counts, shapes of a few, and a hint.

A value that does not parse becomes NULL while its record is kept (see `parsing`); this module
makes that loss visible. For each mapped attribute it counts the values the file gave and those
lost: typed attributes (dates, timestamps, numbers, booleans) whose text did not parse, emails
without the shape of an address, phones with too few or too many digits. Samples are shapes, not
values (`19870513` → `99999999`, `Ann@x.com` → `aaa@a.aaa`), so no personal data reaches logs or
metadata, and a hint names the likely cause (for dates, the format most failed values match).
Everything is computed in DuckDB over the warehouse tables the load wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ac_export.config.loading import ConfigError
from ac_export.profiles.phones import PHONE_MAP, map_phones
from ac_export.profiles.reading import quote_ident, quote_literal
from ac_export.profiles.sources_config import ColumnMapping, FileSource, load_sources_config
from ac_export.profiles.unify_config import load_unify_config
from ac_export.warehouse import Warehouse

SAMPLE_COUNT = 3
SAMPLE_CHARS = 24
# Formats tried on dates and timestamps that failed, to say which one the file uses.
CANDIDATE_FORMATS = (
    "%Y%m%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d",
)
# A loose shape: the exporter's validator is the judge of emails.
_EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@dataclass(frozen=True)
class AttributeFailures:
    """How many of one attribute's given values were lost, what they look like, and a likely cause."""

    column: str
    attribute: str
    kind: str
    given: int
    failed: int
    shapes: tuple[str, ...]
    hint: str

    @property
    def share(self) -> float:
        """Failed values as a share of the values the file gave (0 when it gave none)."""
        return self.failed / self.given if self.given else 0.0


def shape_sql(value_sql: str) -> str:
    """A value's shape: digits as 9, letters as a, other characters kept, cut to SAMPLE_CHARS."""
    digits = f"regexp_replace(left({value_sql}, {SAMPLE_CHARS}), '[0-9]', '9', 'g')"
    return rf"regexp_replace({digits}, '\pL', 'a', 'g')"


def parse_failures(
    warehouse: Warehouse, table: str, source: FileSource, phone_region: str | None = None
) -> list[AttributeFailures]:
    """Per mapped attribute of a loaded source table: values given, values lost, shapes and a hint.

    Phones are judged by the phone map unification uses (`phones`), in `phone_region`; without a
    region (unify.yaml unreadable) they are not judged.
    """
    with warehouse.connect() as con:
        found = [_typed(con, warehouse, table, source, c, m) for c, m in _typed_columns(source)]
        for column, mapping in source.mappings():
            if mapping.attribute == "email":
                found.append(_emails(con, warehouse.scan(table), column, mapping.attribute))
            elif mapping.attribute == "phone" and phone_region:
                found.append(_phones(con, warehouse.scan(table), column, mapping.attribute, phone_region))
    return found


def _typed_columns(source: FileSource) -> list[tuple[str, ColumnMapping]]:
    # A column feeding several typed attributes lists its invalid values once (ingest), so once here.
    typed = {c: m for c, m in reversed(source.mappings()) if m.resolved_type() != "string"}
    return list(reversed(typed.items()))


def _typed(
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    table: str,
    source: FileSource,
    column: str,
    mapping: ColumnMapping,
) -> AttributeFailures:
    invalid_table = warehouse.scan(f"{table}__invalid_values")
    invalid = f'(SELECT value FROM {invalid_table} WHERE "column" = {quote_literal(column)})'
    kept, failed, shapes = con.execute(f"""
        SELECT (SELECT count({quote_ident(mapping.attribute)}) FROM {warehouse.scan(table)}),
               (SELECT count(*) FROM {invalid}),
               (SELECT list(DISTINCT {shape_sql("value")}) FROM (SELECT value FROM {invalid} LIMIT 200))
    """).fetchall()[0]
    kind = mapping.resolved_type()
    hint = _hint(con, invalid, kind, source) if failed else ""
    return AttributeFailures(
        column, mapping.attribute, kind, int(kept) + int(failed), int(failed), _few(shapes), hint
    )


def _emails(con: duckdb.DuckDBPyConnection, scan: str, column: str, attribute: str) -> AttributeFailures:
    value = quote_ident(attribute)
    bad = f"NOT regexp_full_match(trim({value}), {quote_literal(_EMAIL_SHAPE)})"
    given, failed, shapes = con.execute(f"""
        SELECT count({value}), count(*) FILTER (WHERE {value} IS NOT NULL AND {bad}),
               (SELECT list(DISTINCT {shape_sql("v")}) FROM (
                   SELECT {value} AS v FROM {scan} WHERE {value} IS NOT NULL AND {bad} LIMIT 200))
        FROM {scan}
    """).fetchall()[0]
    hint = "values without the shape name@domain.tld; they will be rejected at export" if failed else ""
    return AttributeFailures(column, attribute, "email", int(given), int(failed), _few(shapes), hint)


def _phones(
    con: duckdb.DuckDBPyConnection, scan: str, column: str, attribute: str, region: str
) -> AttributeFailures:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE phone_values AS SELECT {quote_ident(attribute)} AS v FROM {scan}"
    )
    map_phones(con, "phone_values", ["v"], region)
    given, failed, shapes = con.execute(f"""
        SELECT count(v), count(v) - count(m.e164),
               (SELECT list(DISTINCT {shape_sql("raw")}) FROM (
                   SELECT raw FROM {PHONE_MAP} WHERE e164 IS NULL LIMIT 200))
        FROM phone_values LEFT JOIN {PHONE_MAP} m ON m.raw = v
    """).fetchall()[0]
    hint = (
        f"not phone numbers in region {region} (unify.yaml phone_region); left out of profiles"
        if failed
        else ""
    )
    return AttributeFailures(column, attribute, "phone", int(given), int(failed), _few(shapes), hint)


def _few(shapes: list[str] | None) -> tuple[str, ...]:
    return tuple(sorted(shapes or [])[:SAMPLE_COUNT])


def _hint(con: duckdb.DuckDBPyConnection, invalid: str, kind: str, source: FileSource) -> str:
    if kind in ("date", "timestamp"):
        return _format_hint(con, invalid, kind, source)
    if kind in ("integer", "float"):
        return (
            "numbers should be written like 1234 or 1234.5 (no thousands separators, decimal point, "
            "no units); clean the column or map it as a string"
        )
    if kind == "boolean":
        texts = con.execute(
            f"SELECT list(DISTINCT left(value, 12)) FROM (SELECT value FROM {invalid} LIMIT 50)"
        )
        unknown = sorted(texts.fetchall()[0][0] or [])[:SAMPLE_COUNT]
        return f"texts such as {unknown} are in neither true_values nor false_values; add them to one"
    return ""


def _format_hint(con: duckdb.DuckDBPyConnection, invalid: str, kind: str, source: FileSource) -> str:
    listed = "date_formats" if kind == "date" else "timestamp_formats"
    configured = set(source.date_formats if kind == "date" else source.timestamp_formats)
    candidates = [fmt for fmt in CANDIDATE_FORMATS if fmt not in configured]
    counts = con.execute(
        "SELECT count(*), "
        + ", ".join(f"count(try_strptime(value, {quote_literal(fmt)}))" for fmt in candidates)
        + f" FROM {invalid}"
    ).fetchall()[0]
    total, matches = int(counts[0]), [int(n) for n in counts[1:]]
    best = max(matches, default=0)
    if best == 0:
        return f"no common format matches these values; add theirs to {listed} (strptime directives)"
    chosen = [fmt for fmt, n in zip(candidates, matches, strict=True) if n == best]
    shown = " or ".join(chosen[:2])
    return f"{kind}s look like {shown} ({best:,} of {total:,} failed values match); add it to {listed}"


def failures_table(failures: list[AttributeFailures]) -> str:
    """Markdown of the attributes that lost values (for metadata), or 'none'."""
    lost = [f for f in failures if f.failed]
    if not lost:
        return "none"
    lines = [
        "| column | attribute | failed | of given | share | shapes | hint |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {f.column} | {f.attribute} | {f.failed:,} | {f.given:,} | {f.share:.1%} | "
        f"{', '.join(f'`{s}`' for s in f.shapes)} | {f.hint.replace('|', '/')} |"
        for f in lost
    ]
    return "\n".join(lines)


def failure_lines(name: str, failures: list[AttributeFailures]) -> list[str]:
    """One log line per attribute that lost values."""
    return [
        f"{name}.{f.column} ({f.attribute}, {f.kind}): {f.failed:,} of {f.given:,} values ({f.share:.1%}) "
        f"did not parse, e.g. shapes {list(f.shapes)}; {f.hint}"
        for f in failures
        if f.failed
    ]


def source_parse_failures(
    warehouse: Warehouse, table: str, source: FileSource, config_dir: Path
) -> list[AttributeFailures]:
    """parse_failures with the phone region of unify.yaml (phones are skipped if it is unreadable)."""
    try:
        region: str | None = load_unify_config(config_dir, load_sources_config(config_dir)).phone_region
    except ConfigError:
        region = None  # the unify step reports its own configuration errors
    return parse_failures(warehouse, table, source, region)
