"""The profiles asset graph through Dagster: materialization, metadata, checks, errors a user can act on."""

# No `from __future__ import annotations`: Dagster inspects annotations at runtime.

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from ac_export.defs.keys import UNIFIED_PROFILES_KEY
from ac_export.defs.profiles.assets import build_profile_assets
from ac_export.defs.profiles.checks import build_profile_checks
from ac_export.defs.resources import ProjectConfigResource, WarehouseResource
from ac_export.profiles.sources_config import load_sources_config
from ac_export.warehouse import Warehouse
from ac_export_tests.profiles.fixtures import write_csv

SOURCES = """
profile_sources:
  crm:
    path: sources/crm.csv
    primary_key: Id
    priority: 10
    date_formats: ["%m/%d/%Y"]
    columns: {Mail: email, First: first_name, Phone: phone, Born: birth_date, Tier: tier}
  shop:
    path: sources/shop.csv
    primary_key: Id
    priority: 20
    columns: {Mail: email, First: first_name, Phone: phone, City: city}
activity_sources:
  orders:
    path: sources/orders.csv
    primary_key: OrderId
    links_to: {source: shop, column: Customer}
    columns: {Total: {attribute: total, type: float}}
"""
UNIFY = """
dedup:
  - name: same_email_within_source
    conditions: [{attribute: email, normalize: [trim_case]}]
match_rules:
  - name: same_email
    conditions: [{attribute: email, normalize: [trim_case]}]
  - name: same_phone
    conditions:
      - {attribute: phone, normalize: [phone_e164]}
      - {attribute: first_name, normalize: [trim_case], compare: fuzzy, threshold: 0.8}
"""


class Project:
    """A config folder with its data, a warehouse, resources and an instance."""

    def __init__(self, root: Path, instance: dg.DagsterInstance) -> None:
        self.config_dir = root / "config"
        self.config_dir.mkdir(parents=True)
        (self.config_dir / "sources.yaml").write_text(SOURCES)
        (self.config_dir / "unify.yaml").write_text(UNIFY)
        write_csv(
            root / "sources" / "crm.csv",
            ["Id", "Mail", "First", "Phone", "Born", "Tier"],
            [
                ["c1", "ann@x.com", "Ann", "555-201-0001", "5/8/1986", "gold"],
                ["c2", "bo@x.com", "Bo", "", "13/45/1990", ""],
                ["c2", "dup@x.com", "Dup", "", "", ""],
            ],
        )
        write_csv(
            root / "sources" / "shop.csv",
            ["Id", "Mail", "First", "Phone", "City"],
            [
                ["s1", "ANN@x.com", "Annie", "", "Leeds"],
                ["s2", "x@y.com", "Bo", "(555) 201-0009", "York"],
                ["s3", "bo@x.com", "Bob", "", ""],
                ["s4", "bo@x.com", "Bobby", "", ""],
            ],
        )
        write_csv(
            root / "sources" / "orders.csv",
            ["OrderId", "Customer", "Total"],
            [["o1", "s1", "9.5"], ["o2", "zz", "1"]],
        )
        self.warehouse = Warehouse(root / "warehouse")
        self.instance = instance
        sources = load_sources_config(self.config_dir)
        self.definitions = [*build_profile_assets(sources), *build_profile_checks(sources)]
        self.resources = {
            "warehouse": WarehouseResource(root=str(self.warehouse.root)),
            "project_config": ProjectConfigResource(config_dir=str(self.config_dir)),
        }

    def materialize(self, selection: dg.AssetSelection | None = None) -> dg.ExecuteInProcessResult:
        """Materialize the graph (or a selection) with its checks."""
        return dg.materialize(
            self.definitions,
            resources=self.resources,
            instance=self.instance,
            selection=selection,
            raise_on_error=False,
        )


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    with dg.instance_for_test() as instance:
        yield Project(tmp_path, instance)


def _metadata(result: dg.ExecuteInProcessResult, key: dg.AssetKey) -> dict[str, object]:
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {name: value.value for name, value in events[-1].materialization.metadata.items()}


def test_graph_shape(project: Project) -> None:
    specs = {
        spec.key: spec for d in project.definitions if isinstance(d, dg.AssetsDefinition) for spec in d.specs
    }
    assert set(specs) == {
        dg.AssetKey(["sources", "crm"]),
        dg.AssetKey(["sources", "shop"]),
        dg.AssetKey(["activities", "orders"]),
        UNIFIED_PROFILES_KEY,
    }
    assert specs[dg.AssetKey(["sources", "crm"])].group_name == "sources"
    assert specs[dg.AssetKey(["activities", "orders"])].group_name == "activities"
    assert specs[UNIFIED_PROFILES_KEY].group_name == "profiles"
    assert {d.asset_key for d in specs[UNIFIED_PROFILES_KEY].deps} == {
        dg.AssetKey(["sources", "crm"]),
        dg.AssetKey(["sources", "shop"]),
    }
    assert {d.asset_key for d in specs[dg.AssetKey(["activities", "orders"])].deps} == {
        dg.AssetKey(["sources", "shop"])
    }


def test_materializing_builds_profiles_with_metadata_and_passing_checks(project: Project) -> None:
    result = project.materialize()
    assert result.success
    crm = _metadata(result, dg.AssetKey(["sources", "crm"]))
    assert (crm["dagster/row_count"], crm["rows_read"], crm["rows_rejected"], crm["invalid_values"]) == (
        2,
        3,
        1,
        1,
    )
    assert "duplicate primary key 'c2' (first seen at row 2)" in str(crm["rejected_sample"])
    orders = _metadata(result, dg.AssetKey(["activities", "orders"]))
    assert (orders["dagster/row_count"], orders["unlinked_rows"]) == (2, 1)
    unified = _metadata(result, UNIFIED_PROFILES_KEY)
    # ann: c1+s1 (email); bo: c2+s3+s4 (email, and the shop dedup); s2 alone (phone of nobody else).
    assert (unified["profiles"], unified["records"], unified["multi_source_profiles"]) == (3, 6, 2)
    assert (unified["ids_new"], unified["ids_kept"], unified["largest_profile"]) == (3, 0, 3)
    assert "same_email_within_source" in str(unified["rules"])
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert set(checks) == {
        "customer_id_unique_not_null",
        "every_record_in_one_profile",
        "no_shared_normalised_email",
    }
    assert all(c.passed for c in checks.values())
    assert checks["no_shared_normalised_email"].severity == dg.AssetCheckSeverity.ERROR  # an email-only rule

    profiles = project.warehouse.read_frame("profiles/unified_profiles")
    ann = profiles.filter(pl.col("email") == "ann@x.com").row(0, named=True)
    assert (ann["first_name"], ann["tier"], ann["city"], ann["phone"], ann["sources"]) == (
        "Ann",
        "gold",
        "Leeds",
        "+15552010001",
        ["crm", "shop"],
    )
    links = project.warehouse.read_frame("profiles/profile_sources")
    assert links.columns == ["customer_id", "source", "source_key", "matched_by"]
    assert links.height == 6

    again = project.materialize()
    assert (
        _metadata(again, UNIFIED_PROFILES_KEY)["ids_kept"],
        _metadata(again, UNIFIED_PROFILES_KEY)["ids_new"],
    ) == (3, 0)
    assert (
        project.warehouse.read_frame("profiles/profile_sources")
        .sort("source", "source_key")
        .equals(links.sort("source", "source_key"))
    )


def test_a_broken_config_fails_the_run_with_the_message(project: Project) -> None:
    (project.config_dir / "unify.yaml").write_text(
        UNIFY.replace("attribute: phone,", "attribute: telephone,")
    )
    result = project.materialize()
    assert not result.success
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = failures[0].step_failure_data.error.message
    assert "unify.yaml: 1 problem(s)" in message
    assert "match_rules[1].conditions[0].attribute: unknown attribute 'telephone'" in message


def test_checks_catch_broken_tables(project: Project) -> None:
    assert project.materialize().success
    profiles = project.warehouse.read_frame("profiles/unified_profiles")
    broken = pl.concat([profiles, profiles.filter(pl.col("email") == "ann@x.com")]).with_columns(
        email=pl.when(pl.col("email") == "x@y.com").then(pl.lit("ann@x.com")).otherwise("email")
    )
    project.warehouse.write_frame("profiles/unified_profiles", broken)
    links = project.warehouse.read_frame("profiles/profile_sources")
    project.warehouse.write_frame("profiles/profile_sources", pl.concat([links.head(5), links.head(1)]))
    result = project.materialize(dg.AssetSelection.checks_for_assets(UNIFIED_PROFILES_KEY))
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["customer_id_unique_not_null"].passed
    assert checks["customer_id_unique_not_null"].metadata["duplicate_ids"].value == 1
    coverage = {k: v.value for k, v in checks["every_record_in_one_profile"].metadata.items()}
    assert not checks["every_record_in_one_profile"].passed
    assert (coverage["records_without_profile"], coverage["records_in_several_profiles"]) == (1, 1)
    assert not checks["no_shared_normalised_email"].passed
    assert checks["no_shared_normalised_email"].metadata["shared_emails"].value == 1


MODEL = """
probabilistic:
  blocking: [{name: same_email, keys: [{attribute: email, normalize: [trim_case]}]}]
  comparisons:
    - {attribute: email, normalize: [trim_case], levels: [exact]}
    - {attribute: first_name, normalize: [trim_case], levels: [exact, {jaro_winkler: 0.8}]}
  u_sample_pairs: 10000
"""


def test_the_probabilistic_model_runs_in_the_asset_and_explains_its_links(project: Project) -> None:
    (project.config_dir / "unify.yaml").write_text(MODEL)
    result = project.materialize()
    assert result.success
    unified = _metadata(result, UNIFIED_PROFILES_KEY)
    # Pairs sharing an email: c1-s1, c2-s3, c2-s4, s3-s4.
    assert unified["model_candidate_pairs"] == 4
    assert "probabilistic" in str(unified["rules"]) and "jaro_winkler>=0.8" in str(unified["model_weights"])
    links = project.warehouse.read_frame("profiles/profile_links")
    assert links.columns[:8] == [
        "customer_id", "source_a", "source_key_a", "source_b", "source_key_b", "blocked_by",
        "match_weight", "match_probability",
    ]  # fmt: skip
    assert links.height == unified["model_linked_pairs"]
    assert set(links["blocked_by"]) <= {"same_email"}
    model = project.warehouse.read_frame("profiles/match_model")
    assert model.height == 1 + 3 + 4  # the prior; email null/exact/else; first_name null/exact/jw/else
    sources = project.warehouse.read_frame("profiles/profile_sources")
    assert set(sources["matched_by"].drop_nulls()) <= {"probabilistic"}
    assert all(c.passed for c in result.get_asset_check_evaluations())
    # Back to rules alone: the model's tables no longer explain anything, so they are emptied.
    (project.config_dir / "unify.yaml").write_text(UNIFY)
    assert project.materialize(dg.AssetSelection.assets(UNIFIED_PROFILES_KEY)).success
    assert project.warehouse.read_frame("profiles/profile_links").height == 0
    assert project.warehouse.read_frame("profiles/match_model").height == 0
