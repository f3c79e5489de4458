"""One export, step by step: preflight, plan, upload, confirm, record.

Plain Python over the client, the ledger and the warehouse, so it runs (and is tested) without
Dagster. `run_export` is one list's step; `segment_export.export_segment` runs it for each export of
a segment and is what every entry point (asset, preview job, CLI) calls.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ac_export.activecampaign import plan, preview, progress, reconcile, verify
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError, NotFoundError
from ac_export.activecampaign.api.limits import MAX_CONTACTS_PER_BULK_REQUEST
from ac_export.activecampaign.config import Export
from ac_export.activecampaign.errors import ApprovalRequired, ExportStopped, stops_on_lost_state
from ac_export.activecampaign.masking import email_sql, mask_email_sql
from ac_export.activecampaign.reconcile import Reconciliation
from ac_export.activecampaign.upload import UploadCounts, Uploader, UploadSettings
from ac_export.activecampaign.verify import Verification
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
    full_reconcile: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # automation.yaml's approval.removals_above, and the removals a person approved for this run.
    approval_limit: int | None = None
    approved_removals: int | None = None
    # automation.yaml's privacy.mask_emails: everywhere (the plan and rejections tables masked too).
    mask_emails: bool = False


@dataclass(frozen=True)
class ListSync:
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


def preflight(
    client: ActiveCampaignClient, export: Export, *, dry_run: bool
) -> tuple[dict[str, int], list[str], str]:
    """Check credentials, the list and every custom field before any write.

    Returns the field ids, the fields created and the list's name. A missing field stops the export
    unless the export opts into creating it.
    """
    client.me()
    try:
        ac_list = client.get_list(export.list_id)
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
    return field_ids, created, ac_list.name


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


def check_approval(
    request: ExportRequest,
    counts: plan.PlanCounts,
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    field_ids: dict[str, int],
) -> None:
    """Stop before any write, showing the plan, when its removals need a person's approval first.

    An approval names the plan's number of removals; any other number (an approval of an older,
    smaller plan) does not pass.
    """
    limit = request.approval_limit
    removals = counts.removed
    if limit is None or removals <= limit or request.approved_removals == removals:
        return
    shown = preview.write_plan(con, warehouse, request.name, field_ids, mask=request.mask_emails)
    stale = (
        f" (the approval given was for {request.approved_removals}, not this plan's {removals})"
        if request.approved_removals is not None
        else ""
    )
    raise ApprovalRequired(
        f"export {request.name} would remove {removals} contacts from list {request.export.list_id}, more "
        f"than approval.removals_above ({limit}) in automation.yaml lets go without approval{stale}; "
        f"nothing was sent. Review the plan ({shown.rows} rows in {shown.path}), then approve exactly "
        f"these {removals} removals",
        export=request.name,
        removals=removals,
        limit=limit,
        plan=shown,
    )


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
    field_ids, created, list_name = preflight(client, export, dry_run=request.dry_run)
    store = _open_ledger(request, warehouse, state or StateBackend())
    con = store.con
    opened_at = scalar(con, "SELECT now()::TIMESTAMP")
    try:
        if request.dry_run:
            ledger.shadow(con)
        resumed = UploadCounts()
        if not request.dry_run:
            resume = functools.partial(_resume, request, client, store, settings, log)
            resumed = _on_existing_list(client, export, resume)
        checked, reconciled = _verify(request, client, con, list_name, log)
        store.sync()  # what the verify and reconcile learned holds even if the run dies next
        counts = _plan(request, client, con, warehouse, field_ids, checked, log, reconciled is not None)
        log.info(_plan_line(request, counts))
        if export.on_empty_segment == "skip" and counts.members == 0:
            log.warning(
                f"export {request.name}: segment {export.segment} is empty; on_empty_segment=skip, so "
                f"list {export.list_id} is left as it is"
            )
            _collect_rejections(con, request.name, since=None)
            sync = _list_sync(client, con, export.list_id, checked, sent=False)
            store.sync()
            return _result(
                request, counts, UploadCounts(), client, con, started, created, reconciled, sync, True
            )
        if request.dry_run:
            _collect_rejections(con, request.name, since=None)
            sync = _list_sync(client, con, export.list_id, checked, sent=False)
            unsent = _result(request, counts, UploadCounts(), client, con, started, created, reconciled, sync)
            return _dry_run_result(request, counts, unsent, con, warehouse, field_ids, log)
        check_removal_guard(request, counts)
        check_approval(request, counts, con, warehouse, field_ids)
        progress.report(progress.Progress(request.name, "planned", counts.to_send))
        client.begin_phase("the upload")
        uploaded = _on_existing_list(
            client, export, lambda: _upload(request, client, store, settings, log, started)
        )
        preview.remember_sent(con)
        progress.report(
            progress.Progress(
                request.name, "done", counts.to_send, uploaded.confirmed, uploaded.rejected_by_activecampaign
            )
        )
        _collect_rejections(con, request.name, since=opened_at)
        warehouse.write_query(rejections_table(request.name), con, _rejection_rows_sql(request.mask_emails))
        sync = _list_sync(client, con, export.list_id, checked, sent=uploaded.batches + resumed.batches > 0)
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
    warnings: list[str] = []
    try:
        check_removal_guard(request, counts)
    except ExportStopped as exc:
        warnings.append(f"a real run would stop: {exc}")
        log.warning(f"dry run: {warnings[-1]}")
    limit = request.approval_limit
    if limit is not None and counts.removed > limit:
        warnings.append(
            f"a real run waits for approval: {counts.removed} removals, more than approval.removals_above "
            f"({limit}); approve exactly {counts.removed} to let it send"
        )
        log.warning(f"dry run: {warnings[-1]}")
    shown = preview.write_plan(con, warehouse, request.name, field_ids, mask=request.mask_emails)
    log.info(f"dry run: export {request.name}: the plan ({shown.rows} contacts to change) is in {shown.path}")
    result.preview = shown
    result.warnings = warnings
    return result


def _verify(
    request: ExportRequest,
    client: ActiveCampaignClient,
    con: duckdb.DuckDBPyConnection,
    list_name: str,
    log: logging.Logger,
) -> tuple[Verification, Reconciliation | None]:
    """Compare the list with the ledger and reconcile when they differ (or a full reconcile is due)."""
    export = request.export
    checked = verify.verify(client, con, export.list_id, list_name)
    reason, full = verify.reconcile_reason(
        checked, con, export.full_reconcile_every_days, requested=request.full_reconcile
    )
    if reason is None:
        if ledger.read_fact(con, verify.LIST_NAME_FACT) is None:
            # A first run on an empty list: the ledger knows all of it (nothing), a full reconcile's worth.
            ledger.write_fact(con, verify.LIST_NAME_FACT, list_name)
            ledger.write_fact(con, verify.LAST_FULL_RECONCILE_FACT, datetime.now(UTC).isoformat())
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
    done = reconcile.reconcile(client, con, request.name, export.list_id, checked, reason=reason, full=full)
    log.warning(f"export {request.name}: list {export.list_id}: {done.describe()}")
    # The counts the reconcile's reads proved are the ones the rest of the run goes by.
    return dataclasses.replace(checked, activecampaign=done.counts or checked.activecampaign), done


def _plan(
    request: ExportRequest,
    client: ActiveCampaignClient,
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    field_ids: dict[str, int],
    checked: Verification,
    log: logging.Logger,
    subscribers_known: bool,
) -> plan.PlanCounts:
    """Plan the run; contacts about to be subscribed are checked first when the ledger's view is partial."""
    export = request.export
    counts = plan.build_plan(con, warehouse, export, request.attribute_types, field_ids)
    if verify.unsubscribed_known(checked, con):
        return counts
    withheld = reconcile.withhold_unsubscribed(
        client,
        con,
        request.name,
        export.list_id,
        plan.subscribing_emails(con),
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
        plan.diff_against_ledger(con, export)
        counts = plan.count_plan(con)
    return counts


def _list_sync(
    client: ActiveCampaignClient,
    con: duckdb.DuckDBPyConnection,
    list_id: int,
    checked: Verification,
    *,
    sent: bool,
) -> ListSync:
    """The list's subscribers as ActiveCampaign counts them now (counted again if this run sent any)."""
    now = verify.activecampaign_counts(client, list_id) if sent else checked.activecampaign
    ours, pre_existing, lost = con.execute(
        f"""
        SELECT count(*) FILTER (WHERE status = '{ledger.SUBSCRIBED}'),
               count(*) FILTER (WHERE status = '{ledger.PRE_EXISTING}'),
               count(*) FILTER (WHERE status = '{ledger.MISSING}')
        FROM ledger
        """
    ).fetchone() or (0, 0, 0)
    sync = ListSync(now.subscribed, int(ours), int(pre_existing), int(lost))
    if checked.explained_by_unsubscribes:
        sync = dataclasses.replace(sync, left_unidentified=sync.shortfall)
    verify.remember_counts(con, now, sync.left_unidentified)
    return sync


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
    started: float,
) -> UploadCounts:
    """Record the plan's send queue in the ledger, then send and confirm it."""
    store.enqueue(plan.send_queue_sql(), request.name, request.run_id, MAX_CONTACTS_PER_BULK_REQUEST)

    def report(done: UploadCounts, total: int) -> None:
        log.info(_progress_line(request.name, done, total, time.monotonic() - started))
        progress.report(
            progress.Progress(request.name, "sending", total, done.confirmed, done.rejected_by_activecampaign)
        )

    return Uploader(client, store, settings, report).run()


def contacts_per_s(confirmed: int, seconds: float) -> float:
    """The one rate users see: contacts ActiveCampaign confirmed per second since the export started."""
    return round(confirmed / seconds, 1) if seconds > 0 else 0.0


def _progress_line(name: str, done: UploadCounts, total: int, elapsed: float) -> str:
    processed = done.done
    pace = processed / elapsed if elapsed > 0 else 0.0
    left = (total - processed) / pace if pace > 0 else float("nan")
    share = processed / total if total else 1.0
    refused = f", {done.rejected_by_activecampaign:,} refused" if done.rejected_by_activecampaign else ""
    return (
        f"export {name}: {done.confirmed:,} of {total:,} contacts confirmed by ActiveCampaign{refused} "
        f"({share:.0%} processed), {contacts_per_s(done.confirmed, elapsed):,} contacts/s, "
        f"about {_duration(left)} left"
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
        f"remove {counts.removed}, re-subscribe {counts.resubscribed}, repair {counts.repaired}, "
        f"pre-existing (never removed) {counts.pre_existing}, opted out {counts.opted_out}, "
        f"unsubscribed in ActiveCampaign {counts.unsubscribed_in_activecampaign}, "
        f"missing email {counts.rejected_missing_email}, invalid email "
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
              AND content_hash IS NOT NULL  -- refused this run (a full reconcile's retry mark has none)
        """
    con.execute(f"CREATE OR REPLACE TEMP VIEW run_rejections AS {sql}")


def _rejection_rows_sql(mask: bool) -> str:
    """The run's rejections as the warehouse keeps them: emails in full unless masked everywhere."""
    return (
        f"SELECT * REPLACE ({email_sql('email', mask=mask)} AS email) FROM run_rejections"
        if mask
        else "SELECT * FROM run_rejections"
    )


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
        contacts_per_s=contacts_per_s(done.sent + resumed.confirmed, round(duration, 3)),
        email_changed=0 if skipped else preview.email_changes(con),
    )
    size = scalar(con, f"SELECT count(*) FROM ledger WHERE status = '{ledger.SUBSCRIBED}'")
    # Emails in metadata are masked: the sample must say which rows failed without listing people.
    sample = con.execute(
        f"""
        SELECT coalesce(customer_id, ''), {mask_email_sql("email")}, kind, reason
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
        sync=sync,
        reconciliation=reconciled,
    )


__all__ = ["ActiveCampaignError", "ExportRequest", "ExportResult", "ExportStopped", "ListSync", "run_export"]
