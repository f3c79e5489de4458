"""Email validation with a real validator (email-validator), applied once per distinct address.

email-validator works one address at a time (40-600 µs each, most of it in its Unicode domain
checks), which made validation most of a cold export's time. Addresses of the plainest shape,
checked set-wise below, are ones email-validator accepts unchanged: a lower-case ASCII dot-atom
local part, ASCII host labels without `--` (so no Punycode), an all-letter top-level domain that
is not a special-use name, within its length limits. Every other address goes to email-validator,
which stays the only judge of what is invalid and of every message; tests check both paths agree.
"""

from __future__ import annotations

import polars as pl
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from email_validator.rfc_constants import DOMAIN_MAX_LENGTH, EMAIL_MAX_LENGTH, LOCAL_PART_MAX_LENGTH

_LOCAL = r"[a-z0-9_+\-]+(?:\.[a-z0-9_+\-]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
PLAIN_ADDRESS = rf"^{_LOCAL}@(?:{_LABEL}\.)+[a-z]{{2,63}}$"
_SCHEMA = {"email": pl.String, "normalized": pl.String, "problem": pl.String}


def check_emails(emails: list[str] | pl.Series) -> pl.DataFrame:
    """Validate distinct, already lower-cased addresses: columns `email`, `normalized`, `problem`.

    Callers pass only addresses not validated before (the ledger remembers accepted ones), so the
    validator's cost is paid once per new address, and only for addresses of an unusual shape.
    """
    frame = pl.DataFrame({"email": emails}, schema={"email": pl.String}).with_columns(
        plain=plain_address_expr("email")
    )
    plain = frame.filter("plain").select("email", normalized="email", problem=pl.lit(None, pl.String))
    return pl.concat([plain, validate_each(frame.filter(~pl.col("plain"))["email"].to_list())])


def plain_address_expr(column: str) -> pl.Expr:
    """True for addresses of the plain shape email-validator accepts unchanged (see the module doc)."""
    email = pl.col(column)
    local, domain = email.str.extract(r"^([^@]*)@"), email.str.extract(r"@([^@]*)$")
    return (
        email.str.contains(PLAIN_ADDRESS)
        & (email.str.len_bytes() <= EMAIL_MAX_LENGTH)
        & (local.str.len_bytes() <= LOCAL_PART_MAX_LENGTH)
        & (domain.str.len_bytes() <= DOMAIN_MAX_LENGTH)
        & ~domain.str.contains("--", literal=True)
        & ~domain.str.extract(r"\.([a-z]+)$").is_in(SPECIAL_USE_DOMAIN_NAMES)
    ).fill_null(False)


def validate_each(emails: list[str]) -> pl.DataFrame:
    """email-validator's verdict on each address: the normalised form, or the reason it is invalid."""
    normalized: list[str | None] = []
    problems: list[str | None] = []
    for email in emails:
        try:
            result = validate_email(email, check_deliverability=False)
        except EmailNotValidError as exc:
            normalized.append(None)
            problems.append(str(exc))
        else:
            normalized.append(result.normalized.lower())
            problems.append(None)
    return pl.DataFrame({"email": emails, "normalized": normalized, "problem": problems}, schema=_SCHEMA)
