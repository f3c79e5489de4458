"""The pacer with its windows in PostgreSQL: pacers on separate connections (as on two hosts) share them."""

from __future__ import annotations

import threading

from ac_export.activecampaign.api.limits import Limits, RequestKind
from ac_export.state.postgres.pacer import PostgresPacer

SCALE = 10.0  # 5 requests per 0.1 s instead of per second
PER_PACER = 40


def _burst(pacer: PostgresPacer, stamps: list[float]) -> None:
    for _ in range(PER_PACER):
        stamps.append(pacer.acquire(RequestKind.GENERAL))


def test_two_pacers_on_separate_connections_never_overrun_the_window_together(postgres_dsn: str) -> None:
    limits = Limits(time_scale=SCALE)
    allowed, length = limits.windows()["general"]
    pacers = [PostgresPacer("acme.api-us1.com", limits, postgres_dsn) for _ in range(2)]
    stamps: list[list[float]] = [[], []]
    threads = [threading.Thread(target=_burst, args=(p, s)) for p, s in zip(pacers, stamps, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    together = sorted(stamps[0] + stamps[1])
    assert len(together) == 2 * PER_PACER
    # In any window's length, at most `allowed` reservations (stamps are the server's clock).
    spans = [later - earlier for earlier, later in zip(together, together[allowed:], strict=False)]
    assert min(spans) >= length
    # Both got their share as they went, not one after the other.
    assert min(stamps[1]) < max(stamps[0]) and min(stamps[0]) < max(stamps[1])


def test_a_wait_imposed_on_one_host_holds_back_the_other(postgres_dsn: str) -> None:
    limits = Limits(time_scale=SCALE)
    first, second = (PostgresPacer("acme.api-us1.com", limits, postgres_dsn) for _ in range(2))

    first.block(0.5)

    assert 0.3 < second.ready_in(RequestKind.GENERAL) <= 0.5
    assert PostgresPacer("other.api-us1.com", limits, postgres_dsn).ready_in(RequestKind.GENERAL) == 0.0


def test_a_full_bulk_window_on_one_host_is_full_for_the_other(postgres_dsn: str) -> None:
    limits = Limits(time_scale=SCALE)
    first, second = (PostgresPacer("acme.api-us1.com", limits, postgres_dsn) for _ in range(2))
    stamp = first.acquire(RequestKind.BULK_MULTI)
    first.settle(RequestKind.BULK_MULTI, stamp)

    first.block(2.0, RequestKind.BULK_MULTI)

    assert second.ready_in(RequestKind.BULK_MULTI) > 1.5
    assert second.ready_in(RequestKind.GENERAL) == 0.0
