"""Reconcile: rebuild the ledger's view of a list from what ActiveCampaign holds, and say what changed.

The subscribed side is always read (its cost is the list's size, not its history). Contacts the
ledger had on the list that ActiveCampaign no longer shows as subscribed are then looked up one by
one, or by reading the unsubscribed side when that takes fewer requests; a full reconcile reads
both sides. Every rule here is about ownership: only contacts we subscribed are ours, nobody who
left the list is ever put back on it by us, and ours that vanished from the list are repaired.

What ActiveCampaign forgets (an account reset, a list emptied or restored, a contact deleted), the
ledger remembers: an opt-out it no longer shows stays an opt-out (`opted_out_remembered`), someone
else's subscriber it lost stays someone else's (`pre_existing_missing`). The one way back that
ActiveCampaign can show us is the contact subscribed to the list again by another's doing than
ours (a sign-up form, an account user): then it is `pre_existing`, never ours to remove.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.limits import PAGE_SIZE
from ac_export.activecampaign.api.statuses import ListStatus
from ac_export.activecampaign.verify import (
    LAST_FULL_RECONCILE_FACT,
    LIST_NAME_FACT,
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
    OPTED_OUT_REMEMBERED,
    PRE_EXISTING,
    PRE_EXISTING_MISSING,
    REMOVED,
    SUBSCRIBED,
    UNSUBSCRIBED_IN_AC,
    UNSUBSCRIBED_REMEMBERED,
    sql_in,
)

ON, OFF = sql_in(ON_LIST), sql_in(OFF_LIST)
OPTED_OUT_SET = (
    f"status = '{OPTED_OUT}', reason = 'left the list in ActiveCampaign while we had it subscribed'"
)
UNSUBSCRIBED_SET = f"status = '{UNSUBSCRIBED_IN_AC}', reason = 'unsubscribed in ActiveCampaign, not by us'"
PRE_EXISTING_SET = f"status = '{PRE_EXISTING}', reason = 'subscribed in ActiveCampaign, not by us'"
_IN_OFF = "email IN (SELECT email FROM ac_off)"


@dataclass(frozen=True)
class Reconciliation:
    """What a reconcile found: each count is contacts whose ledger status it changed."""

    reason: str
    full: bool
    pre_existing: int = 0
    opted_out: int = 0
    unsubscribed_in_activecampaign: int = 0
    missing: int = 0
    pre_existing_missing: int = 0
    back_on_list: int = 0
    remembered: int = 0
    forgotten: int = 0
    requests: int = 0
    # The list's counts as the reconcile's reads proved them (None: not read).
    counts: ListCounts | None = None

    def describe(self) -> str:
        """One line for the run log."""
        kind = "full reconcile" if self.full else "reconcile"
        return (
            f"{kind} ({self.reason}): {self.missing} of ours missing from the list (to repair), "
            f"{self.pre_existing_missing} subscribers we did not add missing (repaired as theirs), "
            f"{self.opted_out} opted out, {self.unsubscribed_in_activecampaign} unsubscribed by others, "
            f"{self.pre_existing} subscribers we did not add, {self.back_on_list} back on the list, "
            f"{self.remembered} opt-outs ActiveCampaign no longer shows (remembered, never sent), "
            f"{self.forgotten} we removed no longer in ActiveCampaign; {self.requests} requests"
        )


@dataclass(frozen=True)
class Withheld:
    """What the checks before subscribing found among the contacts a run was about to subscribe."""

    unsubscribed: int = 0
    subscribed_by_others: int = 0
    requests: int = 0

    @property
    def any(self) -> bool:
        """Whether the plan must be made again."""
        return bool(self.unsubscribed or self.subscribed_by_others)


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
    on = _emails(client, list_id, ListStatus.SUBSCRIBED)
    subscribed = agreed_count(client, list_id, ListStatus.SUBSCRIBED, counted.subscribed, len(on))
    _load(con, "ac_on", on)
    gone = _gone_from_list(con)
    read_off = full or len(gone) > _pages(counted.unsubscribed)
    off = _unsubscribed(client, list_id, gone, whole_side=read_off)
    unsubscribed = (
        agreed_count(client, list_id, ListStatus.UNSUBSCRIBED, counted.unsubscribed, len(off))
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
    counts: ListCounts,
    *,
    subscribers_known: bool = False,
) -> Withheld:
    """Check the contacts about to be subscribed against the list while the ledger's view is partial.

    Those ActiveCampaign holds as unsubscribed are withheld. Those about to be added (unknown to
    the ledger) that it already holds as subscribed were subscribed by someone else (a same-count
    swap hides them from the counts): recorded as pre-existing, so never ours to remove. One lookup
    per email (one for a new contact, more only when the list has it), or reading a side (100 a
    page) when that takes fewer requests — O(min(k, side / 100)); a side read whole is recorded
    whole, so later runs need neither.
    """
    before = client.stats.requests
    adding = _unknown_to_ledger(con, emails)
    check_on = bool(adding) and not subscribers_known and counts.subscribed > 0
    if not emails or not (check_on or counts.unsubscribed > 0):
        return Withheld()
    whole_off = counts.unsubscribed > 0 and len(emails) > _pages(counts.unsubscribed)
    whole_on = check_on and len(adding) > _pages(counts.subscribed)
    off = set(_emails(client, list_id, ListStatus.UNSUBSCRIBED)) if whole_off else set()
    on = set(_emails(client, list_id, ListStatus.SUBSCRIBED)) if whole_on else set()
    # A side read whole must agree with its count (asked again once): else the count is wrong.
    if whole_off:
        agreed_count(client, list_id, ListStatus.UNSUBSCRIBED, counts.unsubscribed, len(off))
    if whole_on:
        agreed_count(client, list_id, ListStatus.SUBSCRIBED, counts.subscribed, len(on))
    for email in emails:
        need_off = counts.unsubscribed > 0 and not whole_off
        need_on = check_on and not whole_on and email in adding and email not in off
        found = _status_of(client, list_id, email, need_off=need_off, need_on=need_on)
        if found == ListStatus.UNSUBSCRIBED:
            off.add(email)
        elif found == ListStatus.SUBSCRIBED:
            on.add(email)
    _load(con, "ac_off", sorted(off))
    _load(con, "ac_on", sorted(on))
    with ledger.transaction(con):
        _update(
            con,
            f"status IN ('{MISSING}', '{SUBSCRIBED}', '{OPTED_OUT_REMEMBERED}') AND {_IN_OFF}",
            OPTED_OUT_SET,
        )
        _update(con, f"status NOT IN {OFF} AND {_IN_OFF}", UNSUBSCRIBED_SET)
        _insert(con, "ac_off", UNSUBSCRIBED_IN_AC, export_name)
        claimed = _update(
            con, f"status = '{ledger.REFUSED}' AND email IN (SELECT email FROM ac_on)", PRE_EXISTING_SET
        ) + _insert(con, "ac_on", PRE_EXISTING, export_name)
        if whole_off:
            _remember_or_forget(con)
    withheld = sum(1 for email in emails if email in off)
    return Withheld(withheld, claimed, client.stats.requests - before)


def _unknown_to_ledger(con: duckdb.DuckDBPyConnection, emails: list[str]) -> set[str]:
    """Of these emails, those the ledger has no row for (or only a refusal): the ones to be added."""
    rows = con.execute(
        f"""
        SELECT e.email FROM (SELECT unnest(?::VARCHAR[]) AS email) e LEFT JOIN ledger l USING (email)
        WHERE l.email IS NULL OR l.status = '{ledger.REFUSED}'
        """,
        [emails],
    ).fetchall()
    return {str(row[0]) for row in rows}


def _status_of(
    client: ActiveCampaignClient, list_id: int, email: str, *, need_off: bool, need_on: bool
) -> ListStatus | None:
    """The contact's status on the list as far as asked (unsubscribed, subscribed), else None."""
    if need_on and need_off and not client.has_list_status(email, list_id, ListStatus.ANY):
        return None  # most contacts about to be added are new to the list: one request tells
    if need_off and client.has_list_status(email, list_id, ListStatus.UNSUBSCRIBED):
        return ListStatus.UNSUBSCRIBED
    if need_on and client.has_list_status(email, list_id, ListStatus.SUBSCRIBED):
        return ListStatus.SUBSCRIBED
    return None


def _remember_or_forget(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """After the unsubscribed side was read whole: what ActiveCampaign no longer shows as unsubscribed.

    Opt-outs and unsubscribes are remembered (consent is not ActiveCampaign's to forget); a removal
    of ours is forgotten (were the contact to return, subscribing it again is ours to do).
    Returns (remembered, forgotten).
    """
    gone = "email NOT IN (SELECT email FROM ac_off)"
    remembered = _update(
        con,
        f"status = '{OPTED_OUT}' AND {gone}",
        f"status = '{OPTED_OUT_REMEMBERED}', reason = 'opted out; ActiveCampaign no longer shows it'",
    ) + _update(
        con,
        f"status = '{UNSUBSCRIBED_IN_AC}' AND {gone}",
        f"status = '{UNSUBSCRIBED_REMEMBERED}', reason = 'unsubscribed by others; ActiveCampaign no "
        f"longer shows it'",
    )
    return remembered, _delete(con, f"status = '{REMOVED}' AND {gone}")


def _pages(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def _emails(client: ActiveCampaignClient, list_id: int, status: ListStatus) -> list[str]:
    return [email for page in client.list_contact_emails(list_id, status) for email in page]


def _unsubscribed(
    client: ActiveCampaignClient, list_id: int, emails: list[str], *, whole_side: bool
) -> list[str]:
    """The list's unsubscribed contacts (whole_side), or those among `emails`, looked up one by one."""
    if whole_side:
        return _emails(client, list_id, ListStatus.UNSUBSCRIBED)
    return [email for email in emails if client.has_list_status(email, list_id, ListStatus.UNSUBSCRIBED)]


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
    in_on, in_off = "email IN (SELECT email FROM ac_on)", _IN_OFF
    steps = [
        # Ours, now unsubscribed: they left while we had them (by whom, ActiveCampaign does not say).
        ("opted_out", f"status IN ('{SUBSCRIBED}', '{MISSING}') AND {in_off}", OPTED_OUT_SET),
        (
            "unsubscribed_in_activecampaign",
            f"status IN ('{PRE_EXISTING}', '{PRE_EXISTING_MISSING}') AND {in_off}",
            UNSUBSCRIBED_SET,
        ),
        # Remembered opt-outs ActiveCampaign shows again (a list restored): the same people, no news.
        ("recalled", f"status = '{OPTED_OUT_REMEMBERED}' AND {in_off}", OPTED_OUT_SET),
        ("recalled", f"status = '{UNSUBSCRIBED_REMEMBERED}' AND {in_off}", UNSUBSCRIBED_SET),
        # Ours, neither subscribed nor unsubscribed: the list lost them (reset, emptied, restored).
        (
            "missing",
            f"status = '{SUBSCRIBED}' AND email NOT IN (SELECT email FROM ac_on)",
            f"status = '{MISSING}', reason = 'no longer on the list in ActiveCampaign'",
        ),
        ("back_on_list", f"status = '{MISSING}' AND {in_on}", f"status = '{SUBSCRIBED}', reason = NULL"),
        # Subscribed by someone else after we removed, lost or were refused them, or after they opted
        # out (their own action, the one way back): not ours to remove.
        ("pre_existing", f"status NOT IN {ON} AND {in_on}", PRE_EXISTING_SET),
        # Someone else's subscriber the list lost: repaired while a member, and still not ours.
        (
            "pre_existing_missing",
            f"status = '{PRE_EXISTING}' AND email NOT IN (SELECT email FROM ac_on)",
            f"status = '{PRE_EXISTING_MISSING}', reason = 'lost by the list in ActiveCampaign; not ours'",
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
        changes["remembered"], changes["forgotten"] = 0, 0
        if whole_off_side:
            unknown = _insert(con, "ac_off", UNSUBSCRIBED_IN_AC, export_name)
            changes["unsubscribed_in_activecampaign"] += unknown + _update(
                con, f"status = '{ledger.REFUSED}' AND {in_off}", UNSUBSCRIBED_SET
            )
            changes["remembered"], changes["forgotten"] = _remember_or_forget(con)
    del changes["recalled"]  # a status ActiveCampaign shows again changes nobody's membership
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
