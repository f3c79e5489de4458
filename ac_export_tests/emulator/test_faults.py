"""Fault injection: 500s, 503s, 429s, dropped connections (before and after the work), slow answers."""

from __future__ import annotations

import contextlib
import time

import httpx
import pytest

from ac_export_tests.emulator.helpers import new_list
from ac_export_tests.support.emulator import EmulatorHandle, running_emulator

DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_errors(fast: EmulatorHandle, api: httpx.Client, kind: str) -> None:
    fast.configure(fault_rate=1, fault_kinds=[kind])
    assert api.get("/users/me").status_code == int(kind)
    stats = fast.stats()
    assert (stats["faults"], stats["faults_by_kind"]) == (1, {kind: 1})


def test_a_429_fault_carries_retry_after(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(fault_rate=1, fault_kinds=["429"])
    response = api.get("/users/me")
    assert response.status_code == 429
    assert (response.headers["Retry-After"], response.headers["RateLimit-Remaining"]) == ("1", "0")


def test_a_dropped_connection_raises_in_httpx_and_does_no_work(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    fast.configure(fault_rate=1, fault_kinds=["drop"])
    with pytest.raises(DROPPED):
        api.post("/import/bulk_import", json={"contacts": [{"email": "a@example.com"}]})
    fast.configure(fault_rate=0)
    stats = fast.stats()
    assert (stats["bulk_imports_queued"], stats["by_endpoint"]["POST /api/3/import/bulk_import"]) == (
        0,
        {"dropped": 1},
    )


def test_a_drop_after_the_work_loses_only_the_answer(fast: EmulatorHandle, api: httpx.Client) -> None:
    list_id = new_list(api, "News")
    fast.configure(fault_rate=1, fault_kinds=["drop_after"])
    with pytest.raises(DROPPED):
        api.post(
            "/import/bulk_import",
            json={"contacts": [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}]},
        )
    fast.configure(fault_rate=0)
    assert fast.stats()["bulk_imports_queued"] == 1
    assert fast.list_members(list_id) == {"a@example.com"}


def test_slow_answers_are_late_but_right(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(fault_rate=1, fault_kinds=["slow"], slow_delay=0.4)
    started = time.monotonic()
    assert api.get("/users/me").status_code == 200
    assert time.monotonic() - started >= 0.4
    fast.configure(time_scale=10, slow_delay=1.0)
    started = time.monotonic()
    assert api.get("/users/me").status_code == 200
    assert 0.1 <= time.monotonic() - started < 0.9


def test_latency_delays_every_request(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(latency=0.2)
    started = time.monotonic()
    api.get("/users/me")
    assert time.monotonic() - started >= 0.2


def test_faults_never_hit_test_endpoints(fast: EmulatorHandle) -> None:
    fast.configure(fault_rate=1)
    for _ in range(10):
        assert fast.stats()["faults"] == 0


def _statuses(fast: EmulatorHandle, api: httpx.Client, seed: int) -> list[int]:
    fast.configure(seed=seed, fault_rate=0.5, fault_kinds=["500", "503"])
    return [api.get("/users/me").status_code for _ in range(30)]


def test_a_seed_makes_faults_reproducible(fast: EmulatorHandle, api: httpx.Client) -> None:
    first, again, other = _statuses(fast, api, 42), _statuses(fast, api, 42), _statuses(fast, api, 43)
    assert first == again != other
    assert {200, 500, 503} == set(first)
    assert fast.stats()["faults"] == sum(status != 200 for status in first + again + other)


def test_fault_rate_flag_at_start() -> None:
    with running_emulator("--fault-rate", "1", "--fault-kinds", "503") as handle, handle.api() as api:
        assert api.get("/users/me").status_code == 503


def test_an_intermittent_403_has_the_usual_body_on_a_valid_key(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    fast.configure(fault_rate=1, fault_kinds=["403"])
    response = api.get("/users/me")
    assert response.status_code == 403
    assert response.json() == {"message": "You do not have permission to view this directory or page."}
    fast.configure(fault_rate=0)
    assert api.get("/users/me").status_code == 200


@pytest.mark.parametrize(("kind", "content_type"), [("empty", "application/json"), ("not_json", "text/html")])
def test_a_200_with_an_empty_or_non_json_body_does_no_work(
    fast: EmulatorHandle, api: httpx.Client, kind: str, content_type: str
) -> None:
    fast.configure(fault_rate=1, fault_kinds=[kind])
    response = api.post("/import/bulk_import", json={"contacts": [{"email": "a@example.com"}]})
    assert response.status_code == 200 and response.headers["content-type"].startswith(content_type)
    with pytest.raises(ValueError):
        response.json()
    assert fast.stats()["bulk_imports_queued"] == 0


def test_a_revoked_key_is_a_403_whatever_fault_is_drawn(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.revoke()
    fast.configure(
        fault_rate=1, fault_kinds=["500", "503", "429", "drop", "slow", "empty", "not_json"], slow_delay=0
    )
    assert {api.get("/users/me").status_code for _ in range(20)} == {403}


def test_every_fault_kind_is_drawn_by_default(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(fault_rate=1, seed=5, slow_delay=0)
    kinds = set(fast.stats()["knobs"]["fault_kinds"])
    assert {"403", "empty", "not_json"} <= kinds
    for _ in range(60):
        with contextlib.suppress(*DROPPED):
            api.get("/users/me")
    assert set(fast.stats()["faults_by_kind"]) == kinds
