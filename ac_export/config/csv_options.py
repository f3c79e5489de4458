"""Which CSV delimiter and quote combinations can be read at all, checked when sources.yaml loads.

DuckDB escapes a quote by doubling it (RFC 4180), so the quote character is also the escape; a
delimiter equal to the quote, or either being a line break, leaves no way to split a record, and
DuckDB would only say so with a BinderException at read time.
"""

from __future__ import annotations

_LINE_BREAKS = frozenset({"\n", "\r"})


def csv_option_problem(delimiter: str, quote: str) -> str | None:
    """Why this delimiter and quote cannot describe a CSV file, or None when they can."""
    if delimiter == quote:
        return (
            f"delimiter and quote are both {delimiter!r}; a field could never be told from a quoted one. "
            "Set quote to '\"' (or the character the file quotes with)"
        )
    for name, char in (("delimiter", delimiter), ("quote", quote)):
        if char in _LINE_BREAKS:
            return (
                f"{name} is a line break ({char!r}); records end at line breaks, so choose another character"
            )
    for name, char in (("delimiter", delimiter), ("quote", quote)):
        if char.isalnum():
            return f"{name} {char!r} is a letter or digit, which values themselves contain; choose a symbol"
    return None
