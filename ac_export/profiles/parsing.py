"""Turning source text into typed values in SQL: empty and null texts, numbers, booleans, dates.

A value that does not parse becomes NULL and is reported, never a lost record: a person with a
malformed birth date is still a person.
"""

from __future__ import annotations

from ac_export.profiles.reading import quote_ident, quote_literal
from ac_export.profiles.schema import DUCKDB_TYPES
from ac_export.profiles.sources_config import FileSource, ValueType

_INTEGER_TEXT = r"^[+-]?[0-9]+(\.0*)?$"


def text_sql(column: str, source: FileSource) -> str:
    """A text column trimmed, with the empty string and the source's null texts as NULL."""
    trimmed = f"NULLIF(trim(CAST({quote_ident(column)} AS VARCHAR)), '')"
    if not source.null_values:
        return trimmed
    nulls = ", ".join(quote_literal(v) for v in source.null_values)
    return f"CASE WHEN {trimmed} IN ({nulls}) THEN NULL ELSE {trimmed} END"


def typed_sql(column: str, kind: ValueType, source: FileSource, raw_type: str) -> str:
    """The column as the attribute's type; NULL where the text does not parse."""
    if raw_type != "VARCHAR":
        # Typed files (Parquet) keep their values; only a mismatch of types needs a cast.
        return f"TRY_CAST({quote_ident(column)} AS {DUCKDB_TYPES[kind]})"
    text = text_sql(column, source)
    if kind == "string":
        return text
    if kind == "integer":
        return f"CASE WHEN regexp_matches({text}, '{_INTEGER_TEXT}') THEN TRY_CAST({text} AS BIGINT) END"
    if kind == "float":
        return f"TRY_CAST({text} AS DOUBLE)"
    if kind == "boolean":
        trues = ", ".join(quote_literal(v.lower()) for v in source.true_values)
        falses = ", ".join(quote_literal(v.lower()) for v in source.false_values)
        return (
            f"CASE WHEN lower({text}) IN ({trues}) THEN true WHEN lower({text}) IN ({falses}) THEN false END"
        )
    formats = source.date_formats if kind == "date" else source.timestamp_formats
    listed = "[" + ", ".join(quote_literal(f) for f in formats) + "]"
    return f"CAST(try_strptime({text}, {listed}) AS {DUCKDB_TYPES[kind]})"


def given_sql(column: str, source: FileSource, raw_type: str) -> str:
    """The column's value as the source gave it (trimmed text), NULL when empty."""
    return text_sql(column, source) if raw_type == "VARCHAR" else f"CAST({quote_ident(column)} AS VARCHAR)"


def problem_sql(column: str, kind: ValueType, source: FileSource, raw_type: str, parsed: str) -> str:
    """A reason text where the column holds a value but `parsed` (its typed form) is NULL, else NULL."""
    given = given_sql(column, source, raw_type)
    prefix = quote_literal(f"column {column!r}: ")
    reason = f"{prefix} || {_quoted(given)} || {_expectation(kind, source)}"
    return f"CASE WHEN {given} IS NOT NULL AND {parsed} IS NULL THEN {reason} END"


def _quoted(value_sql: str) -> str:
    return f"'''' || left({value_sql}, 80) || ''''"


def _expectation(kind: ValueType, source: FileSource) -> str:
    if kind == "date":
        return quote_literal(f" is not a date in formats {source.date_formats}")
    if kind == "timestamp":
        return quote_literal(f" is not a timestamp in formats {source.timestamp_formats}")
    if kind == "boolean":
        return quote_literal(f" is not one of {source.true_values} or {source.false_values}")
    article = "an" if kind == "integer" else "a"
    return quote_literal(f" is not {article} {kind}")
