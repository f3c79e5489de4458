"""The membership guard's verdicts: thresholds, first runs and the dated override."""

from __future__ import annotations

from datetime import date

import pytest

from ac_export.segments.config import ResolvedGuard
from ac_export.segments.guard import evaluate_guard
from ac_export.segments.membership import MembershipChange

TODAY = date(2024, 5, 1)
HALF = ResolvedGuard(max_change_fraction=0.5, override_until=None)


@pytest.mark.parametrize(
    ("change", "passed"),
    [
        (MembershipChange(previous_members=None, members=500, joined=500, left=0), True),
        (MembershipChange(previous_members=0, members=500, joined=500, left=0), True),
        (MembershipChange(previous_members=10, members=11, joined=3, left=2), True),
        (MembershipChange(previous_members=10, members=4, joined=0, left=6), False),
        (MembershipChange(previous_members=10, members=0, joined=0, left=10), False),
        (MembershipChange(previous_members=10, members=16, joined=6, left=0), False),
    ],
)
def test_threshold(change: MembershipChange, passed: bool) -> None:
    verdict = evaluate_guard("vip", change, HALF, TODAY)
    assert verdict.passed is passed
    assert verdict.overridden is False


def test_failure_explains_the_change_and_the_override() -> None:
    verdict = evaluate_guard("vip", MembershipChange(200, 0, 0, 200), HALF, TODAY)
    assert "0 joined and 200 left of 200 previous members (100.0%, limit 50%)" in verdict.description
    assert "override_until: 2024-05-01" in verdict.description
    assert "'vip'" in verdict.description


@pytest.mark.parametrize(
    ("until", "passed"), [(date(2024, 5, 1), True), (date(2024, 6, 1), True), (date(2024, 4, 30), False)]
)
def test_override_until_lets_a_change_through_up_to_that_day(until: date, passed: bool) -> None:
    guard = ResolvedGuard(max_change_fraction=0.5, override_until=until)
    verdict = evaluate_guard("vip", MembershipChange(10, 0, 0, 10), guard, TODAY)
    assert verdict.passed is passed
    assert verdict.overridden is passed
