"""Reconcile: rebuild the ledger's view of a list from what ActiveCampaign holds, and say what changed.

The subscribed side is always read (its cost is the list's size, not its history). Contacts the
ledger had on the list that ActiveCampaign no longer shows as subscribed are then looked up one by
one, or by reading the unsubscribed side when that takes fewer requests; a full reconcile reads
both sides. Every rule here is about ownership: only contacts we subscribed are ours, nobody who
left the list is ever put back on it by us, and ours that vanished from the list are repaired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.limits import PAGE_SIZE
from ac_export.activecampaign.verify import (
    LAST_FULL_RECONCILE_FACT,
    LIST_NAME_FACT,
    SUBSCRIBED_STATUS,
    UNSUBSCRIBED_STATUS,
    ListCounts,
    Verification,
    agreed_count,
    possible_counts,
)
from ac_export.state import ledger
from ac_export.state.ledger import (
    MISSING,
    OFF_LIST,
    ON_LIST,
    OPTED_OUT,
    PRE_EXISTING,
    REMOVED,
    SUBSCRIBED,
    UNSUBSCRIBED_IN_AC,
    sql_in,
)

ON, OFF = sql_in(ON_LIST), sql_in(OFF_LIST)


@dataclass(frozen=True)
class Reconciliation:
    """What a reconcile found: each count is contacts whose ledger status it changed."""

    reason: str
    full: bool
    pre_existing: int = 0
    opted_out: int = 0
    unsubscribed_in_activecampaign: int = 0
    missing: int = 0
    back_on_list: int = 0
    forgotten: int = 0
    requests: int = 0
    # The list's counts as the reconcile's reads proved them (None: not read).
    counts: ListCounts | None = None

    def describe(self) -> str:
        """One line for the run log."""
        kind = "full reconcile" if self.full else "reconcile"
        return (
            f"{kind} ({self.reason}): {self.missing} of ours missing from the list (to repair), "
            f"{self.opted_out} opted out, {self.unsubscribed_in_activecampaign} unsubscribed by others, "
            f"{self.pre_existing} subscribers we did not add, {self.back_on_list} back on the list, "
            f"{self.forgotten} no longer in ActiveCampaign; {self.requests} requests"
        )


def reconcile(
    client: ActiveCampaignClient,
    con: duckdb.DuckDBPyConnection,
    export_name: str,
    list_id: int,
    verification: Verification,
    *,
    reason: str,
    full: bool,
) -> Reconciliation:
    """Read the list from ActiveCampaign and bring the ledger in line with it, in one transaction.

    Every read is made (and checked) before the ledger is touched: a read that fails leaves it as it was.
    """
    before = client.stats.requests
    counted = possible_counts(client, list_id, verification.activecampaign)
    on = _emails(client, list_id, SUBSCRIBED_STATUS)
    subscribed = agreed_count(client, list_id, SUBSCRIBED_STATUS, counted.subscribed, len(on))
    _load(con, "ac_on", on)
    gone = _gone_from_list(con)
    read_off = full or len(gone) > _pages(counted.unsubscribed)
    off = _unsubscribed(client, list_id, gone, whole_side=read_off)
    unsubscribed = (
        agreed_count(client, list_id, UNSUBSCRIBED_STATUS, counted.unsubscribed, len(off))
        if read_off
        else counted.unsubscribed
    )
    _load(con, "ac_off", off)
    changes = _apply(
        con, export_name, whole_off_side=read_off, list_replaced=verification.list_replaced, full=full
    )
    ledger.write_fact(con, LIST_NAME_FACT, verification.list_name)
    if full:
        ledger.write_fact(con, LAST_FULL_RECONCILE_FACT, datetime.now(UTC).isoformat())
    return Reconciliation(
        reason=reason,
        full=full,
        requests=client.stats.requests - before,
        counts=ListCounts(subscribed, unsubscribed),
        **changes,
    )


def withhold_unsubscribed(
    client: ActiveCampaignClient,
    con: duckdb.DuckDBPyConnection,
    export_name: str,
    list_id: int,
    emails: list[str],
    unsubscribed_total: int,
) -> int:
    """Record which of the contacts about to be subscribed ActiveCampaign holds as unsubscribed.

    Needed only while the ledger does not know every unsubscribed contact of the list. One lookup
    per email, or reading the list's unsubscribed side (100 a page) when that takes fewer requests
    — O(min(k, leavers / 100)); a side read whole is recorded whole, so later runs need neither.
    Returns how many of `emails` are withheld.
    """
    if not emails or unsubscribed_total == 0:
        return 0
    wanted = set(emails)
    whole = len(emails) > _pages(unsubscribed_total)
    off = _unsubscribed(client, list_id, emails, whole_side=whole)
    if whole:
        agreed_count(client, list_id, UNSUBSCRIBED_STATUS, unsubscribed_total, len(off))
    _load(con, "ac_off", off)
    with ledger.transaction(con):
        _update(
            con,
            f"status IN ('{MISSING}', '{SUBSCRIBED}') AND email IN (SELECT email FROM ac_off)",
            f"status = '{OPTED_OUT}', reason = 'left the list in ActiveCampaign while we had it subscribed'",
        )
        _update(
            con,
            f"status NOT IN {OFF} AND email IN (SELECT email FROM ac_off)",
            f"status = '{UNSUBSCRIBED_IN_AC}', reason = 'unsubscribed in ActiveCampaign, not by us'",
        )
        _insert(con, "ac_off", UNSUBSCRIBED_IN_AC, export_name)
        if whole:
            _delete(con, f"status IN {OFF} AND email NOT IN (SELECT email FROM ac_off)")
    return sum(1 for email in off if email in wanted)


def _pages(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def _emails(client: ActiveCampaignClient, list_id: int, status: int) -> list[str]:
    return [email for page in client.list_contact_emails(list_id, status) for email in page]


def _unsubscribed(
    client: ActiveCampaignClient, list_id: int, emails: list[str], *, whole_side: bool
) -> list[str]:
    """The list's unsubscribed contacts (whole_side), or those among `emails`, looked up one by one."""
    if whole_side:
        return _emails(client, list_id, UNSUBSCRIBED_STATUS)
    return [email for email in emails if client.has_list_status(email, list_id, UNSUBSCRIBED_STATUS)]


def _load(con: duckdb.DuckDBPyConnection, name: str, emails: list[str]) -> None:
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT unnest(?::VARCHAR[]) AS email", [emails]
    )


def _gone_from_list(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Contacts the ledger has on the list (or ours missing) that ActiveCampaign does not show subscribed."""
    rows = con.execute(
        f"""
        SELECT email FROM ledger
        WHERE status IN {sql_in((*ON_LIST, MISSING))}
          AND email NOT IN (SELECT email FROM ac_on)
        ORDER BY email
        """
    ).fetchall()
    return [str(row[0]) for row in rows]


def _apply(
    con: duckdb.DuckDBPyConnection, export_name: str, *, whole_off_side: bool, list_replaced: bool, full: bool
) -> dict[str, int]:
    """Rewrite ledger statuses from `ac_on` / `ac_off`; returns how many rows each rule changed."""
    steps = [
        # Ours, now unsubscribed: they left while we had them (by whom, ActiveCampaign does not say).
        (
            "opted_out",
            f"status IN ('{SUBSCRIBED}', '{MISSING}') AND email IN (SELECT email FROM ac_off)",
            f"status = '{OPTED_OUT}', reason = 'left the list in ActiveCampaign while we had it subscribed'",
        ),
        (
            "unsubscribed_in_activecampaign",
            f"status = '{PRE_EXISTING}' AND email IN (SELECT email FROM ac_off)",
            f"status = '{UNSUBSCRIBED_IN_AC}', reason = 'unsubscribed in ActiveCampaign, not by us'",
        ),
        # Ours, neither subscribed nor unsubscribed: the list lost them (reset, emptied, restored).
        (
            "missing",
            f"status = '{SUBSCRIBED}' AND email NOT IN (SELECT email FROM ac_on)",
            f"status = '{MISSING}', reason = 'no longer on the list in ActiveCampaign'",
        ),
        (
            "back_on_list",
            f"status = '{MISSING}' AND email IN (SELECT email FROM ac_on)",
            f"status = '{SUBSCRIBED}', reason = NULL",
        ),
        # Subscribed by someone else after we removed, lost or were refused them: not ours to remove.
        (
            "pre_existing",
            f"status NOT IN {ON} AND email IN (SELECT email FROM ac_on)",
            f"status = '{PRE_EXISTING}', reason = 'subscribed in ActiveCampaign, not by us'",
        ),
    ]
    changes: dict[str, int] = {}
    with ledger.transaction(con):
        if list_replaced:
            # The id names another list now: that we removed someone from the old list says nothing of
            # this one, so they must not be re-subscribed as ours. Everything else the full read decides.
            _delete(con, f"status IN ('{REMOVED}', '{ledger.REFUSED}')")
        if full:
            # A refusal is remembered until the contact's data changes, or until a full reconcile: then
            # it is tried once more (a contact limit since raised, an exclusion since lifted).
            _update(con, f"status = '{ledger.REFUSED}'", "content_hash = NULL")
        for name, where, assignment in steps:
            changes[name] = changes.get(name, 0) + _update(con, where, assignment)
        changes["pre_existing"] += _insert(con, "ac_on", PRE_EXISTING, export_name)
        changes["forgotten"] = _delete(
            con, f"status = '{PRE_EXISTING}' AND email NOT IN (SELECT email FROM ac_on)"
        )
        if whole_off_side:
            unknown = _insert(con, "ac_off", UNSUBSCRIBED_IN_AC, export_name)
            changes["unsubscribed_in_activecampaign"] += unknown + _update(
                con,
                f"status = '{ledger.REFUSED}' AND email IN (SELECT email FROM ac_off)",
                f"status = '{UNSUBSCRIBED_IN_AC}', reason = 'unsubscribed in ActiveCampaign, not by us'",
            )
            changes["forgotten"] += _delete(
                con, f"status IN {OFF} AND email NOT IN (SELECT email FROM ac_off)"
            )
    return changes


def _update(con: duckdb.DuckDBPyConnection, where: str, assignment: str) -> int:
    row = con.execute(f"UPDATE ledger SET {assignment}, updated_at = now() WHERE {where}").fetchone()
    return int(row[0]) if row else 0


def _insert(con: duckdb.DuckDBPyConnection, table: str, status: str, export_name: str) -> int:
    reason = f"{'subscribed' if status == PRE_EXISTING else 'unsubscribed'} in ActiveCampaign, not by us"
    row = con.execute(
        f"""
        INSERT INTO ledger (email, status, reason, export, updated_at)
        SELECT email, ?, ?, ?, now() FROM {table}
        WHERE email NOT IN (SELECT email FROM ledger)
        """,
        [status, reason, export_name],
    ).fetchone()
    return int(row[0]) if row else 0


def _delete(con: duckdb.DuckDBPyConnection, where: str) -> int:
    row = con.execute(f"DELETE FROM ledger WHERE {where}").fetchone()
    return int(row[0]) if row else 0
