"""The send step of a run: what an earlier run left in flight, then the plan's queue, each sent and
confirmed with progress reported, and the list checked to still exist after it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ac_export.activecampaign import plan, progress
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError, NotFoundError
from ac_export.activecampaign.api.limits import MAX_CONTACTS_PER_BULK_REQUEST
from ac_export.activecampaign.config import Export
from ac_export.activecampaign.export_request import ExportRequest
from ac_export.activecampaign.upload import Uploader, UploadSettings
from ac_export.contracts import ExportCounts
from ac_export.state.ledger_api import Ledger


def on_existing_list(
    client: ActiveCampaignClient, export: Export, step: Callable[[], ExportCounts], check: bool = True
) -> ExportCounts:
    """Run an upload step, then make sure its list still exists (unless the caller proves it otherwise).

    ActiveCampaign completes imports queued for a list deleted meanwhile, without the subscriptions,
    so a confirmed batch alone does not prove the contacts are on the list.
    """
    try:
        counts = step()
    except ActiveCampaignError:
        stop_if_list_deleted(client, export.list_id)
        raise
    if counts.batches and check:
        stop_if_list_deleted(client, export.list_id)
    return counts


def stop_if_list_deleted(client: ActiveCampaignClient, list_id: int) -> None:
    """Stop with the fix when the list is gone; any other answer leaves the step's outcome standing."""
    try:
        client.get_list(list_id)
    except NotFoundError:
        raise ActiveCampaignError(
            f"ActiveCampaign list {list_id} was deleted while the export ran, so the contacts sent to it are "
            f"on no list; create the list again and set its new id as list_id in exports.yaml (the next run "
            f"exports the whole segment to it)",
            404,
        ) from None
    except ActiveCampaignError:
        return  # the step's own outcome or error stands


def resume_inflight(
    request: ExportRequest,
    client: ActiveCampaignClient,
    store: Ledger,
    settings: UploadSettings,
    log: logging.Logger,
) -> ExportCounts:
    """Finish what an earlier run left in flight, before planning anew."""
    counts = Uploader(client, store, settings).run()
    if counts.batches:
        log.info(f"export {request.name}: resumed {counts.settled} contacts an earlier run left in flight")
    return counts


def send_plan(
    request: ExportRequest,
    client: ActiveCampaignClient,
    store: Ledger,
    settings: UploadSettings,
    log: logging.Logger,
    started: float,
) -> ExportCounts:
    """Record the plan's send queue in the ledger, then send and confirm it."""
    store.enqueue(plan.send_queue_sql(), request.name, request.run_id, MAX_CONTACTS_PER_BULK_REQUEST)

    def report(done: ExportCounts, total: int) -> None:
        log.info(progress.sending_line(request.name, done, total, time.monotonic() - started))
        progress.report(
            progress.Progress(request.name, "sending", total, done.sent, done.rejected_by_activecampaign)
        )

    return Uploader(client, store, settings, report).run()
