"""PostgreSQL rows kept under an older spelling of the account: merged into the canonical key on open.

The same rule as the embedded merge (`state.merge.winners_sql`), in one transaction with the
older rows deleted, so a merge is whole or not at all and never applied twice. A writer holds the
list's canonical lock and the older spelling's lock (an older version of the export may still be
running under it); a reader merges in a transaction it rolls back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ac_export.state.accounts import account_identity
from ac_export.state.ledger import LEDGER_COLUMNS
from ac_export.state.merge import winners_sql

if TYPE_CHECKING:
    import psycopg

TABLES = ("ac_export_ledger", "ac_export_inflight", "ac_export_facts", "ac_export_sent_payloads")
INFLIGHT_COLUMNS = "batch_id, email, customer_id, op, content_hash, payload, export, run_id, created_at"

# Every host a table holds, read by skipping through its primary key's index (host leads it),
# so finding the spellings costs a probe per host, not a scan of every list's rows.
_HOSTS = """
WITH RECURSIVE hosts AS (
    SELECT min(host) AS host FROM {table}
    UNION ALL
    SELECT (SELECT min(host) FROM {table} WHERE host > hosts.host) FROM hosts WHERE hosts.host IS NOT NULL
)
SELECT host FROM hosts WHERE host IS NOT NULL
"""


def older_spellings(conn: psycopg.Connection, identity: str, list_id: int) -> list[str]:
    """Hosts other than the identity itself that name the same account and hold rows of this list."""
    hosts: set[str] = set()
    for table in TABLES:
        hosts.update(str(row[0]) for row in conn.execute(_HOSTS.format(table=table)).fetchall())
    candidates = sorted(h for h in hosts if h != identity and account_identity(h) == identity)
    return [
        host
        for host in candidates
        if any(
            conn.execute(
                f"SELECT 1 FROM {table} WHERE host = %s AND list_id = %s LIMIT 1", [host, list_id]
            ).fetchone()
            for table in TABLES
        )
    ]


def merge_spellings(conn: psycopg.Connection, identity: str, list_id: int, older: list[str]) -> None:
    """Move the rows of older spellings under the identity, with the merge rule (inside a transaction)."""
    if not older:
        return
    params = {"key": identity, "list_id": list_id, "hosts": [identity, *older]}
    candidates = (
        f"SELECT {LEDGER_COLUMNS}, CASE WHEN host = %(key)s THEN 0 ELSE 1 END AS origin "
        f"FROM ac_export_ledger WHERE list_id = %(list_id)s AND host = ANY(%(hosts)s)"
    )
    columns = LEDGER_COLUMNS.split(", ")
    assignments = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "email")
    conn.execute(
        f"""
        INSERT INTO ac_export_ledger (host, list_id, {LEDGER_COLUMNS})
        SELECT %(key)s, %(list_id)s, {LEDGER_COLUMNS} FROM ({winners_sql(candidates)}) AS w WHERE origin = 1
        ON CONFLICT (host, list_id, email) DO UPDATE SET {assignments}
        """,
        params,
    )
    for host in older:
        # Numbered after the canonical batches, so the two runs' batches stay apart.
        conn.execute(
            f"""
            INSERT INTO ac_export_inflight (host, list_id, batch_no, {INFLIGHT_COLUMNS})
            SELECT %(key)s, %(list_id)s,
                   batch_no + (SELECT coalesce(max(batch_no), 0) FROM ac_export_inflight
                               WHERE host = %(key)s AND list_id = %(list_id)s),
                   {INFLIGHT_COLUMNS}
            FROM ac_export_inflight WHERE host = %(host)s AND list_id = %(list_id)s
            ON CONFLICT (host, list_id, email) DO NOTHING
            """,
            {**params, "host": host},
        )
    conn.execute(
        """
        INSERT INTO ac_export_facts (host, list_id, name, value)
        SELECT %(key)s, list_id, name, value FROM ac_export_facts
        WHERE list_id = %(list_id)s AND host = ANY(%(hosts)s) AND host <> %(key)s
        ON CONFLICT (host, list_id, name) DO NOTHING
        """,
        params,
    )
    conn.execute(
        """
        INSERT INTO ac_export_sent_payloads (host, list_id, email, payload, sent_at)
        SELECT DISTINCT ON (email) %(key)s, list_id, email, payload, sent_at FROM ac_export_sent_payloads
        WHERE list_id = %(list_id)s AND host = ANY(%(hosts)s) AND host <> %(key)s
        ORDER BY email, sent_at DESC
        ON CONFLICT (host, list_id, email)
        DO UPDATE SET payload = excluded.payload, sent_at = excluded.sent_at
        WHERE excluded.sent_at > ac_export_sent_payloads.sent_at
        """,
        params,
    )
    for table in TABLES:
        conn.execute(
            f"DELETE FROM {table} WHERE list_id = %(list_id)s AND host = ANY(%(hosts)s) AND host <> %(key)s",
            params,
        )


__all__ = ["merge_spellings", "older_spellings"]
