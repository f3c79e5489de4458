"""The emulator's answers have the shape of ActiveCampaign's official examples (keys and value types)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ac_export_tests.emulator.helpers import bulk, completed, imported, new_field, new_list
from ac_export_tests.support.emulator import EmulatorHandle

EXAMPLES_FILE = Path(__file__).parent / "fixtures" / "activecampaign-examples.json"
EXAMPLES = {example["name"]: example for example in json.loads(EXAMPLES_FILE.read_text())["examples"]}
Scenario = Callable[[EmulatorHandle, httpx.Client], httpx.Response]


def shape_mismatches(actual: Any, expected: Any, where: str = "$") -> list[str]:
    """Where `actual` lacks a key of `expected` or holds a value of another JSON type."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        missing = [f"{where}.{key}: missing" for key in expected if key not in actual]
        nested = [
            m
            for key in expected
            if key in actual
            for m in shape_mismatches(actual[key], expected[key], f"{where}.{key}")
        ]
        return missing + nested
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected an array, got {actual!r}"]
        if not expected:
            return []
        return [
            m for i, item in enumerate(actual) for m in shape_mismatches(item, expected[0], f"{where}[{i}]")
        ]
    if type(actual) is not type(expected):
        return [f"{where}: expected {type(expected).__name__}, got {type(actual).__name__} {actual!r}"]
    return []


def _bulk_queued(fast: EmulatorHandle, api: httpx.Client, success_key: str = "Success") -> httpx.Response:
    # The reference spells the queued flag `Success` in one example and `success` in another: both
    # are readings the emulator serves (`success_key`), `Success` by default.
    fast.configure(success_key=success_key)
    new_list(api, "One"), new_list(api, "Two"), new_list(api, "Three")
    new_field(api, "FIRST"), new_field(api, "SECOND", "listbox")
    return api.post("/import/bulk_import", json=EXAMPLES["bulk import queued"]["request"]["body"])


def _validation_failure(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    rows = [{"email": f"p{i}@example.com"} for i in range(250)]
    rows[229]["email"] = "invalid.email@invalidDomain"
    return bulk(api, rows)


def _bulk_rate_limit(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    fast.configure(rate_limit=True, time_scale=10)
    pair = [{"email": "a@example.com"}, {"email": "b@example.com"}]
    for _ in range(100):
        bulk(api, pair)
    return bulk(api, pair)


def _status(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    fast.exclude("excluded_email1@example.com")
    batch_id = bulk(api, [{"email": "ok@example.com"}, {"email": "excluded_email1@example.com"}]).json()[
        "batchId"
    ]
    completed(api, batch_id)
    return api.get("/import/info", params={"batchId": batch_id})


def _too_early(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    fast.configure(processing_delay=5)
    return api.get(
        "/import/info", params={"batchId": bulk(api, [{"email": "a@example.com"}]).json()["batchId"]}
    )


def _aggregates(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    imported(api, [{"email": "a@example.com"}])
    fast.configure(processing_delay=60)
    bulk(api, [{"email": "b@example.com"}])
    return api.get("/import/bulk_import")


def _contacts_of_list(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    new_list(api, "One")
    list_id = new_list(api, "Two")
    imported(
        api, [{"email": "johndoe@example.com", "first_name": "John", "subscribe": [{"listid": list_id}]}]
    )
    return api.get("/contacts", params={"listid": list_id, "status": 1, "limit": 100, "offset": 0})


def _subscribe(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    new_list(api, "One"), new_list(api, "Two")
    imported(api, [{"email": "johndoe@example.com"}])
    return api.post("/contactLists", json=EXAMPLES["subscribe a contact to a list"]["request"]["body"])


def _fields(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    new_field(api, "LOYALTY_TIER"), new_field(api, "CUSTOMER_GROUP")
    return api.get("/fields", params={"filters[perstag]": "CUSTOMER_GROUP"})


def _sync(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    new_field(api, "FIRST")
    return api.post("/contact/sync", json=EXAMPLES["sync a contact"]["request"]["body"])


def _duplicate(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    body = EXAMPLES["duplicate contact"]["request"]["body"]
    api.post("/contacts", json=body)
    return api.post("/contacts", json=body)


def _throttled(fast: EmulatorHandle, api: httpx.Client) -> httpx.Response:
    fast.configure(rate_limit=True)
    responses = [api.get("/users/me") for _ in range(6)]
    return responses[-1]


def _as_listed(fast: EmulatorHandle, api: httpx.Client, name: str) -> httpx.Response:
    request = EXAMPLES[name]["request"]
    return api.request(request["method"], request["path"].removeprefix("/api/3"))


SCENARIOS: dict[str, Scenario] = {
    "bulk import queued": _bulk_queued,
    "bulk import queued, lower-case success (excluded emails example)": lambda fast, api: _bulk_queued(
        fast, api, "success"
    ),
    "bulk import validation failure (nothing queued)": _validation_failure,
    "bulk import rate limit": _bulk_rate_limit,
    "bulk import status": _status,
    "bulk import status, excluded emails": _status,
    "bulk import status called too early": _too_early,
    "bulk import status without batchId": lambda fast, api: _as_listed(
        fast, api, "bulk import status without batchId"
    ),
    "bulk import daily aggregates": _aggregates,
    "missing list": lambda fast, api: _as_listed(fast, api, "missing list"),
    "duplicate contact": _duplicate,
    "contacts of a list": _contacts_of_list,
    "subscribe a contact to a list": _subscribe,
    "fields by personalization tag": _fields,
    "sync a contact": _sync,
    "rate limited (any endpoint)": _throttled,
}


def test_every_reference_example_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_answer_matches_the_reference_example(fast: EmulatorHandle, api: httpx.Client, name: str) -> None:
    expected = EXAMPLES[name]["response"]
    response = SCENARIOS[name](fast, api)
    assert response.status_code == expected["status"], response.text
    for header, value in expected.get("headers", {}).items():
        assert response.headers[header] == value
    if isinstance(expected["body"], dict):
        assert shape_mismatches(response.json(), expected["body"]) == []


def test_shape_check_catches_a_numeric_id() -> None:
    assert shape_mismatches({"list": {"id": 7}}, {"list": {"id": "7"}}) == [
        "$.list.id: expected str, got int 7"
    ]
    assert shape_mismatches({"status": "false"}, {"status": False}) != []
