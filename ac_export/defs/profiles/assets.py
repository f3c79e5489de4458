"""Dagster assets of the profiles area: one per configured source file, and `unified_profiles`.

Which assets exist follows `sources.yaml` when the code location loads; how each file is read
and how records are unified is read from the YAML at run time, so edits apply to the next run.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

import dagster as dg

from ac_export.config.loading import ConfigError
from ac_export.contracts import PROFILES_TABLE
from ac_export.defs.keys import UNIFIED_PROFILES_KEY, source_key
from ac_export.defs.metadata import table
from ac_export.defs.resources import ProjectConfigResource, WarehouseResource
from ac_export.profiles.ingest import IngestReport, ingest_activity_source, ingest_profile_source
from ac_export.profiles.parse_failures import failure_lines, failures_table, source_parse_failures
from ac_export.profiles.reading import SourceFileError
from ac_export.profiles.sources_config import FileSource, SourcesConfig, load_sources_config
from ac_export.profiles.unify import UnifyError, UnifyReport, unify
from ac_export.profiles.unify_config import load_unify_config
from ac_export.warehouse import Warehouse

T = TypeVar("T")


# What an asset's metadata dict may hold (Dagster's own alias for it is private).
Metadata = dict[str, dg.MetadataValue | dg.TableSchema | int | float | str]


def build_profile_assets(config: SourcesConfig) -> list[dg.AssetsDefinition]:
    """Assets `sources/<name>` per profile source, `activities/<name>` per activity, `unified_profiles`."""
    assets = [_profile_source_asset(name) for name in config.profile_sources]
    assets += [_activity_source_asset(name, a.links_to.source) for name, a in config.activity_sources.items()]
    assets.append(_unified_profiles_asset(list(config.profile_sources)))
    return assets


def _profile_source_asset(name: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=source_key(name),
        group_name="sources",
        kinds={"duckdb", "parquet"},
        description=f"Typed records of profile source '{name}'; rejected rows in sources/{name}__rejected.",
    )
    def _source(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, project_config: ProjectConfigResource
    ) -> dg.MaterializeResult:
        return _ingest(context, warehouse, project_config, "profile", name)

    return _source


def _activity_source_asset(name: str, linked_source: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["activities", name],
        group_name="activities",
        kinds={"duckdb", "parquet"},
        deps=[source_key(linked_source)],
        description=f"Events of activity source '{name}', each linked to a record of '{linked_source}'.",
    )
    def _activity(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, project_config: ProjectConfigResource
    ) -> dg.MaterializeResult:
        return _ingest(context, warehouse, project_config, "activity", name)

    return _activity


def configured_source(
    project_config: ProjectConfigResource, kind: Literal["profile", "activity"], name: str
) -> FileSource:
    """Source `name` as sources.yaml has it now; a Failure when it left the file since the last reload."""
    config = fail_on_user_error(lambda: load_sources_config(project_config.path))
    sources = config.profile_sources if kind == "profile" else config.activity_sources
    source = sources.get(name)
    if source is None:
        raise dg.Failure(
            description=f"{kind} source {name!r} is no longer in sources.yaml; reload the code location"
        )
    return source


def _ingest(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    project_config: ProjectConfigResource,
    kind: Literal["profile", "activity"],
    name: str,
) -> dg.MaterializeResult:
    """Read one configured source file into the warehouse and describe what was kept and refused."""
    source = configured_source(project_config, kind, name)
    ingest = ingest_profile_source if kind == "profile" else ingest_activity_source
    # `source` is of the kind `ingest` reads: both come from the same `kind`.
    report = fail_on_user_error(lambda: ingest(warehouse.get(), name, source, project_config.data_path))  # type: ignore[arg-type]
    context.log.info(
        f"{name}: {report.accepted:,} of {report.rows_read:,} rows accepted, {report.rejected:,} rejected"
    )
    failures = source_parse_failures(warehouse.get(), report.table, source, project_config.path)
    for line in failure_lines(name, failures):
        context.log.warning(line)
    metadata = _ingest_metadata(report, warehouse.get(), source.resolve_path(project_config.data_path))
    metadata["parse_failures"] = dg.MetadataValue.md(failures_table(failures))
    metadata["values_unparsed"] = sum(f.failed for f in failures)
    if report.unlinked is not None:
        metadata["unlinked_rows"] = report.unlinked
    return dg.MaterializeResult(metadata=metadata)


def _unified_profiles_asset(source_names: list[str]) -> dg.AssetsDefinition:
    @dg.asset(
        key=UNIFIED_PROFILES_KEY,
        group_name="profiles",
        kinds={"duckdb", "parquet"},
        deps=[source_key(n) for n in source_names],
        description=(
            "One row per customer with a stable customer_id, merged from the profile sources by unify.yaml; "
            "profiles/profile_sources lists the source records of each customer."
        ),
    )
    def unified_profiles(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, project_config: ProjectConfigResource
    ) -> dg.MaterializeResult:
        def run() -> UnifyReport:
            sources = load_sources_config(project_config.path)
            return unify(warehouse.get(), sources, load_unify_config(project_config.path, sources))

        report = fail_on_user_error(run)
        context.log.info(
            f"{report.profiles:,} profiles from {report.records:,} records "
            f"({report.multi_source_profiles:,} from several sources) in {report.seconds:.1f} s"
        )
        return dg.MaterializeResult(metadata=_unify_metadata(report, warehouse.get()))

    return unified_profiles


def fail_on_user_error(step: Callable[[], T]) -> T:
    """Run a step, turning errors a user must fix (config, files) into a dg.Failure with the message."""
    try:
        return step()
    except (ConfigError, SourceFileError, UnifyError) as exc:
        raise dg.Failure(description=str(exc)) from None


def _ingest_metadata(report: IngestReport, warehouse: Warehouse, path: Path) -> Metadata:
    return {
        "dagster/row_count": report.accepted,
        "dagster/column_schema": table_schema(warehouse, report.table),
        "path": dg.MetadataValue.path(str(path)),
        "rows_read": report.rows_read,
        "rows_rejected": report.rejected,
        "invalid_values": report.invalid_values,
        "rejections_by_reason": table(
            [("reason", "string"), ("rows", "int")], report.rejected_by_reason.items()
        ),
        "rejected_sample": table([("row", "int"), ("reason", "string")], report.rejected_sample),
        "invalid_values_by_column": table(
            [("column", "string"), ("values set to NULL", "int")], report.invalid_by_column.items()
        ),
    }


RULES_COLUMNS = [
    ("rule", "string"),
    ("kind", "string"),
    ("records linked", "int"),
    ("linked first by it", "int"),
    ("fuzzy blocks skipped", "int"),
]


def _unify_metadata(report: UnifyReport, warehouse: Warehouse) -> Metadata:
    rules = [(r.name, r.kind, r.linked_records, r.first_linked, r.skipped_blocks) for r in report.rules]
    return {
        "dagster/row_count": report.profiles,
        "dagster/column_schema": table_schema(warehouse, PROFILES_TABLE),
        "profiles": report.profiles,
        "records": report.records,
        "multi_source_profiles": report.multi_source_profiles,
        "largest_profile": report.largest_profile,
        "ids_kept": report.ids.kept,
        "ids_new": report.ids.new,
        "ids_retired": report.ids.retired,
        "duration_s": round(report.seconds, 2),
        "rules": table(RULES_COLUMNS, rules),
        **_model_metadata(report),
    }


def _model_metadata(report: UnifyReport) -> Metadata:
    """The probabilistic model's figures; its links and weights are in profiles/profile_links."""
    model = report.model
    if model is None:
        return {}
    return {
        "model_candidate_pairs": model.candidate_pairs,
        "model_linked_pairs": model.linked_pairs,
        "model_prior": model.prior,
        "model_em_iterations": model.iterations,
        "model_em_converged": model.converged,
        "model_u_pairs": model.u_pairs,
        "model_skipped_blocks": model.skipped_blocks,
        "model_weights": table(
            [
                ("comparison", "string"),
                ("level", "string"),
                ("m", "float"),
                ("u", "float"),
                ("weight", "float"),
            ],
            [
                (
                    w.comparison,
                    w.label,
                    round(w.m_probability, 6),
                    round(w.u_probability, 8),
                    round(w.match_weight, 3),
                )
                for w in model.weights
                if w.level > 0
            ],
        ),
    }


def table_schema(warehouse: Warehouse, table: str) -> dg.TableSchema:
    """The columns and types of a warehouse table, for the asset's column schema."""
    with warehouse.connect() as con:
        described = con.execute(f"DESCRIBE SELECT * FROM {warehouse.scan(table)}").fetchall()
    return dg.TableSchema(columns=[dg.TableColumn(name=row[0], type=row[1]) for row in described])
