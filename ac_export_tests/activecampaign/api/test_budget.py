"""The phase budget: trouble past its seconds and past half the phase's time stops the phase."""

from __future__ import annotations

import time

import pytest

from ac_export.activecampaign.api.budget import Budget, PhaseClock, RequestClock
from ac_export.activecampaign.api.errors import ActiveCampaignUnavailable


def test_trouble_over_the_budget_and_half_the_phase_stops_it_with_the_reason() -> None:
    clock = PhaseClock(Budget(phase_s=5.0))
    clock.begin("the preflight and reads")
    clock.charge(4.0, "an HTML page instead of JSON on GET /contacts")  # under the budget: goes on

    with pytest.raises(ActiveCampaignUnavailable) as caught:
        clock.charge(2.0, "an HTML page instead of JSON on GET /contacts")

    message = str(caught.value)
    assert "6 s of the 0 s that the preflight and reads has run" in message
    assert "2 × an HTML page instead of JSON on GET /contacts" in message and "\n" not in message


def test_rare_trouble_in_a_long_phase_never_stops_it() -> None:
    clock = PhaseClock(Budget(phase_s=5.0))
    clock.started = time.monotonic() - 3600  # an hour-long reconcile of a big list
    for _ in range(100):
        clock.charge(1.0, "HTTP 429 (rate limited) on GET /contacts")  # 100 s of 429s in an hour
    assert clock.trouble_s == 100.0


def test_a_new_phase_counts_afresh() -> None:
    clock = PhaseClock(Budget(phase_s=5.0))
    clock.charge(4.5, "a timeout on GET /users/me")
    clock.begin("the upload")
    clock.charge(4.5, "a timeout on POST /import/bulk_import")
    assert clock.trouble_s == 4.5


def test_a_request_clock_names_what_its_attempts_met() -> None:
    clock = RequestClock("GET /lists", 20.0)
    for problem in ("a connection cut mid-answer", "HTTP 503", "a connection cut mid-answer"):
        clock.note(problem)
    message = str(clock.out_of_time())
    assert message.startswith("ActiveCampaign did not answer GET /lists usefully within 20 s")
    assert "(2 × a connection cut mid-answer, 1 × HTTP 503)" in message
