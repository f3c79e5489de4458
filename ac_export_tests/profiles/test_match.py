"""Match semantics: AND within a rule, OR across rules, transitivity, rule order, fuzzy thresholds, scopes."""

from datetime import date
from pathlib import Path

import pytest

from ac_export.profiles.unify import unify
from ac_export.warehouse import Warehouse
from ac_export_tests.profiles.fixtures import (
    clusters,
    exact,
    fuzzy,
    matched_by,
    rule,
    sources,
    unify_config,
    write_sources,
)

CONFIG = sources(
    crm=(10, ["email", "first_name", "last_name", "phone", "birth_date"]),
    shop=(20, ["email", "first_name", "last_name", "phone", "birth_date"]),
)


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "wh")


def test_conditions_are_and_and_rules_are_or(warehouse: Warehouse) -> None:
    write_sources(
        warehouse,
        {
            "crm": [
                {"id": "a", "email": "ann@x.com", "first_name": "Ann", "phone": "555-201-0001"},
                {"id": "b", "email": "bob@x.com", "first_name": "Bob", "phone": "(555) 201-0002"},
            ],
            "shop": [
                # The email of crm/a once trimmed and lower-cased, another phone.
                {"id": "1", "email": " ANN@x.com ", "first_name": "Ann", "phone": "555-999-9999"},
                # The phone of crm/b in another shape; the last-name rule cannot hold (crm/b has none),
                # the first-name rule does.
                {
                    "id": "2",
                    "email": "robert@y.com",
                    "first_name": "Bob",
                    "last_name": "Other",
                    "phone": "5552010002",
                },
                # The phone of shop/1: same source, so no match rule links them.
                {"id": "3", "email": "a.n@z.com", "first_name": "Ann", "phone": "+1 555 999 9999"},
            ],
        },
        CONFIG,
    )
    config = unify_config(
        match=[
            rule("same_email", exact("email", "trim_case")),
            rule("same_phone_and_last_name", exact("phone", "phone_e164"), exact("last_name", "trim_case")),
            rule("same_phone_and_first_name", exact("phone", "phone_e164"), exact("first_name", "trim_case")),
        ]
    )
    unify(warehouse, CONFIG, config)
    assert clusters(warehouse) == {
        frozenset({("crm", "a"), ("shop", "1")}),
        frozenset({("crm", "b"), ("shop", "2")}),
        frozenset({("shop", "3")}),
    }
    assert matched_by(warehouse)[("shop", "2")] == "same_phone_and_first_name"
    assert matched_by(warehouse)[("shop", "3")] is None


def test_transitivity_across_rules_and_sources(warehouse: Warehouse) -> None:
    config_sources = sources(
        crm=(10, ["email", "first_name", "phone"]),
        shop=(20, ["email", "first_name", "phone"]),
        pos=(30, ["email", "first_name", "phone"]),
    )
    write_sources(
        warehouse,
        {
            "crm": [{"id": "a", "email": "ann@x.com", "phone": "555-201-0001"}],
            "shop": [{"id": "1", "email": "ann@x.com", "phone": "555-301-0001"}],
            "pos": [{"id": "p", "email": "other@x.com", "phone": "555.301.0001"}],
        },
        config_sources,
    )
    config = unify_config(match=[rule("email", exact("email")), rule("phone", exact("phone", "phone_e164"))])
    unify(warehouse, config_sources, config)
    assert clusters(warehouse) == {frozenset({("crm", "a"), ("shop", "1"), ("pos", "p")})}


def test_and_needs_every_condition(warehouse: Warehouse) -> None:
    write_sources(
        warehouse,
        {
            "crm": [{"id": "a", "phone": "555-201-0002", "last_name": "Smith"}],
            "shop": [
                {"id": "1", "phone": "5552010002", "last_name": "Smyth"},
                {"id": "2", "phone": "5552010002"},
            ],
        },
        CONFIG,
    )
    unify(
        warehouse, CONFIG, unify_config(match=[rule("r", exact("phone", "phone_e164"), exact("last_name"))])
    )
    assert len(clusters(warehouse)) == 3


def test_rule_order_decides_credit_not_clusters(warehouse: Warehouse) -> None:
    rows = {
        "crm": [{"id": "a", "email": "ann@x.com", "phone": "555-201-0001"}],
        "shop": [
            {"id": "1", "email": "ann@x.com", "phone": "555-201-0001"},
            {"id": "2", "email": "zed@x.com", "phone": "555-201-0001"},
        ],
    }
    write_sources(warehouse, rows, CONFIG)
    by_email, by_phone = rule("by_email", exact("email")), rule("by_phone", exact("phone", "phone_e164"))
    unify(warehouse, CONFIG, unify_config(match=[by_email, by_phone]))
    first = clusters(warehouse)
    assert matched_by(warehouse) == {
        ("crm", "a"): "by_email",
        ("shop", "1"): "by_email",
        ("shop", "2"): "by_phone",
    }
    unify(warehouse, CONFIG, unify_config(match=[by_phone, by_email]))
    assert clusters(warehouse) == first == {frozenset({("crm", "a"), ("shop", "1"), ("shop", "2")})}
    assert set(matched_by(warehouse).values()) == {"by_phone"}


@pytest.mark.parametrize(("threshold", "linked"), [(0.9, True), (0.95, False)])
def test_fuzzy_threshold(warehouse: Warehouse, threshold: float, linked: bool) -> None:
    # jaro_winkler("jon", "john") is 0.933.
    write_sources(
        warehouse,
        {
            "crm": [{"id": "a", "email": "j@x.com", "first_name": "Jon"}],
            "shop": [{"id": "1", "email": "j@x.com", "first_name": "JOHN"}],
        },
        CONFIG,
    )
    config = unify_config(match=[rule("r", exact("email"), fuzzy("first_name", threshold, "trim_case"))])
    unify(warehouse, CONFIG, config)
    assert (len(clusters(warehouse)) == 1) is linked


@pytest.mark.parametrize(("threshold", "linked"), [(0.85, True), (0.95, False)])
def test_levenshtein_similarity_is_one_minus_edits_over_length(
    warehouse: Warehouse, threshold: float, linked: bool
) -> None:
    # One edit in ten characters: 0.9.
    write_sources(
        warehouse,
        {
            "crm": [{"id": "a", "last_name": "Smith", "email": "abcdefghij"}],
            "shop": [{"id": "1", "last_name": "Smith", "email": "abcdefghiX"}],
        },
        CONFIG,
    )
    condition = fuzzy("email", threshold, similarity="levenshtein")
    unify(warehouse, CONFIG, unify_config(match=[rule("r", exact("last_name"), condition)]))
    assert (len(clusters(warehouse)) == 1) is linked


def test_match_rules_link_across_sources_and_dedup_rules_within(warehouse: Warehouse) -> None:
    write_sources(
        warehouse,
        {
            "crm": [{"id": "a", "email": "x@x.com"}, {"id": "b", "email": "x@x.com"}],
            "shop": [
                {"id": "1", "email": "y@x.com"},
                {"id": "2", "email": "y@x.com"},
                {"id": "3", "email": "z@x.com"},
            ],
        },
        CONFIG,
    )
    unify(warehouse, CONFIG, unify_config(match=[rule("email", exact("email"))]))
    assert len(clusters(warehouse)) == 5, "same-source records are not matched by match rules"
    unify(warehouse, CONFIG, unify_config(dedup=[rule("email_within", exact("email"), only=["shop"])]))
    assert clusters(warehouse) == {
        frozenset({("crm", "a")}),
        frozenset({("crm", "b")}),
        frozenset({("shop", "1"), ("shop", "2")}),
        frozenset({("shop", "3")}),
    }


def test_exact_values_compare_after_normalisers(warehouse: Warehouse) -> None:
    config_sources = sources(crm=(10, ["last_name", "birth_date"]), shop=(20, ["last_name", "birth_date"]))
    write_sources(
        warehouse,
        {
            "crm": [{"id": "a", "last_name": "  Müller-Lüdenscheidt ", "birth_date": date(1980, 1, 2)}],
            "shop": [
                {"id": "1", "last_name": "mueller ludenscheidt", "birth_date": date(1980, 1, 2)},
                {"id": "2", "last_name": "MULLERLUDENSCHEIDT", "birth_date": date(1980, 1, 2)},
            ],
        },
        config_sources,
    )
    names = exact("last_name", "accents", "trim_case", "symbols", "whitespace")
    unify(warehouse, config_sources, unify_config(match=[rule("r", names, exact("birth_date"))]))
    assert frozenset({("crm", "a"), ("shop", "2")}) in clusters(warehouse)
    assert frozenset({("shop", "1")}) in clusters(warehouse), "ue is not u: normalisers do not transliterate"


def test_big_fuzzy_blocks_are_skipped_and_reported(warehouse: Warehouse) -> None:
    crowd = [{"id": str(i), "last_name": "Smith", "first_name": "Ann"} for i in range(6)]
    write_sources(
        warehouse, {"crm": [{"id": "a", "last_name": "Smith", "first_name": "Ann"}], "shop": crowd}, CONFIG
    )
    fuzzy_rule = rule("r", exact("last_name"), fuzzy("first_name", 0.9))
    report = unify(warehouse, CONFIG, unify_config(match=[fuzzy_rule], max_block_size=5))
    assert len(clusters(warehouse)) == 7
    assert (report.rules[0].skipped_blocks, report.rules[0].skipped_records) == (1, 7)
    report = unify(warehouse, CONFIG, unify_config(match=[rule("r", exact("last_name"))], max_block_size=5))
    assert len(clusters(warehouse)) == 1, "exact-only rules link any block size (one edge per record)"
    assert report.rules[0].linked_records == 7


def test_rule_sources_limit_what_a_rule_compares(warehouse: Warehouse) -> None:
    config_sources = sources(crm=(10, ["email"]), shop=(20, ["email"]), pos=(30, ["email"]))
    write_sources(
        warehouse,
        {
            "crm": [{"id": "a", "email": "x@x.com"}],
            "shop": [{"id": "1", "email": "x@x.com"}],
            "pos": [{"id": "p", "email": "x@x.com"}],
        },
        config_sources,
    )
    unify(warehouse, config_sources, unify_config(match=[rule("r", exact("email"), only=["crm", "pos"])]))
    assert clusters(warehouse) == {frozenset({("crm", "a"), ("pos", "p")}), frozenset({("shop", "1")})}


def test_missing_values_never_match(warehouse: Warehouse) -> None:
    write_sources(warehouse, {"crm": [{"id": "a"}], "shop": [{"id": "1", "email": ""}, {"id": "2"}]}, CONFIG)
    unify(warehouse, CONFIG, unify_config(match=[rule("r", exact("email", "trim_case"))]))
    assert len(clusters(warehouse)) == 3


def test_without_rules_every_record_is_its_own_customer(warehouse: Warehouse) -> None:
    write_sources(
        warehouse,
        {"crm": [{"id": "a", "email": "x@x.com"}], "shop": [{"id": "1", "email": "x@x.com"}]},
        CONFIG,
    )
    report = unify(warehouse, CONFIG, unify_config())
    assert clusters(warehouse) == {frozenset({("crm", "a")}), frozenset({("shop", "1")})}
    assert (report.profiles, report.records, report.rules) == (2, 2, [])
    assert set(matched_by(warehouse).values()) == {None}
