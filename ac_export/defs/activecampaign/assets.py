"""`activecampaign_list[segment]`: every export of a segment, done once ActiveCampaign confirmed it."""

# No `from __future__ import annotations`: Dagster reads the `config` annotation at runtime.

from pathlib import Path

import dagster as dg
from pydantic import Field

from ac_export.activecampaign.account import Account
from ac_export.activecampaign.config import ConnectionsConfig
from ac_export.activecampaign.errors import ExportFailed
from ac_export.activecampaign.list_export import ExportResult
from ac_export.activecampaign.segment_export import RunOptions, SegmentExports, export_segment
from ac_export.automation.tags import DRY_RUN_TAG
from ac_export.config.loading import ConfigError
from ac_export.contracts import MEMBER_PARTS, ExportCounts
from ac_export.defs.activecampaign import reports
from ac_export.defs.activecampaign.checks import LIST_IN_SYNC_CHECK, list_in_sync_result
from ac_export.defs.activecampaign.policy import deployed_settings, refuse_policy_overrides
from ac_export.defs.activecampaign.resources import ActiveCampaignResource, resource_key
from ac_export.defs.keys import EXPORT_ASSET_KEY, SEGMENT_MEMBERS_KEY
from ac_export.defs.metadata import table
from ac_export.defs.partitions import require_segment, segments_partitions, tag_segment_run
from ac_export.defs.resources import ProjectConfigResource
from ac_export.project import ProjectConfig, load_project_config

POOL = "activecampaign"


class ExportRunConfig(dg.Config):
    """Options for one run of a segment's exports (set in the launchpad); nothing here widens policy."""

    allow_large_removal: bool = Field(
        default=False, description="Let this run remove more of a list than the export's removal_guard."
    )
    dry_run: bool = Field(
        default=False,
        description="Preview: plan and count without sending anything; the plan (who would be added, "
        "updated, removed or rejected, and why) is a warehouse table shown in the run's observation.",
    )
    approve_removals: int | None = Field(
        default=None,
        ge=0,
        description="Approve a run that automation.yaml's approval.removals_above stops: the number of "
        "removals its plan shows. Any other number is refused, so an approval of an older plan cannot pass.",
    )
    full_reconcile: bool = Field(
        default=False,
        description="Read the whole list from ActiveCampaign first and rebuild the ledger's view of it "
        "(otherwise done when the list's counts differ, and every full_reconcile_every_days).",
    )


def build_export_asset(connections: ConnectionsConfig, config_dir: Path | None = None) -> dg.AssetsDefinition:
    """The export asset, requiring the resource of every configured connection.

    `config_dir` is the deployment's configuration folder: a run's config may not point elsewhere.
    """
    keys = {"warehouse", "project_config", "state", *(resource_key(name) for name in connections.connections)}
    deployed = deployed_settings(connections, config_dir)

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
        refuse_policy_overrides(context.run.run_config, deployed)
        project = _load(context.resources.project_config)
        segment = context.partition_key
        if context.run.tags.get(DRY_RUN_TAG) == "true" and not config.dry_run:
            # A run launched as a preview (preview_segment) stays one, whatever its run config says:
            # a launch with an empty config does not get the job's default `dry_run: true`.
            config = ExportRunConfig(**{**config.model_dump(), "dry_run": True})
        require_segment(segment, project.segments.segments)
        tag_segment_run(context, {DRY_RUN_TAG: "true"} if config.dry_run else {})
        exports = project.segment_exports(segment)
        if not exports.exports:
            context.log.info(f"segment {segment!r} has no exports in exports.yaml; nothing was sent")
        results = _export(context, exports, config)
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
        summary.update(reports.rejections_metadata(context.resources.warehouse.get(), results))
        summary.update(reports.history_metadata(results))
        yield dg.MaterializeResult(metadata=summary)
        yield list_in_sync_result(results)

    return activecampaign_list


def _load(project_config: ProjectConfigResource) -> ProjectConfig:
    try:
        return load_project_config(project_config.path)
    except ConfigError as exc:
        raise dg.Failure(description=str(exc)) from None


def _export(
    context: dg.AssetExecutionContext, exports: SegmentExports, config: ExportRunConfig
) -> list[ExportResult]:
    """The segment's exports through the one engine; a stop is a dg.Failure that says what to do."""
    options = RunOptions(
        dry_run=config.dry_run,
        allow_large_removal=config.allow_large_removal,
        full_reconcile=config.full_reconcile,
        approve_removals=config.approve_removals,
        run_id=context.run.run_id,
    )
    try:
        return export_segment(
            exports,
            lambda connection: _account(context, connection),
            context.resources.warehouse.get(),
            context.resources.state.get(),
            options,
            context.log,
        )
    except ExportFailed as exc:
        metadata: reports.Metadata = {
            "export": dg.MetadataValue.text(exc.export),
            "list_id": exc.list_id,
            "requests": exc.requests,
        }
        description = str(exc)
        if exc.approval is not None:
            metadata.update(reports.approval_metadata(exc.approval))
            description += (
                f": launch this segment again with `approve_removals: {exc.approval.removals}` in the "
                f"launchpad config of activecampaign_list (or `ac-export export {exports.segment} "
                f"--approve-removals {exc.approval.removals}`)"
            )
        raise dg.Failure(description=description, metadata=metadata) from None


def _account(context: dg.AssetExecutionContext, connection: str) -> Account:
    """The account of a connection, through its resource (whose host and key the deployment fixed)."""
    resource: ActiveCampaignResource = getattr(context.resources, resource_key(connection))
    return resource.account()


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
