"""Asset checks on `unified_profiles`: sound ids, each source record in one profile, no shared emails.

The first two block downstream assets (segments and exports must not run on a broken identity).
The email check runs when a rule matches on an exact email: it fails with severity ERROR when a
rule matches on the email alone (shared emails then mean a bug or a same-source duplicate without
a dedup rule) and WARN when the rule also needs other attributes (a household may share a mailbox).
"""

import dagster as dg

from ac_export.contracts import PROFILE_SOURCES_TABLE, PROFILES_TABLE, source_table
from ac_export.defs.keys import UNIFIED_PROFILES_KEY
from ac_export.defs.metadata import table
from ac_export.defs.profiles.assets import configured_source, fail_on_user_error
from ac_export.defs.resources import ProjectConfigResource, WarehouseResource
from ac_export.profiles.normalize import normalised_sql
from ac_export.profiles.parse_failures import failures_table, source_parse_failures
from ac_export.profiles.reading import quote_literal
from ac_export.profiles.sources_config import SourcesConfig, load_sources_config
from ac_export.profiles.unify_config import Condition, UnifyConfig, load_unify_config
from ac_export.warehouse import Warehouse

SAMPLE_SIZE = 5


def build_profile_checks(config: SourcesConfig) -> list[dg.AssetChecksDefinition]:
    """The checks of `unified_profiles` for the profile sources named in `config`."""
    return [_ids_check(), _coverage_check(list(config.profile_sources)), _email_check()]


def _ids_check() -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=UNIFIED_PROFILES_KEY, name="customer_id_unique_not_null", blocking=True)
    def customer_id_unique_not_null(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        """Every profile has a customer_id and no two profiles share one."""
        store = warehouse.get()
        with store.connect() as con:
            rows, nulls, duplicated = con.execute(f"""
                SELECT count(*), count(*) - count(customer_id),
                       count(customer_id) - count(DISTINCT customer_id)
                FROM {store.scan(PROFILES_TABLE)}
            """).fetchall()[0]
        return dg.AssetCheckResult(
            passed=nulls == 0 and duplicated == 0,
            metadata={"profiles": rows, "null_ids": nulls, "duplicate_ids": duplicated},
        )

    return customer_id_unique_not_null


def _coverage_check(source_names: list[str]) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=UNIFIED_PROFILES_KEY, name="every_record_in_one_profile", blocking=True)
    def every_record_in_one_profile(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        """Each accepted source record is in profile_sources exactly once, and its customer exists."""
        counts = _coverage_counts(warehouse.get(), source_names)
        return dg.AssetCheckResult(passed=not any(counts.values()), metadata=counts)

    return every_record_in_one_profile


def _coverage_counts(store: Warehouse, source_names: list[str]) -> dict[str, int]:
    records = " UNION ALL ".join(
        f"SELECT {quote_literal(n)} AS source, source_key FROM {store.scan(source_table(n))}"
        for n in source_names
    )
    links, profiles = store.scan(PROFILE_SOURCES_TABLE), store.scan(PROFILES_TABLE)
    with store.connect() as con:
        con.execute(f"CREATE TEMP TABLE records AS {records}")
        con.execute(f"CREATE TEMP TABLE links AS SELECT * FROM {links}")
        row = con.execute(f"""
            SELECT
              (SELECT count(*) FROM records r ANTI JOIN links l USING (source, source_key)),
              (SELECT count(*) FROM (SELECT source, source_key FROM links GROUP BY ALL HAVING count(*) > 1)),
              (SELECT count(*) FROM links l ANTI JOIN records r USING (source, source_key)),
              (SELECT count(*) FROM links l ANTI JOIN {profiles} p USING (customer_id)),
              (SELECT count(*) FROM {profiles} p ANTI JOIN links l USING (customer_id))
        """).fetchall()[0]
    names = (
        "records_without_profile",
        "records_in_several_profiles",
        "links_to_unknown_records",
        "links_to_missing_profiles",
        "profiles_without_records",
    )
    return dict(zip(names, (int(v) for v in row), strict=True))


def _email_check() -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=UNIFIED_PROFILES_KEY, name="no_shared_normalised_email", blocking=False)
    def no_shared_normalised_email(
        warehouse: WarehouseResource, project_config: ProjectConfigResource
    ) -> dg.AssetCheckResult:
        """No two profiles share an email (normalised as the email rule does) when a rule matches on email."""

        def load() -> UnifyConfig:
            sources = load_sources_config(project_config.path)
            return load_unify_config(project_config.path, sources)

        config = fail_on_user_error(load)
        condition, email_only = email_rule(config)
        if condition is None:
            return dg.AssetCheckResult(passed=True, metadata={"applies": "no rule matches on an exact email"})
        return _shared_emails(warehouse.get(), condition, email_only)

    return no_shared_normalised_email


def email_rule(config: UnifyConfig) -> tuple[Condition | None, bool]:
    """The first exact email condition of the match rules, and whether its rule tests the email alone."""
    for rule in config.match_rules:
        for condition in rule.exact_conditions():
            if condition.attribute == "email":
                return condition, len(rule.conditions) == 1
    return None, False


def _shared_emails(store: Warehouse, condition: Condition, email_only: bool) -> dg.AssetCheckResult:
    email = normalised_sql("email", condition.normalize)
    with store.connect() as con:
        groups = con.execute(f"""
            SELECT list(DISTINCT customer_id ORDER BY customer_id) AS ids FROM {store.scan(PROFILES_TABLE)}
            WHERE {email} IS NOT NULL GROUP BY {email} HAVING count(DISTINCT customer_id) > 1 ORDER BY ids[1]
        """).fetchall()
    return dg.AssetCheckResult(
        passed=not groups,
        severity=dg.AssetCheckSeverity.ERROR if email_only else dg.AssetCheckSeverity.WARN,
        metadata={
            "shared_emails": len(groups),
            "profiles_sharing": sum(len(ids) for (ids,) in groups),
            # Customer ids rather than addresses: the event log is no place for personal data.
            "sample": table(
                [("customer ids sharing one email", "string")],
                [(", ".join(ids),) for (ids,) in groups[:SAMPLE_SIZE]],
            ),
        },
    )


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
        source = configured_source(project_config, "profile" if prefix == "sources" else "activity", name)
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
