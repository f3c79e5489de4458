"""The `/_emulator/` test endpoints: stats, reset, knobs, opt-outs, exclusions, bounces, batches."""

from __future__ import annotations

import httpx
import pytest

from ac_export_tests.emulator.helpers import bulk, imported, new_list
from ac_export_tests.support.emulator import EmulatorHandle


def test_stats_count_requests_by_endpoint_and_status(fast: EmulatorHandle, api: httpx.Client) -> None:
    imported(api, [{"email": "a@example.com"}, {"email": "b@example.com"}])
    bulk(api, [{"email": "bad"}])
    api.get("/lists/9")
    stats = fast.stats()
    assert stats["by_endpoint"]["POST /api/3/import/bulk_import"] == {"200": 1, "400": 1}
    assert stats["by_endpoint"]["GET /api/3/lists/{id}"] == {"404": 1}
    assert stats["bulk_import_requests"] == 2 and stats["bulk_imports_queued"] == 1
    assert (stats["contacts"], stats["contacts_queued"], stats["throttled"], stats["faults"]) == (2, 2, 0, 0)
    assert stats["requests"] == sum(sum(counts.values()) for counts in stats["by_endpoint"].values())
    assert stats["requests"] == sum(stats["by_status"].values())
    assert stats["batches"] == {"pending": 0, "completed": 1}


def test_reset_returns_to_a_new_account_with_start_up_knobs(fast: EmulatorHandle, api: httpx.Client) -> None:
    new_list(api, "Old")
    imported(api, [{"email": "a@example.com"}])
    fast.configure(processing_delay=5, fault_rate=0.5)
    fast.reset()
    stats = fast.stats()
    assert (stats["contacts"], stats["lists"], stats["requests"]) == (0, 0, 0)
    assert (stats["knobs"]["processing_delay"], stats["knobs"]["fault_rate"]) == (0.0, 0.0)
    assert new_list(api, "New") == 1


def test_config_validates_knobs_all_or_nothing(fast: EmulatorHandle) -> None:
    control = httpx.Client(base_url=f"{fast.base_url}/_emulator")
    unknown = control.post("/config", json={"fault_rate": 0.5, "colour": "red"})
    assert unknown.status_code == 400 and "colour" in unknown.json()["message"]
    bad = control.post("/config", json={"time_scale": -1})
    assert bad.status_code == 400 and "time_scale" in bad.json()["message"]
    assert control.get("/config").json()["fault_rate"] == 0.0
    assert fast.configure(contact_limit=10, rate_limit=True)["contact_limit"] == 10
    assert control.post("/config", json={"rate_limit": "yes"}).status_code == 400


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("optout", {"email": "nobody@example.com", "list": 1}),
        ("optout", {"email": "a@example.com", "list": 9}),
    ],
)
def test_optout_needs_a_known_contact_and_list(
    fast: EmulatorHandle, api: httpx.Client, path: str, body: dict[str, object]
) -> None:
    new_list(api, "News")
    imported(api, [{"email": "a@example.com"}])
    response = httpx.post(f"{fast.base_url}/_emulator/{path}", json=body)
    assert response.status_code == 404


def test_optout_unsubscribes_the_contact_itself(fast: EmulatorHandle, api: httpx.Client) -> None:
    list_id = new_list(api, "News")
    imported(api, [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}])
    fast.optout("A@example.com", list_id)
    assert fast.list_members(list_id) == set()
    assert fast.list_members(list_id, status=2) == {"a@example.com"}


@pytest.mark.parametrize("path", ["exclusions", "bounces", "revoke"])
def test_control_bodies_are_checked(fast: EmulatorHandle, path: str) -> None:
    assert httpx.post(f"{fast.base_url}/_emulator/{path}", json={}).status_code == 400
    assert httpx.post(f"{fast.base_url}/_emulator/{path}", content=b"[").status_code == 400


def test_unknown_batch_and_path_are_json_404s(fast: EmulatorHandle) -> None:
    assert httpx.get(f"{fast.base_url}/_emulator/batches/nope").status_code == 404
    response = httpx.get(f"{fast.base_url}/api/3/nothing-here")
    assert response.status_code == 404 and response.json() == {"message": "Not Found"}
