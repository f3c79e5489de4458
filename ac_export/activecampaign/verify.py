"""Verify: does the ledger still describe the list as ActiveCampaign holds it? Two requests a run.

ActiveCampaign reports how many of a list's contacts are subscribed and unsubscribed
(`GET /contacts?listid=&status=&limit=1` → `meta.total`). The ledger knows which contacts it
believes are on the list (ours and pre-existing) and off it (removed, opted out, unsubscribed by
others). Equal counts and an unchanged list name mean the ledger is trusted for this run; any
difference in subscribers, a list id that now names another list, or a full reconcile falling due
starts a reconcile.

A count is acted on only if it can be true. Each count answer must agree with itself (`paging`);
counts that differ from the ledger must fit in the account (subscribed + unsubscribed ≤ its
contacts: one request more, made only when a reconcile is about to act on them, and asked again once
before the run stops); and when a reconcile reads a side whole, the read and the count must agree
(`agreed_count`). What cannot be proved wrong — a
list emptied by a reset, people added by others — is believed and reconciled, never re-sent on a
count alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ImpossibleCount
from ac_export.activecampaign.api.statuses import ListStatus
from ac_export.contracts import ExportCounts
from ac_export.state.ledger import OFF_LIST, ON_LIST
from ac_export.state.ledger_api import Ledger

LIST_NAME_FACT = "list_name"
LAST_FULL_RECONCILE_FACT = "last_full_reconcile"
# After each run: how many of the list's unsubscribed contacts the ledger did not know (history from
# before us), and how many of ours had left the list without being identified yet.
UNKNOWN_UNSUBSCRIBED_FACT = "unknown_unsubscribed"
LEFT_UNIDENTIFIED_FACT = "left_unidentified"


@dataclass(frozen=True)
class ListCounts:
    """How many contacts are subscribed to a list and how many are unsubscribed from it."""

    subscribed: int
    unsubscribed: int


@dataclass(frozen=True)
class Verification:
    """ActiveCampaign's counts beside the ledger's, and the list's name then and now."""

    activecampaign: ListCounts
    ledger: ListCounts
    list_name: str
    known_list_name: str | None
    unknown_unsubscribed_before: int | None = None
    left_unidentified_before: int = 0

    @property
    def list_replaced(self) -> bool:
        """The list id now names another list (an account reset, a list deleted and recreated)."""
        return self.known_list_name is not None and self.known_list_name != self.list_name

    @property
    def in_step(self) -> bool:
        """The ledger's subscribers match ActiveCampaign's count for the same list.

        The unsubscribed side is not compared here: a difference there (history from before we
        managed the list, a deleted contact) changes nobody's membership; it only means the
        contacts about to be subscribed are checked first (see `reconcile.withhold_unsubscribed`).
        """
        return not self.list_replaced and self.activecampaign.subscribed == self.ledger.subscribed

    @property
    def shortfall(self) -> int:
        """Subscribers the ledger has on the list beyond ActiveCampaign's count."""
        return max(0, self.ledger.subscribed - self.activecampaign.subscribed)

    @property
    def explained_by_unsubscribes(self) -> bool:
        """Every subscriber short is matched by a new unsubscribe since the last run: people left.

        Then nobody is missing and nothing needs reading now; finding *who* left would cost the
        list's size / 100 requests, so it waits for the contacts this run sends (looked up one by
        one) and for the next full reconcile. A reset, a list emptied or restored, or a subscriber
        added by hand does not look like this and is reconciled at once.
        """
        if self.list_replaced or self.unknown_unsubscribed_before is None or self.shortfall == 0:
            return False
        if self.activecampaign.subscribed > self.ledger.subscribed:
            return False
        unknown_now = self.activecampaign.unsubscribed - self.ledger.unsubscribed
        new_unsubscribes = unknown_now - self.unknown_unsubscribed_before
        return self.shortfall <= self.left_unidentified_before + new_unsubscribes

    def describe(self) -> str:
        """What differs, in words for the run log."""
        if self.list_replaced:
            return f"list id now names {self.list_name!r}, not {self.known_list_name!r}"
        ac, ours = self.activecampaign, self.ledger
        return (
            f"ActiveCampaign holds {ac.subscribed} subscribed / {ac.unsubscribed} unsubscribed, the ledger "
            f"expects {ours.subscribed} / {ours.unsubscribed}"
        )


def ledger_counts(ledger: Ledger) -> ListCounts:
    """What the ledger believes ActiveCampaign holds: contacts on the list, and unsubscribed from it."""
    counts = ledger.counts()
    return ListCounts(counts.of(*ON_LIST), counts.of(*OFF_LIST))


def activecampaign_counts(client: ActiveCampaignClient, list_id: int) -> ListCounts:
    """ActiveCampaign's own counts of the list (two requests, whatever the list's size or history)."""
    return ListCounts(
        client.count_list_contacts(list_id, ListStatus.SUBSCRIBED),
        client.count_list_contacts(list_id, ListStatus.UNSUBSCRIBED),
    )


def after_upload(verified: ListCounts, confirmed: ExportCounts) -> ListCounts:
    """The list's counts once ActiveCampaign confirmed this run's batches: subscriptions in, removals out.

    Refused contacts changed nothing, so only confirmed outcomes move a count. A change made by someone
    else during the run is not in these figures; the next run's verification counts it.
    """
    joined = confirmed.added + confirmed.resubscribed + confirmed.repaired
    return ListCounts(
        verified.subscribed + joined - confirmed.removed,
        max(0, verified.unsubscribed + confirmed.removed - confirmed.resubscribed),
    )


def possible_counts(client: ActiveCampaignClient, list_id: int, counts: ListCounts) -> ListCounts:
    """The list's counts once they fit in the account; ImpossibleCount if they still do not when asked again.

    One contact has one status on a list, so a list cannot count more contacts than the account holds.
    Counts taken a moment apart may straddle a change, hence the second asking before stopping.
    """
    held = client.count_contacts()
    if counts.subscribed + counts.unsubscribed <= held:
        return counts
    again, held = activecampaign_counts(client, list_id), client.count_contacts()
    if again.subscribed + again.unsubscribed <= held:
        return again
    raise ImpossibleCount(
        f"ActiveCampaign counts {again.subscribed} subscribed and {again.unsubscribed} unsubscribed contacts "
        f"on list {list_id}, more than the {held} contacts the account holds; a count that cannot be true is "
        f"never acted on, so nothing was written. Run again; if it repeats, report it to ActiveCampaign"
    )


def agreed_count(
    client: ActiveCampaignClient, list_id: int, status: ListStatus, counted: int, read: int
) -> int:
    """A side's count once a whole read of it agrees: asked again if not; ImpossibleCount if still not.

    A read checked page by page (`paging.PagedRead`) ends at its own `meta.total`; a count that
    differs from it was either overtaken by a change (the recount then agrees) or is wrong.
    """
    if counted == read:
        return read
    recount = client.count_list_contacts(list_id, status)
    if recount == read:
        return read
    side = status.side
    raise ImpossibleCount(
        f"ActiveCampaign counts {counted} (asked again: {recount}) {side} contacts on list {list_id}, but "
        f"reading them all returned {read}; a count that contradicts the list it counts is never acted on, "
        f"so nothing was written. Run again; if it repeats, the server's counts are wrong"
    )


def verify(ledger: Ledger, counted: ListCounts, list_name: str) -> Verification:
    """Compare the list's counts in ActiveCampaign (`activecampaign_counts`) with the ledger's."""
    return Verification(
        activecampaign=counted,
        ledger=ledger_counts(ledger),
        list_name=list_name,
        known_list_name=ledger.fact(LIST_NAME_FACT),
        unknown_unsubscribed_before=_int_fact(ledger, UNKNOWN_UNSUBSCRIBED_FACT),
        left_unidentified_before=_int_fact(ledger, LEFT_UNIDENTIFIED_FACT) or 0,
    )


def _int_fact(ledger: Ledger, name: str) -> int | None:
    value = ledger.fact(name)
    return None if value is None else int(value)


def remember_counts(ledger: Ledger, activecampaign: ListCounts, left_unidentified: int) -> None:
    """After a run: what the next run's verify compares with (see `explained_by_unsubscribes`)."""
    unknown = activecampaign.unsubscribed - ledger_counts(ledger).unsubscribed
    ledger.record_fact(UNKNOWN_UNSUBSCRIBED_FACT, str(unknown))
    ledger.record_fact(LEFT_UNIDENTIFIED_FACT, str(left_unidentified))


def reconcile_reason(
    verification: Verification,
    ledger: Ledger,
    full_every_days: float,
    requested: bool,
    now: datetime | None = None,
) -> tuple[str | None, bool]:
    """Why this run must reconcile (None: it need not), and whether it must read the whole list."""
    if requested:
        return "a full reconcile was requested for this run", True
    if verification.list_replaced:
        return verification.describe(), True
    last = ledger.fact(LAST_FULL_RECONCILE_FACT)
    now = now or datetime.now(UTC)
    due = last is None or now - datetime.fromisoformat(last) >= timedelta(days=full_every_days)
    has_history = verification.ledger != ListCounts(0, 0) or verification.activecampaign != ListCounts(0, 0)
    if due and has_history:
        when = "never" if last is None else last[:19]
        return f"the scheduled full reconcile is due (every {full_every_days:g} days; last: {when})", True
    if not verification.in_step and not verification.explained_by_unsubscribes:
        return verification.describe(), False
    return None, False


def unsubscribed_known(verification: Verification, ledger: Ledger) -> bool:
    """Whether the ledger knows every contact ActiveCampaign holds as unsubscribed from the list."""
    return ledger_counts(ledger).unsubscribed == verification.activecampaign.unsubscribed
