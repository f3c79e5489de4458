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

PHONE_MAP = "phone_map"
# Extensions phonenumbers recognises too ("x123", "ext. 123", "#123"); E.164 has no extension.
_EXTENSION = r"(?i)\s*(?:x|ext\.?|extension|#)\s*[0-9]{1,7}\s*$"
_FORMATTING_ONLY = r"^\+?[0-9 ().\-/]+$"
_DOUBLE_ZERO = r"^\s*00"


def map_phones(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], region: str) -> None:
    """Create `phone_map(raw, e164)` over the distinct texts of a table's phone columns."""
    values = " UNION ".join(
        f"SELECT {quote_ident(c)} AS raw FROM {table} WHERE {quote_ident(c)} IS NOT NULL" for c in columns
    )
    create_phone_map(con, values or "SELECT CAST(NULL AS VARCHAR) AS raw WHERE false", region)


def create_phone_map(
    con: duckdb.DuckDBPyConnection, values_sql: str, region: str, table: str = PHONE_MAP
) -> None:
    """Create `table(raw, e164)` over the distinct texts of `values_sql` (one column named raw)."""
    text = f"regexp_replace(raw, {quote_literal(_DOUBLE_ZERO)}, '+')"
    distinct = f"(SELECT raw, {text} AS text FROM (SELECT DISTINCT raw FROM ({values_sql})))"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_fast AS {fast_e164_select(distinct, 'text', region)}")
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


def fast_e164_select(relation: str, column: str, region: str) -> str:
    """`relation` plus `e164`: E.164 for simple shapes, '' for 'not a number', NULL for 'ask phonenumbers'.

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
        return f"SELECT *, CAST(NULL AS VARCHAR) AS e164 FROM {relation}"
    general = main.general_desc
    lengths = ", ".join(
        str(n) for n in sorted(set(general.possible_length) - set(general.possible_length_local_only))
    )
    # Each step is its own projection so that no expression is computed twice.
    extension = quote_literal(_EXTENSION)
    stripped = (
        f"SELECT *, regexp_replace({quote_ident(column)}, {extension}, '') AS _stripped FROM {relation}"
    )
    split = (
        "SELECT *, regexp_replace(_stripped, '[^0-9]', '', 'g') AS _digits, "
        f"starts_with(ltrim(_stripped), '+') AS _plus, "
        f"regexp_matches(trim(_stripped), {quote_literal(_FORMATTING_ONLY)}) AS _shaped FROM ({stripped})"
    )
    national = (
        f"SELECT *, CASE WHEN _plus THEN substr(_digits, {len(code) + 1}) ELSE _digits END AS _national "
        f"FROM ({split})"
    )
    simple = (
        f"_shaped AND (NOT _plus OR starts_with(_digits, {quote_literal(code)})) "
        f"AND regexp_matches(_national, '^[2-9]') AND NOT starts_with(_national, {quote_literal(code)})"
    )
    for prefix in _dialling_prefixes(metadata):
        simple += f" AND NOT starts_with(_national, {quote_literal(prefix)})"
    settled = f"CASE WHEN length(_national) IN ({lengths}) THEN '+{code}' || _national ELSE '' END"
    return (
        f"SELECT * EXCLUDE (_stripped, _digits, _plus, _shaped, _national), "
        f"CASE WHEN {simple} THEN {settled} END AS e164 FROM ({national})"
    )


def _dialling_prefixes(metadata: PhoneMetadata) -> list[str]:
    """Leading digits of the region's trunk and international prefixes (e.g. '8' and '810' in Russia)."""
    found = [metadata.national_prefix_for_parsing or "", metadata.international_prefix or ""]
    return sorted({m.group() for text in found if (m := re.match(r"[0-9]+", text))})


def _plain_prefixes(metadata: PhoneMetadata) -> bool:
    """Whether the region strips its trunk prefix as plain digits (no rewrite rules)."""
    prefix = metadata.national_prefix_for_parsing
    plain = prefix is None or re.fullmatch(r"[0-9]+", prefix) is not None
    return metadata.national_prefix_transform_rule is None and plain
