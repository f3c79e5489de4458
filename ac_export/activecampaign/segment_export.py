"""A segment's exports, each to its list: the one engine that every entry point shares.

The asset and the preview job (`defs/activecampaign/assets.py`) and `ac-export export` call
`export_segment` and nothing below it, so no entry point can skip a promise: data-privacy consent,
who may use a connection (`usable_by`), the approval gate and the removal guard (checked per list
in `list_export.run_export`, after planning and before any write), the loop over the segment's lists, and
each list's rejections and history.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ac_export.activecampaign.account import Account, open_client
from ac_export.activecampaign.api.errors import ActiveCampaignError
from ac_export.activecampaign.api.hosts import account_key
from ac_export.activecampaign.config import Connection, Export, Owner, usable_by_problem
from ac_export.activecampaign.errors import ExportFailed, ExportStopped
from ac_export.activecampaign.history import RunRecord, record_run
from ac_export.activecampaign.history_chart import write_chart
from ac_export.activecampaign.list_export import ExportRequest, ExportResult, run_export
from ac_export.state.backend import StateBackend, StateConfigError
from ac_export.state.postgres.connection import StateDatabaseError
from ac_export.warehouse import Warehouse

# What stops one export with a message the user can act on (anything else is a bug and keeps its trace).
STOPPING_ERRORS = (ExportStopped, ActiveCampaignError, StateConfigError, StateDatabaseError)


@dataclass(frozen=True)
class RunOptions:
    """What one run may choose; everything else (hosts, keys, who may export, limits) is the deployment's."""

    dry_run: bool = False
    allow_large_removal: bool = False
    full_reconcile: bool = False
    # The plan's number of removals that a person approved (automation.yaml approval.removals_above).
    approve_removals: int | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class SegmentExports:
    """A segment's exports as the deployment's configuration defines them, and what governs them."""

    segment: str
    exports: dict[str, Export]
    owners: dict[str, Owner]
    connections: dict[str, Connection]
    approval_limit: int | None
    attribute_types: dict[str, str]
    # automation.yaml's privacy.mask_emails: everywhere (otherwise the operator's views show them in full).
    mask_emails: bool = False


def export_segment(
    segment: SegmentExports,
    account: Callable[[str], Account],
    warehouse: Warehouse,
    state: StateBackend,
    options: RunOptions,
    log: logging.Logger | None = None,
) -> list[ExportResult]:
    """Run (or dry-run) every export of a segment in turn; the first that cannot go on raises ExportFailed.

    `account` gives the account a connection reaches (its host, key and client settings).
    """
    log = log or logging.getLogger(__name__)
    results = []
    for name, export in segment.exports.items():
        request = _request(segment, name, export, options)
        try:
            _require_allowed(segment, name, export)
            results.append(_export_one(request, account(export.connection), warehouse, state, log))
        except ExportFailed:
            raise
        except STOPPING_ERRORS as exc:
            raise _failed(request, exc, requests=0) from None
    return results


def _request(segment: SegmentExports, name: str, export: Export, options: RunOptions) -> ExportRequest:
    return ExportRequest(
        name=name,
        export=export,
        account_host="",  # set once the account is known
        attribute_types=segment.attribute_types,
        dry_run=options.dry_run,
        allow_large_removal=options.allow_large_removal,
        full_reconcile=options.full_reconcile,
        run_id=options.run_id,
        approval_limit=segment.approval_limit,
        approved_removals=options.approve_removals,
        mask_emails=segment.mask_emails,
    )


def _require_allowed(segment: SegmentExports, name: str, export: Export) -> None:
    """Consent and usable_by, checked at every run: a config edited since it loaded is caught too."""
    connection = segment.connections.get(export.connection)
    if connection is None:
        raise ExportStopped(f"connection {export.connection!r} is not in connections.yaml")
    if not connection.data_privacy_consent:
        # A dry run too: its look-ups send emails to ActiveCampaign.
        raise ExportStopped(
            f"connection {export.connection!r} has no data-privacy consent: exporting sends personal data "
            f"(emails, names, phones) to ActiveCampaign, outside this system. An admin who agrees sets "
            f"data_privacy_consent: true for it in connections.yaml; until then nothing is exported."
        )
    problem = usable_by_problem(name, export, segment.owners.get(name, "contributors"), connection)
    if problem:
        raise ExportStopped(problem)


def _export_one(
    request: ExportRequest, account: Account, warehouse: Warehouse, state: StateBackend, log: logging.Logger
) -> ExportResult:
    """One list's export through a client paced with every other run on the account; history after it."""
    request = replace(request, account_host=account_key(account.host))
    settings = account.options.upload_settings(request.export.run_automations)
    with open_client(account.host, account.api_key, account.options, state) as client:
        try:
            result = run_export(request, client, warehouse, settings, log, state=state)
        except STOPPING_ERRORS as exc:
            raise _failed(request, exc, requests=client.stats.requests) from None
    if not request.dry_run:
        record = RunRecord(
            request.name,
            request.export.segment,
            request.export.list_id,
            request.run_id,
            result.counts,
            result.list_size,
        )
        record_run(warehouse, record)
        result.history_chart = write_chart(warehouse, request.name, request.export.list_id)
    return result


def _failed(request: ExportRequest, exc: Exception, *, requests: int) -> ExportFailed:
    export = request.export
    return ExportFailed(
        f"export {request.name} (segment {export.segment} → list {export.list_id}): {exc}",
        export=request.name,
        list_id=export.list_id,
        requests=requests,
        cause=exc,
    )


__all__ = ["Account", "ExportFailed", "RunOptions", "SegmentExports", "export_segment"]
