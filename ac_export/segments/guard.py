"""The membership guard: a run that changes a segment too much is held, so no bad source empties a list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ac_export.segments.config import ResolvedGuard
from ac_export.segments.membership import MembershipChange


@dataclass(frozen=True)
class GuardVerdict:
    """Whether a segment's new membership may replace the last accepted one, and why."""

    passed: bool
    overridden: bool
    description: str


def evaluate_guard(segment: str, change: MembershipChange, guard: ResolvedGuard, today: date) -> GuardVerdict:
    """Pass when joiners plus leavers are at most `max_change_fraction` of the previous members.

    A segment without previous members passes (there is nothing a bad run could take away);
    `override_until` lets any change through on runs up to the end of that day (UTC).
    """
    fraction = change.change_fraction
    limit = f"limit {guard.max_change_fraction:.0%}"
    if fraction is None:
        return GuardVerdict(True, False, "No previous members to compare with; nothing to protect.")
    measured = (
        f"{change.joined} joined and {change.left} left of {change.previous_members} previous members "
        f"({fraction:.1%}, {limit})"
    )
    if fraction <= guard.max_change_fraction:
        return GuardVerdict(True, False, f"{measured}.")
    if guard.override_until is not None and today <= guard.override_until:
        return GuardVerdict(True, True, f"{measured}: over the limit, let through by override_until.")
    return GuardVerdict(
        False,
        False,
        f"{measured}: over the limit, so the last accepted membership is kept and the export is blocked. "
        f"If the change is expected, set `guard: {{override_until: {today.isoformat()}}}` on segment "
        f"{segment!r} in segments.yaml (or raise max_change_fraction) and run it again.",
    )
