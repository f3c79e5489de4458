"""The run's checks of the list in ActiveCampaign against its ledger: before planning (verify, and
reconcile when they differ), while planning (contacts about to be subscribed looked up when the
ledger's view is partial), and after sending (the list's subscribers counted beside the ledger's).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from ac_export.activecampaign import plan, reconcile, verify
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError, NotFoundError
from ac_export.activecampaign.api.statuses import ListStatus
from ac_export.activecampaign.export_request import ExportRequest
from ac_export.activecampaign.reconcile import Reconciliation
from ac_export.activecampaign.sending import stop_if_list_deleted
from ac_export.activecampaign.verify import Verification
from ac_export.contracts import ExportCounts
from ac_export.state.ledger import MISSING, PRE_EXISTING, SUBSCRIBED
from ac_export.state.ledger_api import Ledger
from ac_export.warehouse import Warehouse


@dataclass(frozen=True)
class ListTally:
    """After a run: the list's subscribers in ActiveCampaign beside the ones the ledger manages."""

    activecampaign_subscribed: int
    ours: int
    pre_existing: int
    lost: int = 0
    left_unidentified: int = 0

    @property
    def shortfall(self) -> int:
        """Subscribers the ledger has on the list beyond ActiveCampaign's count."""
        return max(0, self.ours + self.pre_existing - self.activecampaign_subscribed)

    @property
    def missing(self) -> int:
        """Members that should be on the list and are not: ours found lost, and any unexplained shortfall."""
        return self.lost + self.shortfall - min(self.left_unidentified, self.shortfall)

    @property
    def unknown(self) -> int:
        """Subscribers ActiveCampaign has that the ledger does not know (added by others since)."""
        return max(0, self.activecampaign_subscribed - self.ours - self.pre_existing)

    @property
    def in_sync(self) -> bool:
        """ActiveCampaign holds exactly the subscribers the ledger has on the list."""
        return self.missing == 0 and self.unknown == 0 and self.left_unidentified == 0


def verify_list(
    request: ExportRequest,
    client: ActiveCampaignClient,
    ledger: Ledger,
    counted: verify.ListCounts,
    list_name: str,
    log: logging.Logger,
) -> tuple[Verification, Reconciliation | None]:
    """Compare the list's counts with the ledger; reconcile when they differ (or a full reconcile is due)."""
    export = request.export
    checked = verify.verify(ledger, counted, list_name)
    reason, full = verify.reconcile_reason(
        checked, ledger, export.full_reconcile_every_days, requested=request.full_reconcile
    )
    if reason is None:
        if ledger.fact(verify.LIST_NAME_FACT) is None:
            # A first run on an empty list: the ledger knows all of it (nothing), a full reconcile's worth.
            ledger.record_fact(verify.LIST_NAME_FACT, list_name)
            ledger.record_fact(verify.LAST_FULL_RECONCILE_FACT, datetime.now(UTC).isoformat())
        if checked.in_step:
            verified = f"list {export.list_id} verified in ActiveCampaign ({checked.describe()})"
            log.info(f"export {request.name}: {verified}")
        else:
            log.warning(
                f"export {request.name}: {checked.shortfall} contact(s) left list {export.list_id} in "
                f"ActiveCampaign ({checked.describe()}); finding them all would read the whole list, so the "
                f"contacts this run sends are looked up first and the next full reconcile names the rest"
            )
        return checked, None
    done = reconcile.reconcile(
        client, ledger, request.name, export.list_id, checked, reason=reason, full=full
    )
    log.warning(f"export {request.name}: list {export.list_id}: {done.describe()}")
    # The counts the reconcile's reads proved are the ones the rest of the run goes by.
    return dataclasses.replace(checked, activecampaign=done.counts or checked.activecampaign), done


def plan_checked(
    request: ExportRequest,
    client: ActiveCampaignClient,
    ledger: Ledger,
    warehouse: Warehouse,
    field_ids: dict[str, int],
    checked: Verification,
    log: logging.Logger,
    subscribers_known: bool,
) -> ExportCounts:
    """Plan the run; contacts about to be subscribed are checked first when the ledger's view is partial."""
    export = request.export
    counts = plan.build_plan(ledger, warehouse, export, request.attribute_types, field_ids)
    if verify.unsubscribed_known(checked, ledger):
        return counts
    withheld = reconcile.withhold_unsubscribed(
        client,
        ledger,
        request.name,
        export.list_id,
        plan.subscribing_emails(ledger.con),
        checked.activecampaign,
        subscribers_known=subscribers_known,
    )
    if withheld.unsubscribed:
        log.warning(
            f"export {request.name}: {withheld.unsubscribed} contact(s) about to be subscribed had left "
            f"list {export.list_id} in ActiveCampaign; they are not put back ({withheld.requests} requests "
            f"to check)"
        )
    if withheld.subscribed_by_others:
        log.warning(
            f"export {request.name}: {withheld.subscribed_by_others} contact(s) about to be added were "
            f"already subscribed to list {export.list_id} by someone else; they stay theirs (pre-existing, "
            f"never removed)"
        )
    if withheld.any:
        plan.diff_against_ledger(ledger, export)
        counts = plan.count_plan(ledger)
    return counts


def _counted_after(
    client: ActiveCampaignClient, list_id: int, checked: Verification, uploaded: ExportCounts
) -> verify.ListCounts:
    """The list's counts after an upload: the subscribed side counted again (one request).

    A count that is what the confirmed batches predict, and not zero, also proves the list still
    exists: a deleted one holds nobody. Any other count asks for the list itself. The unsubscribed
    side is not counted again: it changes no membership we report, and the next run's verification
    counts it before planning.
    """
    expected = verify.after_upload(checked.activecampaign, uploaded)
    if not uploaded.batches:
        return expected
    try:
        counted: int | None = client.count_list_contacts(list_id, ListStatus.SUBSCRIBED)
    except NotFoundError:
        counted = None
    if counted is None or counted == 0 or counted != expected.subscribed:
        stop_if_list_deleted(client, list_id)
    if counted is None:
        raise ActiveCampaignError(
            f"ActiveCampaign answered 404 to counting list {list_id} after the upload although the list "
            f"exists; the confirmed batches are recorded, run the export again to verify the list",
            404,
        )
    return dataclasses.replace(expected, subscribed=counted)


def tally_list(
    client: ActiveCampaignClient,
    ledger: Ledger,
    list_id: int,
    checked: Verification,
    *,
    uploaded: ExportCounts | None,
) -> ListTally:
    """The list's subscribers beside the ledger's, as ActiveCampaign counts them after the run's upload.

    Batches resumed from an earlier run settled before the verification, so its counts hold them.
    """
    now = checked.activecampaign if uploaded is None else _counted_after(client, list_id, checked, uploaded)
    held = ledger.counts()
    tally = ListTally(now.subscribed, held.of(SUBSCRIBED), held.of(PRE_EXISTING), held.of(MISSING))
    if checked.explained_by_unsubscribes:
        tally = dataclasses.replace(tally, left_unidentified=tally.shortfall)
    verify.remember_counts(ledger, now, tally.left_unidentified)
    return tally
