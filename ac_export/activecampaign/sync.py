"""One export, step by step: preflight, plan, upload, confirm, record.

Plain Python over the client, the ledger and the warehouse, so it runs (and is tested) without
Dagster; the asset in `assets.py` is a thin shell around `run_export`.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from ac_export.activecampaign import plan
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError, NotFoundError
from ac_export.activecampaign.api.limits import MAX_CONTACTS_PER_BULK_REQUEST
from ac_export.activecampaign.config import Export
from ac_export.activecampaign.errors import ExportStopped
from ac_export.activecampaign.upload import UploadCounts, Uploader, UploadSettings
from ac_export.contracts import ExportCounts, rejections_table
from ac_export.state import ledger
from ac_export.state.backend import StateBackend, StateConfigError
from ac_export.state.postgres.connection import StateDatabaseError
from ac_export.state.store import LedgerStore
from ac_export.warehouse import Warehouse, scalar

REJECTION_SAMPLE_ROWS = 10


@dataclass(frozen=True)
class ExportRequest:
    """What to export where, and how."""

    name: str
    export: Export
    account_host: str
    attribute_types: dict[str, str]
    dry_run: bool = False
    allow_large_removal: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class ExportResult:
    """The outcome of one export: the counts users see as materialization metadata."""

    name: str
    counts: ExportCounts
    rejection_sample: list[tuple[str, str, str, str]]
    list_size: int
    created_fields: list[str]
    dry_run: bool


def preflight(
    client: ActiveCampaignClient, export: Export, *, dry_run: bool
) -> tuple[dict[str, int], list[str]]:
    """Check credentials, the list and every custom field before any write; returns field ids.

    A missing field stops the export unless the export opts into creating it.
    """
    client.me()
    try:
        client.get_list(export.list_id)
    except NotFoundError:
        raise ExportStopped(
            f"ActiveCampaign list {export.list_id} does not exist in this account; create it (Lists → Add a "
            f"list) or fix list_id in exports.yaml (`ac-export check-connection` prints the account's lists)"
        ) from None
    field_ids: dict[str, int] = {}
    created: list[str] = []
    missing: list[str] = []
    unrelated: list[str] = []
    for perstag in export.fields.custom:
        found = client.field_by_perstag(perstag)
        if found is not None:
            field_ids[perstag] = found.id
            if not found.available_on(export.list_id):
                unrelated.append(perstag)
        elif export.create_missing_fields:
            field_ids[perstag] = 0 if dry_run else client.create_field(_title(perstag), perstag).id
            created.append(perstag)
        else:
            missing.append(perstag)
    if missing:
        raise ExportStopped(
            f"ActiveCampaign has no custom field with personalization tag {', '.join(missing)}; create it "
            f"(Contacts → Fields) or set create_missing_fields: true on the export"
        )
    _relate_fields(client, export, field_ids, unrelated, dry_run=dry_run)
    return field_ids, created


def _relate_fields(
    client: ActiveCampaignClient,
    export: Export,
    field_ids: dict[str, int],
    unrelated: list[str],
    *,
    dry_run: bool,
) -> None:
    """Make sure every mapped field is available on the list: without a relation its values may be lost."""
    if not unrelated:
        return
    if not export.create_missing_fields:
        raise ExportStopped(
            f"the custom field(s) {', '.join(unrelated)} are not available on list {export.list_id} in "
            f"ActiveCampaign, which may drop their values; add them to the list (Contacts → Fields → the "
            f"field → Lists) or set create_missing_fields: true on the export to let it add them"
        )
    if not dry_run:
        for perstag in unrelated:
            client.relate_field(field_ids[perstag], export.list_id)


def _title(perstag: str) -> str:
    return perstag.replace("_", " ").capitalize()


def unsubscribed_emails(client: ActiveCampaignClient, list_id: int) -> list[str]:
    """Every email unsubscribed from the list (status 2), so that opt-outs are never re-subscribed."""
    emails: list[str] = []
    for page in client.list_contact_emails(list_id, status=2):
        emails.extend(page)
    return emails


def check_removal_guard(request: ExportRequest, counts: plan.PlanCounts) -> None:
    """Stop before any write when a run would remove more of the list than the export allows."""
    export = request.export
    if request.allow_large_removal or counts.removed == 0:
        return
    share = counts.removed / max(counts.list_size_before, 1)
    if share > export.removal_guard:
        raise ExportStopped(
            f"export {request.name} would remove {counts.removed} of the {counts.list_size_before} "
            f"contacts it subscribed to list {export.list_id} ({share:.0%}), more than its removal_guard of "
            f"{export.removal_guard:.0%}; nothing was sent. If this is intended, raise removal_guard in "
            f"exports.yaml or run once with allow_large_removal: true"
        )


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
    field_ids, created = preflight(client, export, dry_run=request.dry_run)
    store = _open_ledger(request, warehouse, state or StateBackend.from_environment())
    con = store.con
    opened_at = scalar(con, "SELECT now()::TIMESTAMP")
    try:
        resumed = UploadCounts()
        if not request.dry_run:
            resume = functools.partial(_resume, request, client, store, settings, log)
            resumed = _on_existing_list(client, export, resume)
        unsubscribed = unsubscribed_emails(client, export.list_id)
        counts = plan.build_plan(con, warehouse, export, request.attribute_types, field_ids, unsubscribed)
        log.info(_plan_line(request, counts))
        if export.on_empty_segment == "skip" and counts.members == 0:
            log.warning(
                f"export {request.name}: segment {export.segment} is empty; on_empty_segment=skip, so "
                f"list {export.list_id} is left as it is"
            )
            _collect_rejections(con, request.name, since=None)
            return _result(request, counts, UploadCounts(), client, con, started, created, skipped=True)
        check_removal_guard(request, counts)
        if request.dry_run:
            _collect_rejections(con, request.name, since=None)
            return _result(request, counts, UploadCounts(), client, con, started, created)
        store.mark_opted_out(request.name, counts.new_opt_outs)
        uploaded = _on_existing_list(client, export, lambda: _upload(request, client, store, settings, log))
        uploaded.merge(resumed)
        store.sync()
        _collect_rejections(con, request.name, since=opened_at)
        warehouse.write_query(rejections_table(request.name), con, "SELECT * FROM run_rejections")
        return _result(request, counts, uploaded, client, con, started, created)
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


def _on_existing_list(
    client: ActiveCampaignClient, export: Export, step: Callable[[], UploadCounts]
) -> UploadCounts:
    """Run an upload step, then make sure its list still exists.

    ActiveCampaign completes imports queued for a list deleted meanwhile, without the subscriptions,
    so a confirmed batch alone does not prove the contacts are on the list.
    """
    try:
        counts = step()
    except ActiveCampaignError:
        _stop_if_list_deleted(client, export.list_id)
        raise
    if counts.batches:
        _stop_if_list_deleted(client, export.list_id)
    return counts


def _stop_if_list_deleted(client: ActiveCampaignClient, list_id: int) -> None:
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


def _resume(
    request: ExportRequest,
    client: ActiveCampaignClient,
    store: LedgerStore,
    settings: UploadSettings,
    log: logging.Logger,
) -> UploadCounts:
    """Finish what an earlier run left in flight, before planning anew."""
    counts = Uploader(client, store, settings).run()
    if counts.batches:
        log.info(f"export {request.name}: resumed {counts.done} contacts an earlier run left in flight")
    return counts


def _upload(
    request: ExportRequest,
    client: ActiveCampaignClient,
    store: LedgerStore,
    settings: UploadSettings,
    log: logging.Logger,
) -> UploadCounts:
    """Record the plan's send queue in the ledger, then send and confirm it."""
    store.enqueue(plan.send_queue_sql(), request.name, request.run_id, MAX_CONTACTS_PER_BULK_REQUEST)
    started = time.monotonic()

    def progress(done: UploadCounts, total: int) -> None:
        log.info(_progress_line(request.name, done.done, total, time.monotonic() - started))

    return Uploader(client, store, settings, progress).run()


def _progress_line(name: str, done: int, total: int, elapsed: float) -> str:
    rate = done / elapsed if elapsed > 0 else 0.0
    left = (total - done) / rate if rate > 0 else float("nan")
    share = done / total if total else 1.0
    return (
        f"export {name}: {done:,} of {total:,} contacts confirmed by ActiveCampaign ({share:.0%}), "
        f"{rate:,.0f} contacts/s, about {_duration(left)} left"
    )


def _duration(seconds: float) -> str:
    if seconds != seconds:  # NaN: no rate yet
        return "unknown time"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _plan_line(request: ExportRequest, counts: plan.PlanCounts) -> str:
    prefix = "dry run: " if request.dry_run else ""
    return (
        f"{prefix}export {request.name} → list {request.export.list_id}: {counts.members} members; "
        f"add {counts.added}, update {counts.updated}, unchanged {counts.unchanged}, "
        f"remove {counts.removed}, "
        f"opted out {counts.opted_out}, missing email {counts.rejected_missing_email}, invalid email "
        f"{counts.rejected_invalid_email}, duplicates folded {counts.duplicates_folded}"
    )


def _collect_rejections(con: duckdb.DuckDBPyConnection, export_name: str, since: datetime | None) -> None:
    """`run_rejections`: the plan's rejections, plus what ActiveCampaign refused since `since`."""
    sql = plan.rejection_rows_sql(export_name)
    if since is not None:
        sql += f"""
            UNION ALL
            SELECT export, customer_id, email, 'rejected_by_activecampaign', reason, 'activecampaign'
            FROM ledger WHERE status = '{ledger.REFUSED}' AND updated_at >= TIMESTAMP '{since.isoformat()}'
        """
    con.execute(f"CREATE OR REPLACE TEMP VIEW run_rejections AS {sql}")


def _result(
    request: ExportRequest,
    counts: plan.PlanCounts,
    uploaded: UploadCounts,
    client: ActiveCampaignClient,
    con: duckdb.DuckDBPyConnection,
    started: float,
    created: list[str],
    skipped: bool = False,
) -> ExportResult:
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
        )
    )
    done = ExportCounts(
        added=uploaded.added,
        updated=uploaded.updated,
        removed=uploaded.removed,
        resubscribed=uploaded.resubscribed,
    )
    sent = done if planned else would
    values = ExportCounts(
        members=counts.members,
        added=sent.added,
        updated=sent.updated,
        unchanged=counts.unchanged,
        removed=sent.removed,
        resubscribed=sent.resubscribed,
        opted_out=counts.opted_out,
        rejected_missing_email=counts.rejected_missing_email,
        rejected_invalid_email=counts.rejected_invalid_email,
        rejected_by_activecampaign=uploaded.rejected_by_activecampaign + counts.rejected_too_large,
        batches=uploaded.batches,
        requests=client.stats.requests,
        throttled=client.stats.throttled,
        retries=client.stats.retries,
        duration_s=round(duration, 3),
        contacts_per_s=round(done.sent / duration, 1) if duration > 0 else 0.0,
    )
    size = scalar(con, f"SELECT count(*) FROM ledger WHERE status = '{ledger.SUBSCRIBED}'")
    # Emails in metadata are masked: the sample must say which rows failed without listing people.
    sample = con.execute(
        f"""
        SELECT coalesce(customer_id, ''), coalesce(regexp_replace(email, '^(.{{0,2}})[^@]*', '\\1***'), ''),
               kind, reason
        FROM run_rejections ORDER BY kind, customer_id LIMIT {REJECTION_SAMPLE_ROWS}
        """
    ).fetchall()
    return ExportResult(
        name=request.name,
        counts=values,
        rejection_sample=[(str(a), str(b), str(c), str(d)) for a, b, c, d in sample],
        list_size=int(size),
        created_fields=created,
        dry_run=request.dry_run,
    )


__all__ = ["ActiveCampaignError", "ExportRequest", "ExportResult", "ExportStopped", "run_export"]
