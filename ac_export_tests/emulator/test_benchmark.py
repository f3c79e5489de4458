"""The throughput benchmark runs end to end (its figure is recorded in the emulator README)."""

from __future__ import annotations

import orjson

from ac_export.emulator.benchmark import payloads, run_once


def test_payloads_are_valid_bulk_requests_within_limits() -> None:
    bodies = payloads(600)
    sizes = [len(orjson.loads(body)["contacts"]) for body in bodies]
    assert sizes == [250, 250, 100]
    assert max(len(body) for body in bodies) <= 399_999


def test_a_small_run_confirms_every_contact() -> None:
    result = run_once(2_000, concurrency=2)
    assert (result["contacts"], result["requests"]) == (2_000, 8)
    assert result["contacts_per_s"] > 0
