"""`activecampaign_list[segment]`: every export of a segment, done once ActiveCampaign confirmed it."""

# No `from __future__ import annotations`: Dagster reads the `config` annotation at runtime.

from dataclasses import replace

import dagster as dg
from pydantic import Field

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError
from ac_export.activecampaign.config import Connection, ConnectionsConfig, Export
from ac_export.activecampaign.history import RunRecord
from ac_export.activecampaign.sync import ExportRequest, ExportResult, ExportStopped, run_export
from ac_export.automation.tags import DRY_RUN_TAG
from ac_export.config.loading import ConfigError
from ac_export.contracts import MEMBER_PARTS, ExportCounts
from ac_export.defs.activecampaign import reports
from ac_export.defs.activecampaign.checks import LIST_IN_SYNC_CHECK, list_in_sync_result
from ac_export.defs.activecampaign.resources import ActiveCampaignResource, resource_key
from ac_export.defs.keys import EXPORT_ASSET_KEY, SEGMENT_MEMBERS_KEY
from ac_export.defs.metadata import table
from ac_export.defs.partitions import require_segment, segments_partitions, tag_segment_run
from ac_export.defs.resources import ProjectConfigResource
from ac_export.project import ProjectConfig, load_project_config
from ac_export.state.backend import StateBackend
from ac_export.warehouse import Warehouse

POOL = "activecampaign"


class ExportRunConfig(dg.Config):
    """Options for one run of a segment's exports (set in the launchpad)."""

    allow_large_removal: bool = Field(
        default=False, description="Let this run remove more of a list than the export's removal_guard."
    )
    dry_run: bool = Field(
        default=False,
        description="Preview: plan and count without sending anything; the plan (who would be added, "
        "updated, removed or rejected, and why) is a warehouse table shown in the run's observation.",
    )
    approve: bool = Field(
        default=False,
        description="Approve a run that automation.yaml's approval.removals_above would otherwise stop.",
    )
    full_reconcile: bool = Field(
        default=False,
        description="Read the whole list from ActiveCampaign first and rebuild the ledger's view of it "
        "(otherwise done when the list's counts differ, and every full_reconcile_every_days).",
    )


def build_export_asset(connections: ConnectionsConfig) -> dg.AssetsDefinition:
    """The export asset, requiring the resource of every configured connection."""
    keys = {"warehouse", "project_config", "state", *(resource_key(name) for name in connections.connections)}

    @dg.asset(
        key=EXPORT_ASSET_KEY,
        partitions_def=segments_partitions,
        deps=[SEGMENT_MEMBERS_KEY],
        group_name="activecampaign",
        pool=POOL,
        required_resource_keys=keys,
        backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
        kinds={"activecampaign"},
        output_required=False,
        check_specs=[LIST_IN_SYNC_CHECK],
    )
    def activecampaign_list(context: dg.AssetExecutionContext, config: ExportRunConfig):
        """Keeps each ActiveCampaign list of this segment in step with it, confirmed by ActiveCampaign."""
        project = _load(context.resources.project_config)
        segment = context.partition_key
        if context.run.tags.get(DRY_RUN_TAG) == "true" and not config.dry_run:
            # A run launched as a preview (preview_segment) stays one, whatever its run config says:
            # a launch with an empty config does not get the job's default `dry_run: true`.
            config = ExportRunConfig(
                dry_run=True, allow_large_removal=config.allow_large_removal, approve=config.approve
            )
        require_segment(segment, project.segments.segments)
        tag_segment_run(context, {DRY_RUN_TAG: "true"} if config.dry_run else {})
        exports = project.exports.for_segment(segment)
        if not exports:
            context.log.info(f"segment {segment!r} has no exports in exports.yaml; nothing was sent")
        results = [_run_one(context, project, name, export, config) for name, export in exports.items()]
        warehouse = context.resources.warehouse.get()
        summary = _summary(results)
        if config.dry_run:
            summary.update(reports.plan_metadata(results))
            yield dg.AssetObservation(
                asset_key=EXPORT_ASSET_KEY,
                partition=segment,
                # The UI shows a partition's latest observation beside its latest materialization,
                # the observation's entries over same-named ones: a preview's must not pass for real.
                metadata={f"{reports.PREVIEW_PREFIX}{key}": value for key, value in summary.items()},
                description="Dry run (preview): nothing was sent; the plan table shows who would change.",
            )
            yield list_in_sync_result(results, dry_run=True)
            return
        summary.update(reports.rejections_metadata(warehouse, results))
        records = [
            RunRecord(r.name, segment, exports[r.name].list_id, context.run.run_id, r.counts, r.list_size)
            for r in results
        ]
        summary.update(reports.record_history(warehouse, records))
        yield dg.MaterializeResult(metadata=summary)
        yield list_in_sync_result(results)

    return activecampaign_list


def _load(project_config: ProjectConfigResource) -> ProjectConfig:
    try:
        return load_project_config(project_config.path)
    except ConfigError as exc:
        raise dg.Failure(description=str(exc)) from None


def _run_one(
    context: dg.AssetExecutionContext,
    project: ProjectConfig,
    name: str,
    export: Export,
    config: ExportRunConfig,
) -> ExportResult:
    connection = project.connections.connections[export.connection]
    _require_consent(export.connection, connection)
    resource: ActiveCampaignResource = getattr(context.resources, resource_key(export.connection))
    warehouse = context.resources.warehouse.get()
    state = context.resources.state.get()
    request = ExportRequest(
        name=name,
        export=export,
        account_host=resource.host().host,
        attribute_types=project.attribute_types(),
        dry_run=config.dry_run,
        allow_large_removal=config.allow_large_removal,
        full_reconcile=config.full_reconcile,
        run_id=context.run.run_id,
        mask_emails=project.automation.privacy.mask_everywhere,
    )
    with resource.get_client(state) as client:
        try:
            _await_approval(context, project, request, client, warehouse, resource, config, state)
            settings = resource.upload_settings(export.run_automations)
            return run_export(request, client, warehouse, settings, context.log, state=state)
        except (ExportStopped, ActiveCampaignError) as exc:
            raise dg.Failure(
                description=f"export {name} (segment {export.segment} → list {export.list_id}): {exc}",
                metadata={"export": name, "list_id": export.list_id, "requests": client.stats.requests},
            ) from None


def _await_approval(
    context: dg.AssetExecutionContext,
    project: ProjectConfig,
    request: ExportRequest,
    client: ActiveCampaignClient,
    warehouse: Warehouse,
    resource: ActiveCampaignResource,
    config: ExportRunConfig,
    state: StateBackend,
) -> None:
    """Stop, showing the plan, when automation.yaml wants removals this large approved first."""
    limit = project.automation.approval.removals_above
    if limit is None or config.approve or config.dry_run:
        return
    settings = resource.upload_settings(request.export.run_automations)
    dry_run = replace(request, dry_run=True)
    preview = run_export(dry_run, client, warehouse, settings, context.log, state=state)
    if preview.counts.removed <= limit:
        return
    raise dg.Failure(
        description=f"export {request.name} would remove {preview.counts.removed} contacts from list "
        f"{request.export.list_id}, more than approval.removals_above ({limit}) in automation.yaml allows "
        f"without approval; nothing was sent. Review the plan below (or `ac-export export "
        f"{request.export.segment} --dry-run`), then launch this segment again with `approve: true` in the "
        f"launchpad config of activecampaign_list.",
        metadata=reports.plan_metadata([preview]),
    )


def _require_consent(name: str, connection: Connection) -> None:
    if not connection.data_privacy_consent:
        raise dg.Failure(
            description=(
                f"connection {name!r} has no data-privacy consent: exporting sends personal data (emails, "
                f"names, phones) to ActiveCampaign, outside this system. An admin who agrees sets "
                f"data_privacy_consent: true for it in connections.yaml; until then nothing is exported."
            )
        )


def _summary(results: list[ExportResult]) -> reports.Metadata:
    """Counts summed over the segment's exports and one row per export (never member lists)."""
    metadata: reports.Metadata = {}
    metadata.update(ExportCounts.total(r.counts for r in results).as_dict())
    metadata["dagster/row_count"] = sum(result.list_size for result in results)
    metadata["exports"] = _exports_table(results)
    metadata["reconciled"] = dg.MetadataValue.md(_reconciled(results))
    return metadata


# members, then the counts that add up to it (the rejections summed), then what stands beside them.
MEMBER_COUNTS = (*(n for n in MEMBER_PARTS if not n.startswith("rejected_")), "rejected")
EXPORT_ROW_COUNTS = ("members", *MEMBER_COUNTS, "removed", "email_changed", "pre_existing")
EXPORTS_COLUMNS = [("export", "string"), *((name, "int") for name in EXPORT_ROW_COUNTS), ("seconds", "float")]


def _exports_table(results: list[ExportResult]) -> dg.TableMetadataValue:
    """One row per export of the segment: what it did to its list; `added`…`rejected` sum to `members`."""
    rows = [
        (r.name, *(getattr(r.counts, n) for n in EXPORT_ROW_COUNTS), r.counts.duration_s) for r in results
    ]
    return table(EXPORTS_COLUMNS, rows)


def _reconciled(results: list[ExportResult]) -> str:
    """What each export's verify step found: in step, or what its reconcile changed."""
    verified = "list verified in step, no reconcile"
    lines = [f"- {r.name}: {r.reconciliation.describe() if r.reconciliation else verified}" for r in results]
    return "\n".join(lines) or "No exports."
