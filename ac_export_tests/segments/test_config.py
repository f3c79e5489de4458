"""Loading measures.yaml and segments.yaml: shapes, catalogue checks, references and cycles."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ac_export.config.loading import ConfigError
from ac_export.profiles.sources_config import load_sources_config
from ac_export.segments.config import SegmentsConfig, load_segments_config
from ac_export_tests.segments.fixtures import MEASURES_YAML, rule, segment, write_config


def load(config_dir: Path, today: date | None = None) -> SegmentsConfig:
    return load_segments_config(config_dir, load_sources_config(config_dir), today=today)


def load_error(tmp_path: Path, segments: dict[str, Any], **options: Any) -> str:
    write_config(tmp_path, segments, **options)
    with pytest.raises(ConfigError) as caught:
        load(tmp_path)
    return str(caught.value)


def test_valid_config_exposes_attribute_and_measure_types(tmp_path: Path) -> None:
    write_config(tmp_path, {"ca": segment([rule("state", "equals", "California")])})
    config = load(tmp_path)
    types = config.attribute_types()
    assert types["state"] == "string"
    assert types["sources"] == "list"
    assert types["income"] == "float"
    assert types["total_spend"] == "float"
    assert types["order_count"] == "integer"
    assert types["last_purchase"] == "date"
    assert types["average_rating"] == "float"
    assert types["best_rating"] == "integer"
    assert list(config.segments) == ["ca"]
    assert config.as_of == date(2019, 6, 30)


def test_operator_symbols_are_read_as_names(tmp_path: Path) -> None:
    write_config(tmp_path, {"rich": segment([rule("income", ">=", 100000), rule("income", "!=", 5)])})
    rules = load(tmp_path).segments["rich"].rules
    assert rules is not None and rules.all is not None
    assert [condition.operator for condition in rules.all] == ["at_least", "not_equals"]


def test_as_of_defaults_to_today(tmp_path: Path) -> None:
    write_config(tmp_path, {"ca": segment([rule("state", "equals", "CA")])}, as_of="today")
    assert load(tmp_path, today=date(2024, 2, 29)).as_of == date(2024, 2, 29)


def test_unknown_attribute_names_file_segment_rule_and_suggestion(tmp_path: Path) -> None:
    message = load_error(
        tmp_path, {"ca": segment({"all": [rule("state", "equals", "CA"), rule("stat", "equals", "CA")]})}
    )
    assert "segments.yaml" in message
    assert "segment 'ca', rule rules.all[1] (stat equals 'CA')" in message
    assert "unknown attribute or measure 'stat'; did you mean 'state'?" in message


def test_hostile_attribute_name_is_rejected_before_any_sql(tmp_path: Path) -> None:
    message = load_error(tmp_path, {"x": segment([rule('state" = state; DROP TABLE p; --', "equals", "a")])})
    assert "unknown attribute or measure 'state\" = state; DROP TABLE p; --'" in message


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (rule("income", "contains", "1"), "operator 'contains' does not apply to a float attribute"),
        (rule("state", "greater_than", "A"), "operator 'greater_than' does not apply to a string attribute"),
        (rule("birth_date", "starts_with", "19"), "does not apply to a date attribute"),
        (rule("sources", "equals", "crm"), "does not apply to a list attribute"),
        (rule("state", "in_last_days", 3), "does not apply to a string attribute"),
        (rule("email_subscriber", "equals", True), "True is not text; put the value in quotes"),
        (rule("postcode", "equals", 94105), "94105 is not text"),
        (rule("income", "at_least", "lots"), "'lots' is not a number"),
        (rule("birth_date", "at_least", "last year"), "'last year' is not a date; write it as YYYY-MM-DD"),
        (rule("state", "in", "California"), "operator 'in' needs a non-empty list"),
        (rule("state", "in", []), "operator 'in' needs a non-empty list"),
        (rule("income", "between", [10]), "needs a list of two values [low, high]"),
        (rule("income", "between", [10, 5]), "'between' needs low <= high"),
        (rule("created_at", "in_last_days", 0), "needs a whole number of days of at least 1"),
        (rule("email", "is_empty", "x"), "operator 'is_empty' takes no value"),
        (rule("income", "equals", 5, ignore_case=True), "ignore_case applies only to text comparisons"),
        (rule("sources", "contains", "shop"), "'shop' is not a known value of 'sources'"),
        (rule("total_spend", "contains", 1), "does not apply to a float attribute"),
    ],
)
def test_wrong_operator_or_value_names_the_rule(
    tmp_path: Path, condition: dict[str, object], expected: str
) -> None:
    message = load_error(tmp_path, {"seg": segment([condition])})
    assert "segment 'seg', rule rules.all[0]" in message
    assert expected in message


def test_unknown_operator_is_a_shape_error_with_the_field(tmp_path: Path) -> None:
    message = load_error(tmp_path, {"seg": segment([rule("state", "like", "C%")])})
    assert "segments.seg.rules.all[0]" in message
    assert "unknown operator 'like'" in message


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        {
            "a": segment([rule("nope", "equals", "x")]),
            "b": segment([rule("income", "equals", "x")]),
        },
    )
    assert "2 problem(s)" in message
    assert "segment 'a'" in message and "segment 'b'" in message


@pytest.mark.parametrize("name", ["Loyal", "a,b", "vip-members", "spaced name"])
def test_segment_names_must_be_partition_safe(tmp_path: Path, name: str) -> None:
    message = load_error(tmp_path, {name: segment([rule("state", "equals", "CA")])})
    assert "must match ^[a-z0-9_]+$" in message


def test_segment_needs_something_to_select(tmp_path: Path) -> None:
    message = load_error(
        tmp_path, {"a": segment([rule("state", "equals", "CA")]), "b": segment(**{"except": ["a"]})}
    )
    assert "needs 'rules', 'union' or 'intersect'" in message


def test_unknown_segment_in_set_operation(tmp_path: Path) -> None:
    message = load_error(
        tmp_path, {"a": segment([rule("state", "equals", "CA")]), "b": segment(union=["a", "ax"])}
    )
    assert "segment 'b', union[1]: unknown segment 'ax'; did you mean 'a'?" in message


def test_cycle_is_rejected_with_its_path(tmp_path: Path) -> None:
    message = load_error(
        tmp_path,
        {
            "a": segment([rule("state", "equals", "CA")], intersect=["b"]),
            "b": segment(union=["c"]),
            "c": segment([rule("state", "equals", "TX")], **{"except": ["a"]}),
        },
    )
    assert "form a cycle a → b → c → a" in message


def test_self_reference_is_a_cycle(tmp_path: Path) -> None:
    message = load_error(tmp_path, {"a": segment([rule("state", "equals", "CA")], union=["a"])})
    assert "form a cycle a → a" in message


def test_guard_settings_fall_back_to_defaults(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        {
            "a": segment([rule("state", "equals", "CA")]),
            "b": segment(
                [rule("state", "equals", "TX")],
                guard={"max_change_fraction": 0.9, "override_until": date(2030, 1, 1)},
            ),
        },
        guard={"max_change_fraction": 0.2},
    )
    config = load(tmp_path)
    assert config.guard_for("a").max_change_fraction == 0.2
    assert config.guard_for("a").override_until is None
    assert config.guard_for("b").max_change_fraction == 0.9
    assert config.guard_for("b").override_until == date(2030, 1, 1)


def _measures_error(tmp_path: Path, name: str, measure: dict[str, Any]) -> str:
    measures = copy.deepcopy(MEASURES_YAML)
    measures["measures"][name] = measure
    message = load_error(tmp_path, {"a": segment([rule("state", "equals", "CA")])}, measures=measures)
    assert "measures.yaml" in message
    return message


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        (
            {"aggregation": "sum", "activity": "ordres", "column": "total_price"},
            "activity[0]: unknown activity source 'ordres'; did you mean 'orders'?",
        ),
        (
            {"aggregation": "sum", "activity": "orders", "column": "price"},
            "column: unknown column 'price' in 'orders'",
        ),
        (
            {"aggregation": "sum", "activity": "reviews", "column": "review_text"},
            "column 'review_text': sum needs a number column",
        ),
        (
            {
                "aggregation": "sum",
                "activity": "orders",
                "column": "total_price",
                "date_column": "total_price",
                "window": {"last_days": 7},
            },
            "date_column: 'total_price' of 'orders' is float, not a date",
        ),
        (
            {"aggregation": "count", "activity": ["orders", "reviews"], "date_column": "purchased_on"},
            "date_column: unknown column 'purchased_on' in 'reviews'",
        ),
        (
            {
                "aggregation": "count",
                "activity": "orders",
                "filter": [rule("total_price", "starts_with", "1")],
            },
            "filter.all[0] on 'orders' (total_price starts_with '1'): operator 'starts_with' does not apply",
        ),
        ({"aggregation": "min", "activity": "orders", "column": "total_price"}, None),
    ],
)
def test_measure_problems_name_the_measure(
    tmp_path: Path, measure: dict[str, Any], expected: str | None
) -> None:
    measure = {"description": "m", **measure}
    if expected is None:
        write_config(
            tmp_path,
            {"a": segment([rule("cheapest", "at_most", 5)])},
            measures={"measures": {"cheapest": measure}},
        )
        assert load(tmp_path).measure_types == {"cheapest": "float"}
        return
    message = _measures_error(tmp_path, "broken", measure)
    assert f"measure 'broken', {expected}" in message


@pytest.mark.parametrize(
    ("measure", "expected"),
    [
        ({"aggregation": "sum", "activity": "orders"}, "aggregation 'sum' needs 'column'"),
        ({"aggregation": "last", "activity": "orders", "column": "total_price"}, "need 'date_column'"),
        (
            {"aggregation": "count", "activity": "orders", "date_column": "purchased_on", "window": {}},
            "a window needs last_days, since or until",
        ),
        ({"aggregation": "median", "activity": "orders", "column": "total_price"}, "aggregation"),
    ],
)
def test_measure_shape_errors(tmp_path: Path, measure: dict[str, Any], expected: str) -> None:
    message = _measures_error(tmp_path, "broken", {"description": "m", **measure})
    assert "measures.broken" in message
    assert expected in message


def test_measure_cannot_shadow_a_profile_attribute(tmp_path: Path) -> None:
    message = _measures_error(
        tmp_path, "reward_points", {"description": "m", "aggregation": "count", "activity": "orders"}
    )
    assert "measure 'reward_points': a profile attribute has this name; rename the measure" in message


def test_measures_file_is_optional(tmp_path: Path) -> None:
    write_config(tmp_path, {"a": segment([rule("state", "equals", "CA")])})
    (tmp_path / "measures.yaml").unlink()
    assert load(tmp_path).measure_types == {}


def test_rule_on_unknown_measure_after_measures_file_removed(tmp_path: Path) -> None:
    write_config(tmp_path, {"a": segment([rule("total_spend", "at_least", 5)])})
    (tmp_path / "measures.yaml").unlink()
    with pytest.raises(ConfigError, match="unknown attribute or measure 'total_spend'"):
        load(tmp_path)
