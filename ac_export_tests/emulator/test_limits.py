"""Rate limits as ActiveCampaign enforces them: 5/s per account (429), bulk 100/min and 20/min (400)."""

from __future__ import annotations

import time

import httpx

from ac_export_tests.emulator.helpers import bulk, call, contact_by_email
from ac_export_tests.support.emulator import EmulatorHandle

BULK_MANY = (
    "Up to 100 imports may be requested per minute.Please batch contacts into larger requests, "
    "or retry this request in a minute."
)


def test_sixth_request_in_a_second_gets_429_with_its_headers(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(rate_limit=True)
    responses = [
        api.get(path) for path in ("/users/me", "/lists", "/contacts", "/fields", "/tags", "/users/me")
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200, 429]
    assert [r.headers["RateLimit-Remaining"] for r in responses[:5]] == ["4", "3", "2", "1", "0"]
    throttled = responses[5].headers
    assert (throttled["Retry-After"], throttled["RateLimit-Limit"], throttled["RateLimit-Remaining"]) == (
        "1",
        "5",
        "0",
    )
    time.sleep(float(throttled["Retry-After"]))
    assert api.get("/users/me").status_code == 200


def test_a_throttled_request_does_nothing(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(rate_limit=True)
    for _ in range(5):
        api.get("/users/me")
    assert api.post("/contacts", json={"contact": {"email": "a@example.com"}}).status_code == 429
    assert api.post("/import/bulk_import", json={"contacts": [{"email": "b@example.com"}]}).status_code == 429
    assert contact_by_email(api, "a@example.com") is None
    stats = fast.stats()
    assert stats["by_endpoint"]["POST /api/3/contacts"] == {"429": 1}
    assert (stats["bulk_imports_queued"], stats["bulk_import_requests"]) == (0, 1)


def test_time_scale_shrinks_the_window_and_retry_after_is_a_decimal(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    fast.configure(rate_limit=True, time_scale=2)
    responses = [api.get("/users/me") for _ in range(6)]
    retry_after = responses[-1].headers["Retry-After"]
    assert responses[-1].status_code == 429
    assert 0 < float(retry_after) <= 0.5 and "." in retry_after
    time.sleep(float(retry_after))
    assert api.get("/users/me").status_code == 200


def test_bulk_import_allows_100_requests_a_minute_then_400(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(rate_limit=True, time_scale=10)
    pair = [{"email": "a@example.com"}, {"email": "b@example.com"}]
    started = time.monotonic()
    statuses = [bulk(api, pair).status_code for _ in range(100)]
    refused = bulk(api, pair)
    assert time.monotonic() - started < 6.0, "the machine was too slow to fill the 6 s window"
    assert statuses == [200] * 100
    assert refused.status_code == 400
    assert refused.json() == {"success": 0, "message": "Rate limit exceeded.", "failureReasons": [BULK_MANY]}
    stats = fast.stats()
    assert stats["bulk_imports_queued"] == 100
    assert stats["by_endpoint"]["POST /api/3/import/bulk_import"]["400"] == 1


def test_single_contact_imports_have_their_own_20_a_minute(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(rate_limit=True, time_scale=30)
    started = time.monotonic()
    statuses = [bulk(api, [{"email": f"p{i}@example.com"}]).status_code for i in range(20)]
    refused = bulk(api, [{"email": "late@example.com"}])
    assert time.monotonic() - started < 2.0, "the machine was too slow to fill the 2 s window"
    assert statuses == [200] * 20
    assert refused.status_code == 400
    assert refused.json()["failureReasons"][0].startswith("Up to 20 single-contact imports")
    assert bulk(api, [{"email": "x@example.com"}, {"email": "y@example.com"}]).status_code == 200
    time.sleep(2.0)
    assert bulk(api, [{"email": "late@example.com"}]).status_code == 200


def test_throttled_counts_429s_and_bulk_400s(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(rate_limit=True, time_scale=30)
    for i in range(21):
        bulk(api, [{"email": f"p{i}@example.com"}])
    stats = fast.stats()
    rate_400s = stats["by_endpoint"]["POST /api/3/import/bulk_import"].get("400", 0)
    assert stats["throttled"] == stats["by_status"].get("429", 0) + rate_400s
    assert stats["throttled"] >= 1


def test_no_rate_limit_lets_bursts_through(api: httpx.Client) -> None:
    assert {api.get("/users/me").status_code for _ in range(30)} == {200}
    assert "RateLimit-Limit" not in api.get("/users/me").headers


def test_polite_client_gets_everything_done(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(rate_limit=True, time_scale=20)
    for i in range(12):
        assert (
            call(api, "POST", "/contacts", json={"contact": {"email": f"p{i}@example.com"}}).status_code
            == 201
        )
    assert fast.stats()["contacts"] == 12
