"""One list's export, step by step: preflight, verify, plan, guard and approval, send, confirm, record.

Plain Python over the client, the ledger and the warehouse, so it runs (and is tested) without
Dagster. `run_export` is one list's run; `segment_export.export_segment` runs it for each export of
a segment and is what every entry point (asset, preview job, CLI) calls.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ac_export.activecampaign import custom_fields, plan, preflight, preview, progress, verify
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError
from ac_export.activecampaign.approval import check_approval, check_removal_guard, dry_run_warnings
from ac_export.activecampaign.errors import ExportStopped, stops_on_lost_state
from ac_export.activecampaign.export_request import ExportRequest
from ac_export.activecampaign.list_checks import ListTally, plan_checked, tally_list, verify_list
from ac_export.activecampaign.reconcile import Reconciliation
from ac_export.activecampaign.rejections import collect_rejections, rejection_rows_sql, rejection_sample
from ac_export.activecampaign.sending import on_existing_list, resume_inflight, send_plan
from ac_export.activecampaign.upload import UploadSettings
from ac_export.activecampaign.verify import Verification
from ac_export.contracts import ExportCounts, rejections_table
from ac_export.state import ledger
from ac_export.state.backend import StateBackend, StateConfigError
from ac_export.state.ledger_api import Ledger
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
    tally: ListTally
    reconciliation: Reconciliation | None = None
    # A dry run's plan table; and what a real run would have stopped on (a dry run never stops).
    preview: preview.PlanPreview | None = None
    warnings: list[str] = field(default_factory=list)
    # The list's history chart after a real run (where it is, the PNG), for the UI to embed.
    history_chart: tuple[Path, bytes] | None = None


@dataclass
class _Run:
    """What one run has learned on its way, for the result it returns."""

    request: ExportRequest
    client: ActiveCampaignClient
    ledger: Ledger
    started: float
    created: list[str]
    reconciled: Reconciliation | None = None
    # An earlier run's batches settled before planning: they stand apart from this plan's counts.
    resumed: ExportCounts = field(default_factory=ExportCounts)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection the run plans in (its TEMP tables beside the ledger's)."""
        return self.ledger.con


@stops_on_lost_state
def run_export(
    request: ExportRequest,
    client: ActiveCampaignClient,
    warehouse: Warehouse,
    settings: UploadSettings,
    log: logging.Logger | None = None,
    state: StateBackend | None = None,
) -> ExportResult:
    """Run one export end to end and return its counts; raises ExportStopped or ActiveCampaignError.

    `state` is the caller's (built from its settings); None is the embedded backend.
    """
    log = log or logging.getLogger(__name__)
    started = time.monotonic()
    export = request.export
    client.begin_phase("the preflight and reads")
    counted, list_name = preflight.count_first(client, export.list_id)
    store = _open_ledger(request, warehouse, state or StateBackend())
    run = _Run(request, client, store, started, [])
    opened_at = scalar(run.con, "SELECT now()::TIMESTAMP")
    try:
        fields = custom_fields.before_planning(client, store, export, dry_run=request.dry_run)
        if request.dry_run:
            ledger.shadow(run.con)
        else:
            resume = functools.partial(resume_inflight, request, client, store, settings, log)
            run.resumed = on_existing_list(client, export, resume)
            if run.resumed.batches:
                # Counted before the resumed batches settled: ActiveCampaign's numbers have moved since.
                counted = verify.activecampaign_counts(client, export.list_id)
        list_name = list_name or preflight.list_name(
            client, store, export, counted, full_reconcile_requested=request.full_reconcile
        )
        checked, run.reconciled = verify_list(request, client, store, counted, list_name, log)
        store.write_through()  # what the verify and reconcile learned holds even if the run dies next
        planned, field_ids = _planned(run, warehouse, fields, checked, log)
        log.info(progress.plan_line(request, planned))
        if export.on_empty_segment == "skip" and planned.members == 0:
            log.warning(
                f"export {request.name}: segment {export.segment} is empty; on_empty_segment=skip, so "
                f"list {export.list_id} is left as it is"
            )
            collect_rejections(store, request.name, since=None)
            tally = tally_list(client, store, export.list_id, checked, uploaded=None)
            store.write_through()
            return _result(run, planned.unsent(), tally)
        if request.dry_run:
            collect_rejections(store, request.name, since=None)
            tally = tally_list(client, store, export.list_id, checked, uploaded=None)
            return _dry_run_result(run, planned, _result(run, planned, tally), warehouse, field_ids, log)
        list_size = plan.list_size(store)
        check_removal_guard(request, planned, list_size)
        check_approval(request, planned, store, warehouse, field_ids)
        progress.report(progress.Progress(request.name, "planned", planned.sent))
        client.begin_phase("the upload")
        # The list's count after the upload proves it still exists (see `list_checks.tally_list`).
        uploaded = on_existing_list(
            client, export, lambda: send_plan(request, client, store, settings, log, started), check=False
        )
        preview.remember_sent(store)
        progress.report(
            progress.Progress(
                request.name, "done", planned.sent, uploaded.sent, uploaded.rejected_by_activecampaign
            )
        )
        collect_rejections(store, request.name, since=opened_at)
        warehouse.write_query(
            rejections_table(request.name), run.con, rejection_rows_sql(request.mask_emails)
        )
        tally = tally_list(client, store, export.list_id, checked, uploaded=uploaded)
        store.write_through()
        # What ActiveCampaign confirmed (and refused) in place of what the plan would send.
        return _result(run, planned.unsent() + uploaded, tally)
    finally:
        store.close()


def _planned(
    run: _Run, warehouse: Warehouse, fields: custom_fields.Fields, checked: Verification, log: logging.Logger
) -> tuple[ExportCounts, dict[str, int]]:
    """The plan, and the field ids its payloads carry: looked up first if it sends a field value."""
    request, client = run.request, run.client
    reconciled = run.reconciled is not None
    planned = plan_checked(request, client, run.ledger, warehouse, fields.ids, checked, log, reconciled)
    sent_with = custom_fields.before_sending(
        client, run.ledger, request.export, fields, dry_run=request.dry_run
    )
    run.created = sent_with.created
    changed = sorted(tag for tag, field_id in sent_with.ids.items() if fields.ids.get(tag) != field_id)
    if changed:
        log.warning(
            f"export {request.name}: the custom field(s) {', '.join(changed)} have other ids in "
            f"ActiveCampaign than the last run sent to (deleted and made again?); planned again with the "
            f"new ids, so every contact with a value for them is sent again"
        )
        planned = plan_checked(
            request, client, run.ledger, warehouse, sent_with.ids, checked, log, reconciled
        )
    return planned, sent_with.ids


def _open_ledger(request: ExportRequest, warehouse: Warehouse, state: StateBackend) -> LedgerStore:
    """The export's list ledger from the state backend; a busy or unreachable one stops the export."""
    try:
        return state.open_ledger(
            warehouse.ledger_root, request.account_host, request.export.list_id, read_only=request.dry_run
        )
    except (ledger.LedgerInUse, StateConfigError, StateDatabaseError) as exc:
        raise ExportStopped(str(exc)) from None


def _dry_run_result(
    run: _Run,
    planned: ExportCounts,
    result: ExportResult,
    warehouse: Warehouse,
    field_ids: dict[str, int],
    log: logging.Logger,
) -> ExportResult:
    """A dry run's counts and plan table; where a real run would stop, a warning instead."""
    request = run.request
    warnings = dry_run_warnings(request, planned, plan.list_size(run.ledger))
    for warning in warnings:
        log.warning(f"dry run: {warning}")
    shown = preview.write_plan(run.ledger, warehouse, request.name, field_ids, mask=request.mask_emails)
    log.info(f"dry run: export {request.name}: the plan ({shown.rows} contacts to change) is in {shown.path}")
    result.preview = shown
    result.warnings = warnings
    return result


def _result(run: _Run, counts: ExportCounts, tally: ListTally) -> ExportResult:
    """The run's result: `counts` (the plan's, with its sends as confirmed) and the run's own measures."""
    request, stats = run.request, run.client.stats
    duration = round(time.monotonic() - run.started, 3)
    # A dry run confirms nothing: its counts are what it would send.
    confirmed = 0 if request.dry_run else counts.sent + run.resumed.sent
    whole = dataclasses.replace(
        counts,
        email_changed=preview.email_changes(run.con),
        resumed=run.resumed.settled,
        batches=counts.batches + run.resumed.batches,
        requests=stats.requests,
        throttled=stats.throttled,
        retries=stats.retries,
        duration_s=duration,
        contacts_per_s=progress.contacts_per_s(confirmed, duration),
    )
    return ExportResult(
        name=request.name,
        counts=whole,
        rejection_sample=rejection_sample(run.con),
        list_size=plan.list_size(run.ledger),
        created_fields=run.created,
        dry_run=request.dry_run,
        tally=tally,
        reconciliation=run.reconciled,
    )


__all__ = ["ActiveCampaignError", "ExportRequest", "ExportResult", "ExportStopped", "ListTally", "run_export"]
