"""Phone numbers to E.164 (`+15696265660`), computed once per distinct text.

phonenumbers is the reference, but it parses one value at a time (~100-140 µs each, so about two
minutes for a million distinct numbers). Most numbers have a simple shape whose E.164 form SQL can
write directly (`569-626-5660`, `(764)822-8311`, `+1-569-626-5660x12`); only the distinct texts the
SQL cannot settle go through phonenumbers. Tests check that both paths agree.

One reading goes beyond phonenumbers: a leading `00` is taken as the international prefix `+`
(ITU-T E.164's recommended prefix, used by most countries, and how `001-425-553-4802` is written
in the Contoso data). No national number starts with `00`, so nothing valid is misread.
"""

from __future__ import annotations

import re

import duckdb
import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata

from ac_export.profiles.reading import quote_ident, quote_literal

E164_SUFFIX = "__e164"
# Extensions phonenumbers recognises too ("x123", "ext. 123", "#123"); E.164 has no extension.
_EXTENSION = r"(?i)\s*(?:x|ext\.?|extension|#)\s*[0-9]{1,7}\s*$"
_FORMATTING_ONLY = r"^\+?[0-9 ().\-/]+$"
_DOUBLE_ZERO = r"^\s*00"


def e164_column(column: str) -> str:
    """Name of the column holding a phone column's E.164 form."""
    return f"{column}{E164_SUFFIX}"


def add_e164_columns(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], region: str) -> None:
    """Add `<column>__e164` to a table for each phone column, mapping each distinct text once."""
    if not columns:
        return
    values = " UNION ".join(
        f"SELECT {quote_ident(c)} AS raw FROM {table} WHERE {quote_ident(c)} IS NOT NULL" for c in columns
    )
    create_phone_map(con, values, region, "phone_map")
    joins = " ".join(
        f"LEFT JOIN phone_map AS m{i} ON m{i}.raw = t.{quote_ident(c)}" for i, c in enumerate(columns)
    )
    added = ", ".join(f"m{i}.e164 AS {quote_ident(e164_column(c))}" for i, c in enumerate(columns))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT t.*, {added} FROM {table} AS t {joins}")


def create_phone_map(con: duckdb.DuckDBPyConnection, values_sql: str, region: str, table: str) -> None:
    """Create `table(raw, e164)` over the distinct texts of `values_sql` (one column named raw)."""
    text = f"regexp_replace(raw, {quote_literal(_DOUBLE_ZERO)}, '+')"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table}_fast AS
        SELECT raw, {text} AS text, {fast_e164_sql("text", region)} AS e164
        FROM (SELECT DISTINCT raw FROM ({values_sql}))
    """)
    rest = [row[0] for row in con.execute(f"SELECT text FROM {table}_fast WHERE e164 IS NULL").fetchall()]
    resolved = pl.DataFrame(
        {"text": rest, "resolved": [_library_e164(t, region) for t in rest]},
        schema={"text": pl.String, "resolved": pl.String},
    )
    con.register(f"{table}_resolved", resolved)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT f.raw, NULLIF(coalesce(f.e164, r.resolved), '') AS e164
        FROM {table}_fast f LEFT JOIN (SELECT DISTINCT text, resolved FROM {table}_resolved) r USING (text)
    """)
    con.unregister(f"{table}_resolved")


def to_e164(values: list[str], region: str) -> list[str | None]:
    """E.164 form of each text by the reference path (phonenumbers), None when not a full number."""
    return [_library_e164(re.sub(_DOUBLE_ZERO, "+", value), region) for value in values]


def _library_e164(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # "Possible" checks lengths only: fake and newly issued ranges would fail a full validity check,
    # and a local-only number (no area code) cannot be written as E.164.
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def fast_e164_sql(column: str, region: str) -> str:
    """SQL settling simple shapes: E.164, '' for 'not a number', or NULL for 'ask phonenumbers'.

    Simple shapes: formatting characters only, an optional extension, and either the national
    number alone (not starting with a trunk, international or country-code prefix) or `+` and
    the region's own country code. phonenumbers gives these `+<code><digits>` when the length is
    possible for the country, and nothing otherwise.
    """
    code = str(phonenumbers.country_code_for_region(region))
    metadata = PhoneMetadata.metadata_for_region(region)
    # Lengths are checked against the country's main region (US for +1), as phonenumbers does.
    main = PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_country_code(int(code)))
    if main is None or metadata is None or main.general_desc is None or not _plain_prefixes(metadata):
        return "CAST(NULL AS VARCHAR)"
    general = main.general_desc
    lengths = ", ".join(
        str(n) for n in sorted(set(general.possible_length) - set(general.possible_length_local_only))
    )
    stripped = f"regexp_replace({quote_ident(column)}, {quote_literal(_EXTENSION)}, '')"
    digits = f"regexp_replace({stripped}, '[^0-9]', '', 'g')"
    plus = f"starts_with(ltrim({stripped}), '+')"
    national = f"CASE WHEN {plus} THEN substr({digits}, {len(code) + 1}) ELSE {digits} END"
    simple = (
        f"regexp_matches(trim({stripped}), {quote_literal(_FORMATTING_ONLY)}) "
        f"AND (NOT {plus} OR starts_with({digits}, {quote_literal(code)})) "
        f"AND regexp_matches({national}, '^[2-9]') AND NOT starts_with({national}, {quote_literal(code)})"
    )
    for prefix in _dialling_prefixes(metadata):
        simple += f" AND NOT starts_with({national}, {quote_literal(prefix)})"
    settled = f"CASE WHEN length({national}) IN ({lengths}) THEN '+{code}' || {national} ELSE '' END"
    return f"CASE WHEN {simple} THEN {settled} END"


def _dialling_prefixes(metadata: PhoneMetadata) -> list[str]:
    """Leading digits of the region's trunk and international prefixes (e.g. '8' and '810' in Russia)."""
    found = [metadata.national_prefix_for_parsing or "", metadata.international_prefix or ""]
    return sorted({m.group() for text in found if (m := re.match(r"[0-9]+", text))})


def _plain_prefixes(metadata: PhoneMetadata) -> bool:
    """Whether the region strips its trunk prefix as plain digits (no rewrite rules)."""
    prefix = metadata.national_prefix_for_parsing
    plain = prefix is None or re.fullmatch(r"[0-9]+", prefix) is not None
    return metadata.national_prefix_transform_rule is None and plain
