"""`activecampaign_list[segment]`: every export of a segment, done once ActiveCampaign confirmed it."""

# No `from __future__ import annotations`: Dagster reads the `config` annotation at runtime.

import dagster as dg
from pydantic import Field

from ac_export.activecampaign.api.errors import ActiveCampaignError
from ac_export.activecampaign.config import Connection, ConnectionsConfig, Export
from ac_export.activecampaign.sync import ExportRequest, ExportResult, ExportStopped, run_export
from ac_export.config.loading import ConfigError
from ac_export.contracts import ExportCounts
from ac_export.defs.activecampaign.resources import ActiveCampaignResource, resource_key
from ac_export.defs.keys import EXPORT_ASSET_KEY, SEGMENT_MEMBERS_KEY
from ac_export.defs.metadata import table
from ac_export.defs.partitions import segments_partitions
from ac_export.defs.resources import ProjectConfigResource
from ac_export.project import ProjectConfig, load_project_config

POOL = "activecampaign"


class ExportRunConfig(dg.Config):
    """Options for one run of a segment's exports (set in the launchpad)."""

    allow_large_removal: bool = Field(
        default=False, description="Let this run remove more of a list than the export's removal_guard."
    )
    dry_run: bool = Field(
        default=False,
        description="Plan and count, writing nothing; recorded as an observation, not a materialization.",
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
    )
    def activecampaign_list(context: dg.AssetExecutionContext, config: ExportRunConfig):
        """Keeps each ActiveCampaign list of this segment in step with it, confirmed by ActiveCampaign."""
        project = _load(context.resources.project_config)
        segment = context.partition_key
        exports = project.exports.for_segment(segment)
        if not exports:
            context.log.info(f"segment {segment!r} has no exports in exports.yaml; nothing was sent")
        results = [_run_one(context, project, name, export, config) for name, export in exports.items()]
        summary = _summary(results)
        if config.dry_run:
            yield dg.AssetObservation(asset_key=EXPORT_ASSET_KEY, partition=segment, metadata=summary)
            return
        yield dg.MaterializeResult(metadata=summary)

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
        run_id=context.run.run_id,
    )
    with resource.get_client(state) as client:
        try:
            settings = resource.upload_settings(export.run_automations)
            return run_export(request, client, warehouse, settings, context.log, state=state)
        except (ExportStopped, ActiveCampaignError) as exc:
            raise dg.Failure(
                description=f"export {name} (segment {export.segment} → list {export.list_id}): {exc}",
                metadata={"export": name, "list_id": export.list_id, "requests": client.stats.requests},
            ) from None


def _require_consent(name: str, connection: Connection) -> None:
    if not connection.data_privacy_consent:
        raise dg.Failure(
            description=(
                f"connection {name!r} has no data-privacy consent: exporting sends personal data (emails, "
                f"names, phones) to ActiveCampaign, outside this system. An admin who agrees sets "
                f"data_privacy_consent: true for it in connections.yaml; until then nothing is exported."
            )
        )


def _summary(results: list[ExportResult]) -> dict[str, dg.MetadataValue | int | float]:
    """Counts summed over the segment's exports, plus a small sample of rejections (never member lists)."""
    metadata: dict[str, dg.MetadataValue | int | float] = {}
    metadata.update(ExportCounts.total(r.counts for r in results).as_dict())
    metadata["dagster/row_count"] = sum(result.list_size for result in results)
    metadata["exports"] = _exports_table(results)
    metadata["rejections"] = dg.MetadataValue.md(_rejections_sample(results))
    return metadata


EXPORTS_COLUMNS = [
    ("export", "string"),
    *((name, "int") for name in ("members", "added", "updated", "removed", "opted_out", "rejected")),
    ("seconds", "float"),
]


def _exports_table(results: list[ExportResult]) -> dg.TableMetadataValue:
    """One row per export of the segment: what it did to its list."""
    rows = [
        (r.name, c.members, c.added, c.updated, c.removed, c.opted_out, c.rejected, c.duration_s)
        for r in results
        for c in [r.counts]
    ]
    return table(EXPORTS_COLUMNS, rows)


def _rejections_sample(results: list[ExportResult]) -> str:
    rows = [(r.name, *row) for r in results for row in r.rejection_sample]
    if not rows:
        return "No rejections."
    lines = [
        "A sample; the full list is the warehouse table `exports/<export>/rejections`.",
        "",
        "| export | customer | email (masked) | kind | reason |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {name} | {customer} | {email or '—'} | {kind} | {reason.replace('|', '/')} |"
        for name, customer, email, kind, reason in rows
    ]
    return "\n".join(lines)
