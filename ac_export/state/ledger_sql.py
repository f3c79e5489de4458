"""The ledger's named operations (`ledger_api.Ledger`) as DuckDB SQL over a list's tables in `con`.

Both backends plan in a DuckDB connection holding the list's `ledger`, `inflight`, `facts` and
`sent_payloads`, so both run these statements. Every write of a ledger row stamps `updated_at`
(the PostgreSQL store writes rows through by that stamp, and deletions by the emails that went
missing), and each operation is one statement over a set, never a loop over rows.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import datetime

import duckdb

from ac_export.state import ledger
from ac_export.state.ledger import (
    MISSING,
    ON_LIST,
    OPTED_OUT,
    OPTED_OUT_REMEMBERED,
    PRE_EXISTING,
    PRE_EXISTING_MISSING,
    REFUSED,
    REMOVED,
    SUBSCRIBED,
    UNSUBSCRIBED_IN_AC,
    UNSUBSCRIBED_REMEMBERED,
    sql_in,
)
from ac_export.state.ledger_api import LedgerCounts, Statuses
from ac_export.state.schema import LedgerStatus

# Why the ledger holds each status it is told of (shown in previews and rejection reports).
OPTED_OUT_REASON = "left the list in ActiveCampaign while we had it subscribed"
UNSUBSCRIBED_REASON = "unsubscribed in ActiveCampaign, not by us"
PRE_EXISTING_REASON = "subscribed in ActiveCampaign, not by us"
MISSING_REASON = "no longer on the list in ActiveCampaign"
PRE_EXISTING_MISSING_REASON = "lost by the list in ActiveCampaign; not ours"
OPTED_OUT_REMEMBERED_REASON = "opted out; ActiveCampaign no longer shows it"
UNSUBSCRIBED_REMEMBERED_REASON = "unsubscribed by others; ActiveCampaign no longer shows it"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NO_SENT_PAYLOADS = "(SELECT NULL::VARCHAR AS email, NULL::VARCHAR AS payload)"


def _table(name: str) -> str:
    """A table of emails named by the engine (a TEMP table it loaded), checked to be a plain name."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"{name!r} is not a table name")
    return name


def _in(table: str) -> str:
    return f"email IN (SELECT email FROM {_table(table)})"


def _not_in(table: str) -> str:
    return f"email NOT IN (SELECT email FROM {_table(table)})"


class LedgerOperations:
    """The named operations of a list's ledger, run in the DuckDB connection `con` it plans in."""

    con: duckdb.DuckDBPyConnection

    def transaction(self) -> AbstractContextManager[None]:
        """All of the block's changes to the ledger, or none of them."""
        return ledger.transaction(self.con)

    def counts(self) -> LedgerCounts:
        """Contacts by status."""
        rows = self.con.execute("SELECT status, count(*) FROM ledger GROUP BY status").fetchall()
        return LedgerCounts({str(status): int(count) for status, count in rows})

    def status_of(self, email: str) -> str | None:
        """The status the ledger holds for one email (None: no row)."""
        row = self.con.execute("SELECT status FROM ledger WHERE email = ?", [email]).fetchone()
        return None if row is None else str(row[0])

    def fact(self, name: str) -> str | None:
        """A fact kept about the list."""
        return ledger.read_fact(self.con, name)

    def facts_starting(self, prefix: str) -> dict[str, str]:
        """Every fact whose name starts with `prefix`, by name."""
        rows = self.con.execute(
            "SELECT name, value FROM facts WHERE starts_with(name, ?)", [prefix]
        ).fetchall()
        return {str(name): str(value) for name, value in rows}

    def record_fact(self, name: str, value: str) -> None:
        """Remember a fact about the list."""
        ledger.write_fact(self.con, name, value)

    def unknown_or_refused(self, emails: list[str]) -> set[str]:
        """Of these emails, those with no row, or only a refusal (the ones a plan would add)."""
        rows = self.con.execute(
            f"""
            SELECT e.email FROM (SELECT unnest(?::VARCHAR[]) AS email) e LEFT JOIN ledger l USING (email)
            WHERE l.email IS NULL OR l.status = '{REFUSED}'
            """,
            [emails],
        ).fetchall()
        return {str(row[0]) for row in rows}

    def on_list_absent_from(self, shown: str) -> list[str]:
        """Contacts held on the list (or ours missing) whose email is not in table `shown`, sorted."""
        rows = self.con.execute(
            f"SELECT email FROM ledger WHERE status IN {sql_in((*ON_LIST, MISSING))} AND {_not_in(shown)} "
            "ORDER BY email"
        ).fetchall()
        return [str(row[0]) for row in rows]

    def plan_inputs(self) -> str:
        """The rows the plan diffs against (email, customer_id, status, content_hash, reason)."""
        return "(SELECT email, customer_id, status, content_hash, reason FROM ledger)"

    def refused_since(self, since: datetime) -> str:
        """Contacts refused at or after `since` (export, customer_id, email, reason), as a relation."""
        # A full reconcile's retry mark clears the hash: only a refusal of this run still has one.
        return (
            f"(SELECT export, customer_id, email, reason FROM ledger WHERE status = '{REFUSED}' "
            f"AND updated_at >= TIMESTAMP '{since.isoformat()}' AND content_hash IS NOT NULL)"
        )

    def last_sent(self) -> str:
        """What each contact was last sent with (email, payload), as a relation."""
        # A ledger file from before payloads were kept, opened read only, has no table for them.
        known = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'sent_payloads'"
        ).fetchone()
        return "(SELECT email, payload FROM sent_payloads)" if known and known[0] else _NO_SENT_PAYLOADS

    def mark_subscribed(self, among: str, *, was: Statuses) -> int:
        """Contacts in table `among` whose status is in `was` are ours and on the list again."""
        return self._set(SUBSCRIBED, None, f"{was.sql()} AND {_in(among)}")

    def mark_opted_out(self, among: str, *, was: Statuses) -> int:
        """Contacts in table `among` whose status is in `was` left the list while ours."""
        return self._set(OPTED_OUT, OPTED_OUT_REASON, f"{was.sql()} AND {_in(among)}")

    def mark_unsubscribed_by_others(self, among: str, *, was: Statuses) -> int:
        """Contacts in table `among` whose status is in `was` are unsubscribed, not by us."""
        return self._set(UNSUBSCRIBED_IN_AC, UNSUBSCRIBED_REASON, f"{was.sql()} AND {_in(among)}")

    def mark_pre_existing(self, among: str, *, was: Statuses) -> int:
        """Contacts in table `among` whose status is in `was` were subscribed by others."""
        return self._set(PRE_EXISTING, PRE_EXISTING_REASON, f"{was.sql()} AND {_in(among)}")

    def mark_missing(self, *, absent_from: str, was: Statuses) -> int:
        """Contacts in `was` whose email is not in table `absent_from` are ours, lost by the list."""
        return self._set(MISSING, MISSING_REASON, f"{was.sql()} AND {_not_in(absent_from)}")

    def mark_pre_existing_missing(self, *, absent_from: str, was: Statuses) -> int:
        """Contacts in `was` whose email is not in table `absent_from` are others', lost by the list."""
        where = f"{was.sql()} AND {_not_in(absent_from)}"
        return self._set(PRE_EXISTING_MISSING, PRE_EXISTING_MISSING_REASON, where)

    def mark_removed(self, emails: list[str], reason: str) -> int:
        """These contacts count as removed by us, their hash forgotten (so they are sent whole again)."""
        return self._count(
            "UPDATE ledger SET status = ?, reason = ?, content_hash = NULL, updated_at = now() "
            "WHERE list_contains(?::VARCHAR[], email)",
            [REMOVED, reason, emails],
        )

    def learn_pre_existing(self, among: str, export: str) -> int:
        """Contacts in table `among` the ledger has no row for: subscribed by others."""
        return self._learn(among, PRE_EXISTING, PRE_EXISTING_REASON, export)

    def learn_unsubscribed_by_others(self, among: str, export: str) -> int:
        """Contacts in table `among` the ledger has no row for: unsubscribed by others."""
        return self._learn(among, UNSUBSCRIBED_IN_AC, UNSUBSCRIBED_REASON, export)

    def remember_opt_outs(self, *, absent_from: str) -> int:
        """Opt-outs and others' unsubscribes not in table `absent_from` stay remembered."""
        return self._count(
            f"""
            UPDATE ledger SET
                status = CASE status WHEN '{OPTED_OUT}' THEN '{OPTED_OUT_REMEMBERED}'
                                     ELSE '{UNSUBSCRIBED_REMEMBERED}' END,
                reason = CASE status WHEN '{OPTED_OUT}' THEN ? ELSE ? END,
                updated_at = now()
            WHERE status IN {sql_in((OPTED_OUT, UNSUBSCRIBED_IN_AC))} AND {_not_in(absent_from)}
            """,
            [OPTED_OUT_REMEMBERED_REASON, UNSUBSCRIBED_REMEMBERED_REASON],
        )

    def forget_removals(self, *, absent_from: str) -> int:
        """Contacts we removed that are not in table `absent_from` are forgotten."""
        return self._count(f"DELETE FROM ledger WHERE status = '{REMOVED}' AND {_not_in(absent_from)}")

    def forget_removals_and_refusals(self) -> int:
        """Every removal and refusal is forgotten."""
        return self._count(f"DELETE FROM ledger WHERE status IN {sql_in((REMOVED, REFUSED))}")

    def retry_refusals(self) -> int:
        """Refused contacts lose the hash they were refused with, so the next plan sends them again."""
        return self._count(
            f"UPDATE ledger SET content_hash = NULL, updated_at = now() WHERE status = '{REFUSED}'"
        )

    def forget(self, emails: list[str]) -> int:
        """These contacts' rows are dropped."""
        return self._count("DELETE FROM ledger WHERE list_contains(?::VARCHAR[], email)", [emails])

    def remember_sent(self, sent: str) -> None:
        """Keep the payloads `sent` yields (email, payload, content_hash) whose hash the ledger confirmed."""
        self.con.execute(
            f"""
            INSERT OR REPLACE INTO sent_payloads
            SELECT o.email, o.payload, now() FROM ({sent}) o JOIN ledger l USING (email)
            WHERE l.content_hash = o.content_hash
            """
        )

    def _set(self, status: LedgerStatus, reason: str | None, where: str) -> int:
        return self._count(
            f"UPDATE ledger SET status = ?, reason = ?, updated_at = now() WHERE {where}", [status, reason]
        )

    def _learn(self, among: str, status: LedgerStatus, reason: str, export: str) -> int:
        return self._count(
            f"""
            INSERT INTO ledger (email, status, reason, export, updated_at)
            SELECT email, ?, ?, ?, now() FROM {_table(among)}
            WHERE email NOT IN (SELECT email FROM ledger)
            """,
            [status, reason, export],
        )

    def _count(self, sql: str, params: list[object] | None = None) -> int:
        row = self.con.execute(sql, params or []).fetchone()
        return int(row[0]) if row else 0


__all__ = ["LedgerOperations"]
