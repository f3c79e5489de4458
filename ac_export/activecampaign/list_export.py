"""One list's export, step by step: preflight, verify, plan, guard and approval, send, confirm, record.

Plain Python over the client, the ledger and the warehouse, so it runs (and is tested) without
Dagster. `run_export` is one list's run; `segment_export.export_segment` runs it for each export of
a segment and is what every entry point (asset, preview job, CLI) calls.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ac_export.activecampaign import plan, preview, progress
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError
from ac_export.activecampaign.approval import check_approval, check_removal_guard, dry_run_warnings
from ac_export.activecampaign.errors import ExportStopped, stops_on_lost_state
from ac_export.activecampaign.export_request import ExportRequest
from ac_export.activecampaign.list_checks import ListSync, plan_checked, tally_list, verify_list
from ac_export.activecampaign.preflight import preflight
from ac_export.activecampaign.reconcile import Reconciliation
from ac_export.activecampaign.rejections import collect_rejections, rejection_rows_sql, rejection_sample
from ac_export.activecampaign.sending import on_existing_list, resume_inflight, send_plan
from ac_export.activecampaign.upload import UploadCounts, UploadSettings
from ac_export.contracts import ExportCounts, rejections_table
from ac_export.state import ledger
from ac_export.state.backend import StateBackend, StateConfigError
from ac_export.state.postgres.connection import StateDatabaseError
from ac_export.state.store import LedgerStore
from ac_export.warehouse import Warehouse, scalar


@dataclass
class ExportResult:
    """The outcome of one export: the counts users see as materialization metadata."""

    name: str
    counts: ExportCounts
    rejection_sample: list[tuple[str, str, str, str]]
    list_size: int
    created_fields: list[str]
    dry_run: bool
    sync: ListSync
    reconciliation: Reconciliation | None = None
    # A dry run's plan table; and what a real run would have stopped on (a dry run never stops).
    preview: preview.PlanPreview | None = None
    warnings: list[str] = field(default_factory=list)
    # The list's history chart after a real run (where it is, the PNG), for the UI to embed.
    history_chart: tuple[Path, bytes] | None = None


@stops_on_lost_state
def run_export(
    request: ExportRequest,
    client: ActiveCampaignClient,
    warehouse: Warehouse,
    settings: UploadSettings,
    log: logging.Logger | None = None,
    state: StateBackend | None = None,
) -> ExportResult:
    """Run one export end to end and return its counts; raises ExportStopped or ActiveCampaignError."""
    log = log or logging.getLogger(__name__)
    started = time.monotonic()
    export = request.export
    client.begin_phase("the preflight and reads")
    field_ids, created, list_name = preflight(client, export, dry_run=request.dry_run)
    store = _open_ledger(request, warehouse, state or StateBackend.from_environment())
    con = store.con
    opened_at = scalar(con, "SELECT now()::TIMESTAMP")
    try:
        if request.dry_run:
            ledger.shadow(con)
        resumed = UploadCounts()
        if not request.dry_run:
            resume = functools.partial(resume_inflight, request, client, store, settings, log)
            resumed = on_existing_list(client, export, resume)
        checked, reconciled = verify_list(request, client, con, list_name, log)
        store.sync()  # what the verify and reconcile learned holds even if the run dies next
        counts = plan_checked(
            request, client, con, warehouse, field_ids, checked, log, reconciled is not None
        )
        log.info(progress.plan_line(request, counts))
        if export.on_empty_segment == "skip" and counts.members == 0:
            log.warning(
                f"export {request.name}: segment {export.segment} is empty; on_empty_segment=skip, so "
                f"list {export.list_id} is left as it is"
            )
            collect_rejections(con, request.name, since=None)
            sync = tally_list(client, con, export.list_id, checked, sent=False)
            store.sync()
            return _result(
                request, counts, UploadCounts(), client, con, started, created, reconciled, sync, True
            )
        if request.dry_run:
            collect_rejections(con, request.name, since=None)
            sync = tally_list(client, con, export.list_id, checked, sent=False)
            unsent = _result(request, counts, UploadCounts(), client, con, started, created, reconciled, sync)
            return _dry_run_result(request, counts, unsent, con, warehouse, field_ids, log)
        check_removal_guard(request, counts)
        check_approval(request, counts, con, warehouse, field_ids)
        progress.report(progress.Progress(request.name, "planned", counts.to_send))
        client.begin_phase("the upload")
        uploaded = on_existing_list(
            client, export, lambda: send_plan(request, client, store, settings, log, started)
        )
        preview.remember_sent(con)
        progress.report(
            progress.Progress(
                request.name, "done", counts.to_send, uploaded.confirmed, uploaded.rejected_by_activecampaign
            )
        )
        collect_rejections(con, request.name, since=opened_at)
        warehouse.write_query(rejections_table(request.name), con, rejection_rows_sql(request.mask_emails))
        sync = tally_list(client, con, export.list_id, checked, sent=uploaded.batches + resumed.batches > 0)
        store.sync()
        return _result(
            request, counts, uploaded, client, con, started, created, reconciled, sync, resumed=resumed
        )
    finally:
        store.close()


def _open_ledger(request: ExportRequest, warehouse: Warehouse, state: StateBackend) -> LedgerStore:
    """The export's list ledger from the state backend; a busy or unreachable one stops the export."""
    try:
        return state.open_ledger(
            warehouse.ledger_root, request.account_host, request.export.list_id, read_only=request.dry_run
        )
    except (ledger.LedgerInUse, StateConfigError, StateDatabaseError) as exc:
        raise ExportStopped(str(exc)) from None


def _dry_run_result(
    request: ExportRequest,
    counts: plan.PlanCounts,
    result: ExportResult,
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    field_ids: dict[str, int],
    log: logging.Logger,
) -> ExportResult:
    """A dry run's counts and plan table; where a real run would stop, a warning instead."""
    warnings = dry_run_warnings(request, counts)
    for warning in warnings:
        log.warning(f"dry run: {warning}")
    shown = preview.write_plan(con, warehouse, request.name, field_ids, mask=request.mask_emails)
    log.info(f"dry run: export {request.name}: the plan ({shown.rows} contacts to change) is in {shown.path}")
    result.preview = shown
    result.warnings = warnings
    return result


def _result(
    request: ExportRequest,
    counts: plan.PlanCounts,
    uploaded: UploadCounts,
    client: ActiveCampaignClient,
    con: duckdb.DuckDBPyConnection,
    started: float,
    created: list[str],
    reconciled: Reconciliation | None,
    sync: ListSync,
    skipped: bool = False,
    resumed: UploadCounts | None = None,
) -> ExportResult:
    """The run's counts; `resumed` (an earlier run's batches settled first) stands apart from the plan's."""
    resumed = resumed or UploadCounts()
    duration = time.monotonic() - started
    planned = not request.dry_run and not skipped
    # A dry run reports what it would send; a skipped run sends nothing.
    would = (
        ExportCounts()
        if skipped
        else ExportCounts(
            added=counts.added,
            updated=counts.updated,
            removed=counts.removed,
            resubscribed=counts.resubscribed,
            repaired=counts.repaired,
        )
    )
    done = ExportCounts(
        added=uploaded.added,
        updated=uploaded.updated,
        removed=uploaded.removed,
        resubscribed=uploaded.resubscribed,
        repaired=uploaded.repaired,
    )
    sent = done if planned else would
    values = ExportCounts(
        members=counts.members,
        added=sent.added,
        updated=sent.updated,
        unchanged=counts.unchanged,
        removed=sent.removed,
        resubscribed=sent.resubscribed,
        repaired=sent.repaired,
        pre_existing=counts.pre_existing,
        opted_out=counts.opted_out,
        unsubscribed_in_activecampaign=counts.unsubscribed_in_activecampaign,
        rejected_missing_email=counts.rejected_missing_email,
        rejected_invalid_email=counts.rejected_invalid_email,
        rejected_by_activecampaign=uploaded.rejected_by_activecampaign + counts.rejected_unsent,
        duplicates_folded=counts.duplicates_folded,
        removals_refused=uploaded.removals_refused,
        resumed=resumed.done,
        batches=uploaded.batches + resumed.batches,
        requests=client.stats.requests,
        throttled=client.stats.throttled,
        retries=client.stats.retries,
        duration_s=round(duration, 3),
        contacts_per_s=progress.contacts_per_s(done.sent + resumed.confirmed, round(duration, 3)),
        email_changed=0 if skipped else preview.email_changes(con),
    )
    size = scalar(con, f"SELECT count(*) FROM ledger WHERE status = '{ledger.SUBSCRIBED}'")
    return ExportResult(
        name=request.name,
        counts=values,
        rejection_sample=rejection_sample(con),
        list_size=int(size),
        created_fields=created,
        dry_run=request.dry_run,
        sync=sync,
        reconciliation=reconciled,
    )


__all__ = ["ActiveCampaignError", "ExportRequest", "ExportResult", "ExportStopped", "ListSync", "run_export"]


__all__ = ["ActiveCampaignError", "ExportRequest", "ExportResult", "ExportStopped", "ListSync", "run_export"]
