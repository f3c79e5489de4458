"""Each operator, group and set operation against answers worked out by hand from fixtures.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from ac_export.segments.sql import Parameters, quote_identifier
from ac_export_tests.segments.fixtures import HOSTILE_NAME, rule, segment

Members = Callable[..., list[str]]

# (condition, members) — profiles: c1 Ann CA 120k, c2 Bob TX 45k, c3 Cleo (no state/email), c4 O'Brien CA 80k,
# c5 Eve OR 60k (blank email), c6 Dan "california" 200k; as_of 2019-06-30.
OPERATOR_CASES = [
    (rule("state", "equals", "California"), ["c1", "c4"]),
    (rule("state", "equals", "california", ignore_case=True), ["c1", "c4", "c6"]),
    (rule("state", "not_equals", "California"), ["c2", "c3", "c5", "c6"]),
    (rule("state", "in", ["Texas", "Oregon"]), ["c2", "c5"]),
    (rule("state", "not_in", ["California", "Texas"]), ["c3", "c5", "c6"]),
    (rule("state", "in", ["CALIFORNIA"], ignore_case=True), ["c1", "c4", "c6"]),
    (rule("email", "contains", "@example.com"), ["c1", "c2", "c4"]),
    (rule("email", "not_contains", "@example.com"), ["c3", "c5", "c6"]),
    (rule("first_name", "starts_with", "O'Brien"), ["c4"]),
    (rule("first_name", "starts_with", "a", ignore_case=True), ["c1"]),
    (rule("email", "ends_with", ".org"), ["c6"]),
    (rule("email", "is_empty"), ["c3", "c5"]),
    (rule("email", "is_not_empty"), ["c1", "c2", "c4", "c6"]),
    (rule("reward_points", "is_empty"), ["c2", "c4", "c6"]),
    (rule("income", "less_than", 60000), ["c2"]),
    (rule("income", "at_most", 60000), ["c2", "c5"]),
    (rule("income", "greater_than", 120000), ["c6"]),
    (rule("income", "at_least", 120000), ["c1", "c6"]),
    (rule("income", ">=", 120000), ["c1", "c6"]),
    (rule("income", "<", 60000.5), ["c2", "c5"]),
    (rule("income", "between", [60000, 120000]), ["c1", "c4", "c5"]),
    (rule("income", "in", [45000, 80000]), ["c2", "c4"]),
    (rule("reward_points", "equals", 1000), ["c5"]),
    (rule("birth_date", "less_than", date(1970, 1, 1)), ["c6"]),
    (rule("birth_date", "between", [date(1975, 1, 15), date(1980, 5, 1)]), ["c1", "c2"]),
    (rule("birth_date", "equals", "2000-02-29"), ["c5"]),
    (rule("created_at", "at_least", date(2019, 6, 20)), ["c1", "c4"]),
    (rule("created_at", "in_last_days", 30), ["c1", "c4"]),
    (rule("created_at", "in_last_days", 3), ["c4"]),
    (rule("created_at", "not_in_last_days", 30), ["c2", "c3", "c5", "c6"]),
    (rule("sources", "contains", "loyalty"), ["c1", "c3", "c5"]),
    (rule("sources", "not_contains", "loyalty"), ["c2", "c4", "c6"]),
    (rule("sources", "is_empty"), []),
    (rule("online_spend", "at_least", 5000), ["c1", "c4"]),
    (rule("total_spend", "equals", 0), ["c6"]),
    (rule("order_count", "greater_than", 1), ["c1", "c5"]),
    (rule("last_purchase", "in_last_days", 7), ["c1", "c4", "c5"]),
    (rule("last_purchase", "not_in_last_days", 30), ["c2", "c3", "c6"]),
    (rule("last_purchase", "is_empty"), ["c6"]),
    (rule("average_rating", "at_most", 2), ["c2"]),
    (rule("spend_last_30_days", "at_least", 100), ["c1", "c4", "c5"]),
    (rule("big_orders", "equals", 2), ["c1"]),
]


@pytest.mark.parametrize(("condition", "expected"), OPERATOR_CASES)
def test_operator(members_of: Members, condition: dict[str, object], expected: list[str]) -> None:
    assert members_of({"s": segment([condition])}, "s") == expected


@pytest.mark.parametrize(
    ("positive", "negative"),
    [
        (rule("state", "equals", "California"), rule("state", "not_equals", "California")),
        (rule("state", "in", ["Texas"]), rule("state", "not_in", ["Texas"])),
        (rule("email", "contains", "example"), rule("email", "not_contains", "example")),
        (rule("created_at", "in_last_days", 400), rule("created_at", "not_in_last_days", 400)),
    ],
)
def test_negation_is_the_exact_complement(
    members_of: Members, positive: dict[str, object], negative: dict[str, object]
) -> None:
    matched = members_of({"s": segment([positive])}, "s")
    unmatched = members_of({"s": segment([negative])}, "s")
    assert sorted(matched + unmatched) == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert not set(matched) & set(unmatched)


def test_nested_and_or_groups(members_of: Members) -> None:
    rules = {
        "all": [
            {"any": [rule("state", "equals", "California"), rule("state", "equals", "Oregon")]},
            {"any": [rule("income", "greater_than", 100000), rule("reward_points", "at_least", 1000)]},
        ]
    }
    # c1 (CA, 120k) and c5 (OR, 1000 points); c4 is in California but neither rich nor rewarded.
    assert members_of({"s": segment(rules)}, "s") == ["c1", "c5"]


def test_a_list_of_rules_means_all(members_of: Members) -> None:
    rules = [rule("state", "equals", "California"), rule("income", "less_than", 100000)]
    assert members_of({"s": segment(rules)}, "s") == ["c4"]


def test_any_group_at_top_level(members_of: Members) -> None:
    rules = {"any": [rule("state", "equals", "Texas"), rule("email", "ends_with", ".org")]}
    assert members_of({"s": segment(rules)}, "s") == ["c2", "c6"]


SETS = {
    "california": segment([rule("state", "equals", "California")]),  # c1 c4
    "loyal": segment([rule("sources", "contains", "loyalty")]),  # c1 c3 c5
    "rich": segment([rule("income", "at_least", 100000)]),  # c1 c6
    "reachable": segment([rule("email", "is_not_empty")]),  # c1 c2 c4 c6
}


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (segment(union=["california", "loyal"]), ["c1", "c3", "c4", "c5"]),
        (segment(intersect=["california", "loyal"]), ["c1"]),
        (segment([rule("income", "at_least", 100000)], union=["california"]), ["c1", "c4", "c6"]),
        (segment([rule("sources", "contains", "loyalty")], **{"except": ["california"]}), ["c3", "c5"]),
        # (loyal ∪ california) ∩ reachable − rich = {c1, c3, c4, c5} ∩ {c1, c2, c4, c6} − {c1, c6}
        (segment(union=["loyal", "california"], intersect=["reachable"], **{"except": ["rich"]}), ["c4"]),
        (segment(union=["chained"]), ["c3", "c5"]),
    ],
)
def test_set_operations(members_of: Members, definition: dict[str, object], expected: list[str]) -> None:
    chained = segment(union=["loyal"], **{"except": ["california"]})
    assert members_of({**SETS, "chained": chained, "combined": definition}, "combined") == expected


def test_set_operations_keep_yaml_order_not_sql_precedence(members_of: Members) -> None:
    # SQL would read "A UNION B INTERSECT C" as A ∪ (B ∩ C) = {c1, c3, c4, c5}; the YAML means (A ∪ B) ∩ C.
    definition = segment(union=["california", "loyal"], intersect=["rich"])
    assert members_of({**SETS, "combined": definition}, "combined") == ["c1"]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (rule("first_name", "equals", HOSTILE_NAME), ["c4"]),
        (rule("first_name", "equals", "x' OR '1'='1"), []),
        (rule("first_name", "in", ["Ann", "'); DROP TABLE p; --"]), ["c1"]),
        (rule("email", "contains", "%"), []),
        (rule("email", "contains", "_"), []),
        (rule("email", "starts_with", "o'brien"), ["c4"]),
        (rule("state", "equals", 'California"; SELECT 1; /*'), []),
    ],
)
def test_hostile_values_stay_data(
    members_of: Members, condition: dict[str, object], expected: list[str]
) -> None:
    assert members_of({"s": segment([condition])}, "s") == expected


def test_quote_identifier_accepts_only_catalogued_names() -> None:
    assert quote_identifier("state", {"state"}) == '"state"'
    with pytest.raises(ValueError, match="not in the validated catalogue"):
        quote_identifier("state", {"email"})
    with pytest.raises(ValueError, match="not in the validated catalogue"):
        quote_identifier('a"; DROP TABLE p; --', {'a"; DROP TABLE p; --'})


def test_parameters_are_numbered_placeholders() -> None:
    params = Parameters()
    assert [params.bind("a"), params.bind(2)] == ["$p1", "$p2"]
    assert params.values == {"p1": "a", "p2": 2}
