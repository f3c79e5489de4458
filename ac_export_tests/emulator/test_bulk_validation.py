"""Bulk import validation: all or nothing, contact indexes (0- or 1-based), the email rules, sizes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ac_export.emulator.validation import is_valid_email
from ac_export_tests.emulator.helpers import bulk, new_field, new_list
from ac_export_tests.support.emulator import EmulatorHandle

VALIDATION_MESSAGE = (
    "JSON payload did not pass validation. Please fix failure Reasons and retry. "
    "The import was not queued for processing."
)


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("jane@example.com", True),
        ("jane.o'neil+tag@mail.example.co.uk", True),
        ("@example.com", False),
        ("jane doe@example.com", True),
        *((f"ja{char}ne@example.com", False) for char in '"(),:;<>[\\]'),
        ("jane@@example.com", False),
        ("jane@ex@ample.com", False),
        ("jane.example.com", False),
        ("jane@example", False),
        ("jane@example.c", False),
        ("jane@example.c0m", False),
        ("jane@localhost.io", True),
    ],
)
def test_activecampaign_email_format_rules(email: str, valid: bool) -> None:
    assert is_valid_email(email) is valid


def _assert_refused(fast: EmulatorHandle, response: httpx.Response, reasons: list[Any]) -> None:
    assert response.status_code == 400
    assert response.json() == {"success": 0, "message": VALIDATION_MESSAGE, "failureReasons": reasons}
    stats = fast.stats()
    assert (stats["bulk_imports_queued"], stats["contacts"]) == (0, 0)


@pytest.fixture(params=[0, 1], ids=["0-based", "1-based"])
def base(request: pytest.FixtureRequest, fast: EmulatorHandle) -> int:
    """The `failure_index` reading under test: contact indexes count from 0 or from 1."""
    fast.configure(failure_index=request.param)
    return int(request.param)


def test_failure_indexes_are_0_based_by_default(fast: EmulatorHandle, api: httpx.Client) -> None:
    response = bulk(api, [{"email": "ok@example.com"}, {"email": "bad"}])
    reasons = response.json()["failureReasons"]
    assert reasons == [{"contact": 1, "failureReason": "Field 'email' incorrect format"}]


def test_one_bad_contact_refuses_the_whole_request_with_its_index(
    fast: EmulatorHandle, api: httpx.Client, base: int
) -> None:
    rows = [{"email": f"p{i}@example.com"} for i in range(250)]
    rows[229]["email"] = "invalid.email@invalidDomain"
    rows[4] = {"first_name": "No email"}
    response = bulk(api, rows)
    _assert_refused(fast, response, [
        {"contact": 4 + base, "failureReason": "Field 'email' is required"},
        {"contact": 229 + base, "failureReason": "Field 'email' incorrect format"},
    ])  # fmt: skip


def test_unknown_custom_field_and_list_ids_are_refused(
    fast: EmulatorHandle, api: httpx.Client, base: int
) -> None:
    field_id, list_id = new_field(api, "TIER"), new_list(api, "News")
    rows = [
        {
            "email": "a@example.com",
            "fields": [{"id": field_id, "value": "x"}],
            "subscribe": [{"listid": list_id}],
        },
        {"email": "b@example.com", "fields": [{"id": 99, "value": "x"}]},
        {"email": "c@example.com", "unsubscribe": [{"listid": "98"}]},
    ]
    _assert_refused(fast, bulk(api, rows), [
        {"contact": 1 + base, "failureReason": "Custom field with id 99 does not exist"},
        {"contact": 2 + base, "failureReason": "List with id 98 does not exist"},
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, "Field 'contacts' is required and must be a non-empty array."),
        ({"contacts": []}, "Field 'contacts' is required and must be a non-empty array."),
        ({"contacts": "a@example.com"}, "Field 'contacts' is required and must be a non-empty array."),
        (
            {"contacts": [{"email": f"p{i}@example.com"} for i in range(251)]},
            "Up to 250 contacts may be imported per request; got 251.",
        ),
    ],
)
def test_malformed_requests_are_refused_with_plain_reasons(
    fast: EmulatorHandle, api: httpx.Client, payload: dict[str, Any], reason: str
) -> None:
    _assert_refused(fast, api.post("/import/bulk_import", json=payload), [reason])


def test_invalid_json_is_refused(fast: EmulatorHandle, api: httpx.Client) -> None:
    response = api.post(
        "/import/bulk_import", content=b'{"contacts": [', headers={"Content-Type": "application/json"}
    )
    _assert_refused(fast, response, ["Request body is not valid JSON."])


def test_payload_over_399999_bytes_is_refused(fast: EmulatorHandle, api: httpx.Client) -> None:
    rows = [{"email": f"p{i}@example.com", "first_name": "x" * 1700} for i in range(230)]
    response = bulk(api, rows)
    assert response.status_code == 400
    assert response.json()["failureReasons"][0].startswith("Payload of ")
    assert "exceeds the limit of 399999 bytes" in response.json()["failureReasons"][0]


def test_exactly_250_contacts_are_accepted(api: httpx.Client) -> None:
    response = bulk(api, [{"email": f"p{i}@example.com"} for i in range(250)])
    assert response.status_code == 200
    assert response.json()["queued_contacts"] == 250


def test_exclude_automations_is_accepted_at_the_top_and_per_contact(api: httpx.Client) -> None:
    rows = [{"email": "a@example.com", "exclude_automations": True}]
    callback = {"url": "www.example.com", "requestType": "POST", "detailed_results": "true"}
    response = bulk(api, rows, exclude_automations=True, callback=callback)
    assert response.status_code == 200


def test_wrong_types_are_refused(fast: EmulatorHandle, api: httpx.Client, base: int) -> None:
    rows = [
        {"email": "a@example.com", "tags": "vip"},
        {"email": "b@example.com", "first_name": {"given": "B"}},
        {"email": "c@example.com", "subscribe": [{"list": 1}]},
        "d@example.com",
    ]
    _assert_refused(fast, bulk(api, rows), [
        {"contact": 0 + base, "failureReason": "Field 'tags' must be an array of non-empty strings"},
        {"contact": 1 + base, "failureReason": "Field 'first_name' must be a string"},
        {"contact": 2 + base, "failureReason": "Each entry of 'subscribe' needs a numeric 'listid'"},
        {"contact": 3 + base, "failureReason": "Contact must be a JSON object"},
    ])  # fmt: skip
