"""Dagster assets of the segment layer: `customer_measures` and `segment_members` (one partition per segment).

Both read `segments.yaml` and `measures.yaml` when they run, so a config edit applies to the next
run; only the activity dependencies of `customer_measures` come from `sources.yaml` at load time.
"""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.

import warnings
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime

import dagster as dg

from ac_export.config.loading import ConfigError
from ac_export.contracts import MEASURES_TABLE, PROFILE_SOURCES_TABLE, PROFILES_TABLE, activity_table
from ac_export.defs.keys import CUSTOMER_MEASURES_KEY, SEGMENT_MEMBERS_KEY, UNIFIED_PROFILES_KEY, activity_key
from ac_export.defs.partitions import require_segment, segments_partitions, tag_segment_run
from ac_export.defs.resources import ProjectConfigResource, WarehouseResource
from ac_export.profiles.sources_config import SourcesConfig
from ac_export.segments.config import SegmentsConfig
from ac_export.segments.guard import GuardVerdict, evaluate_guard
from ac_export.segments.loading import load_project_segments
from ac_export.segments.measures import compile_measures
from ac_export.segments.membership import MembershipChange, commit_membership, stage_membership
from ac_export.segments.rules import compile_segment
from ac_export.warehouse import Warehouse

GROUP = "segments"
GUARD_CHECK = "membership_guard"

with warnings.catch_warnings():
    # Partitioned check specs are a Dagster 1.13 preview; without one, a segment's guard result
    # would be recorded for the asset as a whole and overwrite the other segments' results.
    warnings.simplefilter("ignore", dg.PreviewWarning)
    GUARD_SPEC = dg.AssetCheckSpec(
        name=GUARD_CHECK,
        asset=SEGMENT_MEMBERS_KEY,
        blocking=True,
        partitions_def=segments_partitions,
        description="Fails, keeping the last accepted members and blocking the export, when more than "
        "max_change_fraction of a segment's members would join or leave in one run.",
    )


def build_segment_assets(sources: SourcesConfig) -> list[dg.AssetsDefinition]:
    """The segment assets; `customer_measures` depends on every configured activity source."""
    return [_build_customer_measures(sources), segment_members]


def _build_customer_measures(sources: SourcesConfig) -> dg.AssetsDefinition:
    activity_keys = [activity_key(name) for name in sources.activity_sources]

    @dg.asset(
        key=CUSTOMER_MEASURES_KEY,
        group_name=GROUP,
        deps=[UNIFIED_PROFILES_KEY, *activity_keys],
        kinds={"duckdb", "parquet"},
    )
    def customer_measures(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, project_config: ProjectConfigResource
    ) -> dg.MaterializeResult:
        """Per-customer aggregates over activities, one column per measure in measures.yaml."""
        config = _load_config(project_config)
        store = warehouse.get()
        activities = sorted({name for measure in config.measures.values() for name in measure.activity})
        activity_tables = {name: activity_table(name) for name in activities}
        _require_tables(store, [PROFILES_TABLE, PROFILE_SOURCES_TABLE, *activity_tables.values()])
        query = compile_measures(
            config,
            store.scan(PROFILES_TABLE),
            store.scan(PROFILE_SOURCES_TABLE),
            {name: store.scan(table) for name, table in activity_tables.items()},
        )
        with closing(store.connect()) as con:
            rows = store.write_query(MEASURES_TABLE, con, query.sql, query.params)
        context.log.info(f"{len(config.measures)} measures for {rows} customers, as of {config.as_of}")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "measures": len(config.measures),
                "as_of": config.as_of.isoformat(),
                "dagster/column_schema": _measure_schema(config),
            }
        )

    return customer_measures


@dg.asset(
    key=SEGMENT_MEMBERS_KEY,
    group_name=GROUP,
    partitions_def=segments_partitions,
    deps=[UNIFIED_PROFILES_KEY, CUSTOMER_MEASURES_KEY],
    check_specs=[GUARD_SPEC],
    # A held segment yields its failed guard and no materialization: its table is unchanged.
    output_required=False,
    # One run per segment, the same policy as the export: assets with different policies never
    # share a backfill run, and the guard only blocks an export that runs in the same run.
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=1),
    kinds={"duckdb", "parquet"},
)
def segment_members(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, project_config: ProjectConfigResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """A segment's members and the history of who joined and left, guarded against sudden swings."""
    segment = context.partition_key
    config = _load_config(project_config)
    require_segment(segment, config.segments)
    tag_segment_run(context)
    store = warehouse.get()
    _require_tables(store, [PROFILES_TABLE, MEASURES_TABLE])
    query = compile_segment(config, segment, store.scan(PROFILES_TABLE), store.scan(MEASURES_TABLE))
    guard = config.guard_for(segment)
    now = datetime.now(UTC).replace(tzinfo=None)
    with closing(store.connect()) as con:
        change = stage_membership(con, store, segment, query)
        verdict = evaluate_guard(segment, change, guard, now.date())
        check = _guard_result(change, verdict, guard.max_change_fraction)
        if not verdict.passed:
            context.log.error(f"segment {segment!r} held: {verdict.description}")
            yield check
            return
        rows, _ = commit_membership(con, store, segment, now)
    context.log.info(f"segment {segment!r}: {change.members} members, +{change.joined} / -{change.left}")
    yield dg.MaterializeResult(
        metadata={
            # The current members; `rows` also counts the spells of those who left (the history).
            "dagster/row_count": change.members,
            "spells": rows,
            "members": change.members,
            "joined": change.joined,
            "left": change.left,
            "description": dg.MetadataValue.text(config.segments[segment].description),
            "as_of": config.as_of.isoformat(),
        },
        check_results=[check],
    )


def _guard_result(change: MembershipChange, verdict: GuardVerdict, limit: float) -> dg.AssetCheckResult:
    metadata: dict[str, dg.RawMetadataValue] = {
        "members": change.members,
        "joined": change.joined,
        "left": change.left,
        "max_change_fraction": limit,
        "overridden": verdict.overridden,
    }
    if change.previous_members is not None:
        metadata["previous_members"] = change.previous_members
    if change.change_fraction is not None:
        metadata["change_fraction"] = round(change.change_fraction, 4)
    return dg.AssetCheckResult(
        check_name=GUARD_CHECK,
        passed=verdict.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=verdict.description,
        metadata=metadata,
    )


def _measure_schema(config: SegmentsConfig) -> dg.TableSchema:
    columns = [dg.TableColumn("customer_id", "VARCHAR", description="Unified customer id.")]
    columns += [
        dg.TableColumn(name, config.measure_types[name], description=measure.description)
        for name, measure in config.measures.items()
    ]
    return dg.TableSchema(columns=columns)


def _load_config(project_config: ProjectConfigResource) -> SegmentsConfig:
    try:
        return load_project_segments(project_config.path)
    except ConfigError as exc:
        raise dg.Failure(description=str(exc)) from None


def _require_tables(store: Warehouse, tables: list[str]) -> None:
    missing = [table for table in tables if not store.exists(table)]
    if missing:
        raise dg.Failure(
            description=f"warehouse tables missing: {', '.join(missing)}; materialize the upstream assets "
            "(unified_profiles, activities/*, customer_measures) first"
        )
