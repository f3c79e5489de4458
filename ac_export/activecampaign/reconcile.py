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
from ac_export.state.ledger import (
    MISSING,
    OFF_LIST,
    ON_LIST,
    OPTED_OUT_REMEMBERED,
    PRE_EXISTING,
    PRE_EXISTING_MISSING,
    REFUSED,
    SUBSCRIBED,
    UNSUBSCRIBED_REMEMBERED,
)
from ac_export.state.ledger_api import Ledger, any_but, one_of


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
    ledger: Ledger,
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
    _load(ledger, "ac_on", on)
    gone = ledger.on_list_absent_from("ac_on")
    read_off = full or len(gone) > _pages(counted.unsubscribed)
    off = _unsubscribed(client, list_id, gone, whole_side=read_off)
    unsubscribed = (
        agreed_count(client, list_id, ListStatus.UNSUBSCRIBED, counted.unsubscribed, len(off))
        if read_off
        else counted.unsubscribed
    )
    _load(ledger, "ac_off", off)
    changes = _apply(
        ledger, export_name, whole_off_side=read_off, list_replaced=verification.list_replaced, full=full
    )
    ledger.record_fact(LIST_NAME_FACT, verification.list_name)
    if full:
        ledger.record_fact(LAST_FULL_RECONCILE_FACT, datetime.now(UTC).isoformat())
    return Reconciliation(
        reason=reason,
        full=full,
        requests=client.stats.requests - before,
        counts=ListCounts(subscribed, unsubscribed),
        **changes,
    )


def withhold_unsubscribed(
    client: ActiveCampaignClient,
    ledger: Ledger,
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
    adding = ledger.unknown_or_refused(emails)
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
    _load(ledger, "ac_off", sorted(off))
    _load(ledger, "ac_on", sorted(on))
    with ledger.transaction():
        ledger.mark_opted_out("ac_off", was=one_of(MISSING, SUBSCRIBED, OPTED_OUT_REMEMBERED))
        ledger.mark_unsubscribed_by_others("ac_off", was=any_but(*OFF_LIST))
        ledger.learn_unsubscribed_by_others("ac_off", export_name)
        claimed = ledger.mark_pre_existing("ac_on", was=one_of(REFUSED)) + ledger.learn_pre_existing(
            "ac_on", export_name
        )
        if whole_off:
            _remember_or_forget(ledger)
    withheld = sum(1 for email in emails if email in off)
    return Withheld(withheld, claimed, client.stats.requests - before)


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


def _remember_or_forget(ledger: Ledger) -> tuple[int, int]:
    """After the unsubscribed side was read whole: what ActiveCampaign no longer shows as unsubscribed.

    Opt-outs and unsubscribes are remembered (consent is not ActiveCampaign's to forget); a removal
    of ours is forgotten (were the contact to return, subscribing it again is ours to do).
    Returns (remembered, forgotten).
    """
    return ledger.remember_opt_outs(absent_from="ac_off"), ledger.forget_removals(absent_from="ac_off")


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


def _load(ledger: Ledger, name: str, emails: list[str]) -> None:
    """The emails ActiveCampaign showed, as a TEMP table the ledger's operations take by name."""
    ledger.con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT unnest(?::VARCHAR[]) AS email", [emails]
    )


def _apply(
    ledger: Ledger, export_name: str, *, whole_off_side: bool, list_replaced: bool, full: bool
) -> dict[str, int]:
    """Bring ledger statuses in line with `ac_on` / `ac_off`; returns how many rows each rule changed."""
    with ledger.transaction():
        if list_replaced:
            # The id names another list now: that we removed someone from the old list says nothing of
            # this one, so they must not be re-subscribed as ours. Everything else the full read decides.
            ledger.forget_removals_and_refusals()
        if full:
            # A refusal is remembered until the contact's data changes, or until a full reconcile: then
            # it is tried once more (a contact limit since raised, an exclusion since lifted).
            ledger.retry_refusals()
        changes = _follow_the_list(ledger, export_name)
        if whole_off_side:
            unknown = ledger.learn_unsubscribed_by_others("ac_off", export_name)
            changes["unsubscribed_in_activecampaign"] += unknown + ledger.mark_unsubscribed_by_others(
                "ac_off", was=one_of(REFUSED)
            )
            changes["remembered"], changes["forgotten"] = _remember_or_forget(ledger)
    return changes


def _follow_the_list(ledger: Ledger, export_name: str) -> dict[str, int]:
    """The rules every reconcile applies, in this order; each count is the contacts one rule changed."""
    # Ours, now unsubscribed: they left while we had them (by whom, ActiveCampaign does not say).
    opted_out = ledger.mark_opted_out("ac_off", was=one_of(SUBSCRIBED, MISSING))
    theirs = one_of(PRE_EXISTING, PRE_EXISTING_MISSING)
    unsubscribed = ledger.mark_unsubscribed_by_others("ac_off", was=theirs)
    # Remembered opt-outs ActiveCampaign shows again (a list restored): the same people, no news, so
    # not counted (a status shown again changes nobody's membership).
    ledger.mark_opted_out("ac_off", was=one_of(OPTED_OUT_REMEMBERED))
    ledger.mark_unsubscribed_by_others("ac_off", was=one_of(UNSUBSCRIBED_REMEMBERED))
    # Ours, neither subscribed nor unsubscribed: the list lost them (reset, emptied, restored).
    missing = ledger.mark_missing(absent_from="ac_on", was=one_of(SUBSCRIBED))
    back_on_list = ledger.mark_subscribed("ac_on", was=one_of(MISSING))
    # Subscribed by someone else after we removed, lost or were refused them, or after they opted
    # out (their own action, the one way back): not ours to remove.
    pre_existing = ledger.mark_pre_existing("ac_on", was=any_but(*ON_LIST))
    # Someone else's subscriber the list lost: repaired while a member, and still not ours.
    pre_existing_missing = ledger.mark_pre_existing_missing(absent_from="ac_on", was=one_of(PRE_EXISTING))
    pre_existing += ledger.learn_pre_existing("ac_on", export_name)
    return {
        "opted_out": opted_out,
        "unsubscribed_in_activecampaign": unsubscribed,
        "missing": missing,
        "back_on_list": back_on_list,
        "pre_existing": pre_existing,
        "pre_existing_missing": pre_existing_missing,
        "remembered": 0,
        "forgotten": 0,
    }
