"""The demo's measures.yaml and segments.yaml load against the demo's sources.yaml and cover the language."""

from __future__ import annotations

from ac_export import settings
from ac_export.segments.config import SegmentsConfig, iter_conditions
from ac_export.segments.loading import load_project_segments
from ac_export.segments.operators import OPERATORS

DEMO_CONFIG = settings.PROJECT_ROOT / "data" / "config"


def demo() -> SegmentsConfig:
    return load_project_segments(DEMO_CONFIG)


def test_required_segments_exist() -> None:
    assert {"loyalty_members", "california_email_subscribers", "high_value_online_buyers"} <= set(
        demo().segments
    )


def test_required_measures_exist() -> None:
    measures = demo().measures
    assert {"online_spend", "store_spend", "total_spend", "order_count", "last_purchase_date"} <= set(
        measures
    )
    assert {"average_review_rating", "reward_points_earned"} <= set(measures)


def test_demo_uses_every_operator_group_and_set_operation() -> None:
    config = demo()
    used: set[str] = set()
    groups: set[str] = set()
    for definition in config.segments.values():
        if definition.rules is None:
            continue
        for _, condition in iter_conditions(definition.rules, "rules"):
            used.add(condition.subject()[1])
        if (group := definition.rules.group()) is not None and any(child.group() for child in group[1]):
            groups.add("nested")
    families = set(OPERATORS) - {"ends_with", "not_contains"}
    assert families <= used, f"unused operators: {sorted(families - used)}"
    assert "nested" in groups
    assert any(d.union for d in config.segments.values())
    assert any(d.intersect for d in config.segments.values())
    assert any(d.except_ for d in config.segments.values())


def test_demo_has_a_windowed_measure_and_a_fixed_as_of() -> None:
    config = demo()
    assert any(measure.window is not None for measure in config.measures.values())
    assert config.as_of.year == 2019
