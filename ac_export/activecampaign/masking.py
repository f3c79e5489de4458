"""Emails as operators may see them in metadata and terminals: enough to recognise a row, not a person."""

from __future__ import annotations


def mask_email_sql(expression: str) -> str:
    """DuckDB SQL that masks an email: its first two characters and its domain stay (`jo***@example.com`)."""
    return f"coalesce(regexp_replace({expression}, '^(.{{0,2}})[^@]*', '\\1***'), '')"
