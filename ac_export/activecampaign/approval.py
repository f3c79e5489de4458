"""The stops before any write: the removal guard (exports.yaml) and the approval gate (automation.yaml)."""

from __future__ import annotations

from ac_export.activecampaign import preview
from ac_export.activecampaign.errors import ApprovalRequired, ExportStopped
from ac_export.activecampaign.export_request import ExportRequest
from ac_export.contracts import ExportCounts
from ac_export.state.ledger_api import Ledger
from ac_export.warehouse import Warehouse


def check_removal_guard(request: ExportRequest, counts: ExportCounts, list_size: int) -> None:
    """Stop before any write when a run would remove more of the `list_size` we subscribed than allowed."""
    export = request.export
    if request.allow_large_removal or counts.removed == 0:
        return
    share = counts.removed / max(list_size, 1)
    if share > export.removal_guard:
        raise ExportStopped(
            f"export {request.name} would remove {counts.removed} of the {list_size} "
            f"contacts it subscribed to list {export.list_id} ({share:.0%}), more than its removal_guard of "
            f"{export.removal_guard:.0%}; nothing was sent. If this is intended, raise removal_guard in "
            f"exports.yaml or run once with allow_large_removal: true"
        )


def check_approval(
    request: ExportRequest,
    counts: ExportCounts,
    ledger: Ledger,
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
    shown = preview.write_plan(ledger, warehouse, request.name, field_ids, mask=request.mask_emails)
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


def dry_run_warnings(request: ExportRequest, counts: ExportCounts, list_size: int) -> list[str]:
    """Where a real run of this plan would stop at the guard or wait for approval (a dry run never stops)."""
    warnings: list[str] = []
    try:
        check_removal_guard(request, counts, list_size)
    except ExportStopped as exc:
        warnings.append(f"a real run would stop: {exc}")
    limit = request.approval_limit
    if limit is not None and counts.removed > limit:
        warnings.append(
            f"a real run waits for approval: {counts.removed} removals, more than approval.removals_above "
            f"({limit}); approve exactly {counts.removed} to let it send"
        )
    return warnings
