"""Dagster assets of the segment layer: `customer_measures` and `segment_members` (one partition per segment).

Both read `segments.yaml` and `measures.yaml` when they run, so a config edit applies to the next
run; only the activity dependencies of `customer_measures` come from `sources.yaml` at load time.
"""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.

import time
import warnings
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg
import duckdb

from ac_export.config.loading import ConfigError
from ac_export.contracts import MEASURES_TABLE, PROFILE_SOURCES_TABLE, PROFILES_TABLE, activity_table
from ac_export.defs.keys import CUSTOMER_MEASURES_KEY, SEGMENT_MEMBERS_KEY, UNIFIED_PROFILES_KEY, activity_key
from ac_export.defs.partitions import (
    require_segment,
    segments_partitions,
    tag_segment_run,
    unknown_segment_message,
)
from ac_export.defs.resources import ProjectConfigResource, WarehouseResource
from ac_export.profiles.sources_config import SourcesConfig
from ac_export.segments.config import SegmentsConfig
from ac_export.segments.evaluation import SegmentEvaluator
from ac_export.segments.guard import GuardVerdict, evaluate_guard
from ac_export.segments.loading import load_project_segments
from ac_export.segments.measures import compile_measures
from ac_export.segments.membership import MembershipChange
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


@dg.multi_asset(
    name="segment_members",
    specs=[
        dg.AssetSpec(
            SEGMENT_MEMBERS_KEY,
            group_name=GROUP,
            deps=[UNIFIED_PROFILES_KEY, CUSTOMER_MEASURES_KEY],
            partitions_def=segments_partitions,
            kinds={"duckdb", "parquet"},
            # A held segment yields its failed guard and no materialization: its table is unchanged.
            skippable=True,
            description="A segment's members and the history of who joined and left, guarded against "
            "sudden swings.",
        )
    ],
    partitions_def=segments_partitions,
    check_specs=[GUARD_SPEC],
    # Check outputs optional too: a run over many segments reports each guard per partition itself.
    can_subset=True,
    # A backfill evaluates all its segments in one run (one join of profiles and measures, one
    # process start); the export keeps one run per segment, so the two never share a backfill run.
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def segment_members(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, project_config: ProjectConfigResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult | dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """Evaluate the run's segments: one partition, or a range of them in one step."""
    config = _load_config(project_config)
    if context.has_partition_key:
        require_segment(context.partition_key, config.segments)
        tag_segment_run(context)
    store = warehouse.get()
    _require_tables(store, [PROFILES_TABLE, MEASURES_TABLE])
    if context.has_partition_key:
        yield from _one_segment(context, store, config)
    else:
        yield from _many_segments(context, store, config)


def _one_segment(
    context: dg.AssetExecutionContext, store: Warehouse, config: SegmentsConfig
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """One partition: its materialization is the output, so an export in the same run follows it."""
    segment = context.partition_key
    with closing(store.connect()) as con:
        evaluator = SegmentEvaluator(con, store, config, [segment], (PROFILES_TABLE, MEASURES_TABLE))
        outcome = _evaluate(context, evaluator, config, segment)
    check = _guard_result(outcome.change, outcome.verdict, config.guard_for(segment).max_change_fraction)
    if outcome.metadata is None:
        yield check
        return
    yield dg.MaterializeResult(metadata=outcome.metadata, check_results=[check])


def _many_segments(
    context: dg.AssetExecutionContext, store: Warehouse, config: SegmentsConfig
) -> Iterator[dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """A range of partitions: one materialization and one guard result per segment, each its own.

    The output itself is never yielded: Dagster would record it for every partition of the range,
    held and failed ones included (dagster#15666). A segment that is held or fails leaves the others
    materialized and the step failed, naming each one, so a backfill marks exactly those partitions.
    """
    segments = list(context.partition_keys)
    unknown = {s: unknown_segment_message(s, config.segments) for s in segments if s not in config.segments}
    evaluated = [s for s in segments if s not in unknown]
    failed: dict[str, str] = {segment: str(message) for segment, message in unknown.items()}
    held: list[str] = []
    started = time.perf_counter()
    with closing(store.connect()) as con:
        evaluator = SegmentEvaluator(con, store, config, evaluated, (PROFILES_TABLE, MEASURES_TABLE))
        for segment in evaluated:
            try:
                outcome = _evaluate(context, evaluator, config, segment)
            except (duckdb.Error, OSError) as exc:
                context.log.error(f"segment {segment!r} could not be evaluated: {exc}")
                failed[segment] = f"{type(exc).__name__}: {exc}"
                continue
            if outcome.metadata is not None:
                yield dg.AssetMaterialization(
                    asset_key=SEGMENT_MEMBERS_KEY, partition=segment, metadata=outcome.metadata
                )
            else:
                held.append(segment)
            yield _guard_evaluation(segment, outcome, config)
    context.log.info(
        f"{len(evaluated) - len(held) - (len(failed) - len(unknown))} of {len(segments)} segments "
        f"materialized in {time.perf_counter() - started:.1f} s"
    )
    if held or failed:
        raise dg.Failure(description=_many_failed(segments, held, failed))


@dataclass(frozen=True)
class _Outcome:
    """One segment's evaluation: the change, the guard's verdict, and its metadata unless held."""

    change: MembershipChange
    verdict: GuardVerdict
    metadata: "dict[str, dg.RawMetadataValue] | None"


def _evaluate(
    context: dg.AssetExecutionContext, evaluator: SegmentEvaluator, config: SegmentsConfig, segment: str
) -> _Outcome:
    """Stage a segment, judge it by its guard, and commit it when the guard lets it through."""
    guard = config.guard_for(segment)
    now = datetime.now(UTC).replace(tzinfo=None)
    change = evaluator.stage(segment)
    verdict = evaluate_guard(segment, change, guard, now.date())
    if not verdict.passed:
        context.log.error(f"segment {segment!r} held: {verdict.description}")
        return _Outcome(change, verdict, None)
    rows = evaluator.commit(segment, now)
    context.log.info(f"segment {segment!r}: {change.members} members, +{change.joined} / -{change.left}")
    metadata: dict[str, dg.RawMetadataValue] = {
        # The current members; `rows` also counts the spells of those who left (the history).
        "dagster/row_count": change.members,
        "spells": rows,
        "members": change.members,
        "joined": change.joined,
        "left": change.left,
        "description": dg.MetadataValue.text(config.segments[segment].description),
        "as_of": config.as_of.isoformat(),
    }
    return _Outcome(change, verdict, metadata)


def _guard_evaluation(segment: str, outcome: _Outcome, config: SegmentsConfig) -> dg.AssetCheckEvaluation:
    """The guard's result for one partition of a range (a check result would name no partition)."""
    result = _guard_result(outcome.change, outcome.verdict, config.guard_for(segment).max_change_fraction)
    return dg.AssetCheckEvaluation(
        asset_key=SEGMENT_MEMBERS_KEY,
        check_name=GUARD_CHECK,
        passed=result.passed,
        metadata=result.metadata,
        severity=result.severity,
        description=result.description,
        blocking=True,
        partition=segment,
    )


def _many_failed(segments: list[str], held: list[str], failed: dict[str, str]) -> str:
    """The step's failure: which segments were held or failed, why, and that the others are done."""
    done = len(segments) - len(held) - len(failed)
    lines = [f"{done} of {len(segments)} segments materialized; these were not:"]
    lines += [
        f"- {s}: held by its membership guard (the last accepted members are kept; the check's "
        "description says how to let the change through)"
        for s in held
    ]
    lines += [f"- {s}: {reason}" for s, reason in failed.items()]
    return "\n".join(lines)


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
