"""Email validation with a real validator (email-validator), applied once per distinct address."""

from __future__ import annotations

import polars as pl
from email_validator import EmailNotValidError, validate_email


def check_emails(emails: list[str]) -> pl.DataFrame:
    """Validate distinct, already lower-cased addresses: columns `email`, `normalized`, `problem`.

    email-validator works one address at a time; callers pass only addresses not validated before
    (the ledger remembers accepted ones), so the per-value cost is paid once per new address.
    """
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
    return pl.DataFrame(
        {"email": emails, "normalized": normalized, "problem": problems},
        schema={"email": pl.String, "normalized": pl.String, "problem": pl.String},
    )
