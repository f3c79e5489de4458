"""Emails as people see them: in full for the operator, masked wherever data leaves the operator.

In full (the people allowed to run the export need to know who changes): the plan table in the
warehouse, the plan in the terminal and in the run's UI, the terminal's rejections. Masked (the data
leaves the operator's hands): log lines, failure alerts and webhooks, and the metadata that every
viewer of the asset shares (the rejection sample of a materialization). automation.yaml's
`privacy.mask_emails: everywhere` masks the operator's views too.
"""

from __future__ import annotations

import re

# An address in free text: a local part of at least one character (so `jo***@` is left as it is).
_EMAIL_IN_TEXT = re.compile(r"(?<![\w.%+-])([\w.%+-]{1,2})[\w.%+-]*@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})")


def mask_email_sql(expression: str) -> str:
    """DuckDB SQL that masks an email: its first two characters and its domain stay (`jo***@example.com`)."""
    return f"coalesce({email_sql(expression, mask=True)}, '')"


def email_sql(expression: str, *, mask: bool) -> str:
    """DuckDB SQL of an email as shown: masked when `mask`, else in full (NULL stays NULL)."""
    return f"regexp_replace({expression}, '^(.{{0,2}})[^@]*', '\\1***')" if mask else expression


def mask_emails_in_text(text: str) -> str:
    """The text with every email address in it masked as `mask_email_sql` does (`jo***@example.com`)."""
    return _EMAIL_IN_TEXT.sub(r"\1***@\2", text)
