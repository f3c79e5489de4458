"""Normalisers as SQL expressions over text columns (phone numbers: see `phones`).

Text normalisers run in a fixed order whatever order a rule lists them in (accents, trim_case,
email_domain, symbols, whitespace, name_order), so `[symbols, accents]` and `[accents, symbols]`
mean the same.
"""

from __future__ import annotations

from collections.abc import Iterable

from ac_export.profiles.email_text import email_form_sql, trim_case_sql
from ac_export.profiles.reading import quote_ident
from ac_export.profiles.unify_config import Normaliser

TEXT_ORDER: tuple[Normaliser, ...] = (
    "accents",
    "trim_case",
    "email_domain",
    "symbols",
    "whitespace",
    "name_order",
)
_TEMPLATES: dict[Normaliser, str] = {
    "accents": "strip_accents({})",
    # The part after the last @: blocking on it keeps a fuzzy test of whole addresses in small blocks.
    "email_domain": "regexp_extract({}, '@([^@]*)$', 1)",
    "symbols": r"regexp_replace({}, '[^\pL\pN\s]', '', 'g')",
    "whitespace": r"trim(regexp_replace({}, '\s+', ' ', 'g'))",
    "name_order": (
        r"array_to_string(list_sort(string_split(trim(regexp_replace({}, '\s+', ' ', 'g')), ' ')), ' ')"
    ),
}


def normalised_sql(column: str, normalisers: Iterable[Normaliser]) -> str:
    """SQL for a column's normalised value; NULL when nothing is left (phone_e164: see `phones`)."""
    chosen = set(normalisers)
    if "phone_e164" in chosen:
        raise ValueError(
            "phone_e164 is a lookup in the phone map (phones.create_phone_map), not an expression"
        )
    if not chosen:
        # Values compare as they are (dates, numbers, or text exactly as the source typed it).
        return quote_ident(column)
    expression = quote_ident(column)
    for name in TEXT_ORDER:
        if name == "trim_case" and name in chosen:
            # The email form's trim and case (all Unicode whitespace, invisible characters, NFC), so
            # an email rule matches exactly the addresses the export will send.
            expression = trim_case_sql(expression)
        elif name in chosen:
            expression = _TEMPLATES[name].format(expression)
    return f"NULLIF({expression}, '')"


def email_sql(column: str) -> str:
    """The profile form of an email (`email_text`; validation is the exporter's job)."""
    return email_form_sql(quote_ident(column))
