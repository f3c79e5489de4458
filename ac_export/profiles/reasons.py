"""Rejection reasons kept short: a summary and how long the full text was, never megabytes.

A reason can quote the record (DuckDB's CSV errors do, and a duplicate key repeats the key), so a
malformed megabyte-long line once made a 6.3 MB reason, copied into the rejections table, metadata
and logs. Every reason is cut to REASON_LIMIT characters and says how many it had.
"""

from __future__ import annotations

REASON_LIMIT = 200


def capped_reason_sql(reason_sql: str, limit: int = REASON_LIMIT) -> str:
    """SQL for a reason text cut to `limit` characters, ending with its full length when cut."""
    return (
        f"CASE WHEN length({reason_sql}) > {limit} "
        f"THEN left({reason_sql}, {limit}) || '… (' || length({reason_sql}) || ' characters in all)' "
        f"ELSE {reason_sql} END"
    )
