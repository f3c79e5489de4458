"""Asset checks `values_parse` on every source asset: no mapped attribute loses too many values.

The check fails (severity ERROR) when an attribute's values that did not parse exceed the source's
`max_unparsed_share` (default 5%) of the values the file gave, with the hint of `parse_failures`
(for dates, the format they look like). It does not block: the records are whole and loaded; the
check makes the loss impossible to miss and says how to recover the values.
"""

import dagster as dg

from ac_export.config.sources import SourcesConfig, load_sources_config
from ac_export.profiles.assets import fail_on_user_error
from ac_export.profiles.parse_failures import failures_table, source_parse_failures
from ac_export.resources import ProjectConfigResource, WarehouseResource


def build_parse_checks(config: SourcesConfig) -> list[dg.AssetChecksDefinition]:
    """One `values_parse` check per profile and activity source asset named in `config`."""
    return [_check("sources", name) for name in config.profile_sources] + [
        _check("activities", name) for name in config.activity_sources
    ]


def _check(prefix: str, name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey([prefix, name]), name="values_parse", blocking=False)
    def values_parse(
        warehouse: WarehouseResource, project_config: ProjectConfigResource
    ) -> dg.AssetCheckResult:
        """No mapped attribute loses more than max_unparsed_share of its values to parsing."""
        config = fail_on_user_error(lambda: load_sources_config(project_config.path))
        sources = config.profile_sources if prefix == "sources" else config.activity_sources
        source = sources.get(name)
        if source is None:
            raise dg.Failure(
                description=f"source {name!r} is no longer in sources.yaml; reload the code location"
            )
        if not warehouse.get().exists(f"{prefix}/{name}"):
            raise dg.Failure(description=f"{prefix}/{name} has not been loaded yet; materialize it first")
        failures = source_parse_failures(warehouse.get(), f"{prefix}/{name}", source, project_config.path)
        over = [f for f in failures if f.share > source.max_unparsed_share]
        worst = max(failures, key=lambda f: f.share, default=None)
        description = "; ".join(
            f"{f.column}: {f.failed:,} of {f.given:,} ({f.share:.0%}) did not parse — {f.hint}" for f in over
        )
        return dg.AssetCheckResult(
            passed=not over,
            severity=dg.AssetCheckSeverity.ERROR,
            description=description or None,
            metadata={
                "max_unparsed_share": source.max_unparsed_share,
                "worst_share": round(worst.share, 4) if worst else 0.0,
                "values_unparsed": sum(f.failed for f in failures),
                "attributes_over": [f.column for f in over],
                "failures": dg.MetadataValue.md(failures_table(failures)),
            },
        )

    return values_parse
