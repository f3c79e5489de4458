"""Contacts: create (duplicate 422), sync (upsert), get, and the `GET /contacts` filters and paging."""

from __future__ import annotations

import httpx
import pytest

from ac_export_tests.emulator.helpers import contact_by_email, imported, new_field, new_list

DUPLICATE = {
    "errors": [
        {
            "title": "Email address already exists in the system",
            "detail": "",
            "code": "duplicate",
            "source": {"pointer": "/data/attributes/email"},
        }
    ]
}


def test_create_returns_201_with_string_id(api: httpx.Client) -> None:
    body = {
        "contact": {"email": "jane@example.com", "firstName": "Jane", "lastName": "Doe", "phone": "+1202"}
    }
    response = api.post("/contacts", json=body)
    assert response.status_code == 201
    contact = response.json()["contact"]
    assert (contact["id"], contact["email"], contact["firstName"], contact["phone"]) == (
        "1",
        "jane@example.com",
        "Jane",
        "+1202",
    )


def test_create_refuses_an_existing_address_case_insensitively(api: httpx.Client) -> None:
    assert api.post("/contacts", json={"contact": {"email": "john@example.com"}}).status_code == 201
    response = api.post("/contacts", json={"contact": {"email": "JOHN@Example.com"}})
    assert response.status_code == 422
    assert response.json() == DUPLICATE


@pytest.mark.parametrize(("email", "code"), [("", "field_missing"), ("not-an-email", "email_invalid")])
def test_create_refuses_a_missing_or_malformed_email(api: httpx.Client, email: str, code: str) -> None:
    response = api.post("/contacts", json={"contact": {"email": email}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == code


def test_sync_creates_then_updates_by_email(api: httpx.Client) -> None:
    field_id = new_field(api, "TIER")
    created = api.post("/contact/sync", json={"contact": {"email": "jon@example.com", "firstName": "Jon"}})
    assert created.status_code == 201
    body = {
        "contact": {
            "email": "JON@example.com",
            "lastName": "Doe",
            "fieldValues": [{"field": field_id, "value": "gold"}],
        }
    }
    updated = api.post("/contact/sync", json=body)
    assert updated.status_code == 201
    contact = updated.json()["contact"]
    assert (contact["id"], contact["firstName"], contact["lastName"]) == (
        created.json()["contact"]["id"],
        "Jon",
        "Doe",
    )
    value = updated.json()["fieldValues"][0]
    assert (value["contact"], value["field"], value["value"]) == (contact["id"], str(field_id), "gold")


def test_sync_refuses_an_unknown_custom_field(api: httpx.Client) -> None:
    body = {"contact": {"email": "jon@example.com", "fieldValues": [{"field": "9", "value": "x"}]}}
    response = api.post("/contact/sync", json=body)
    assert response.status_code == 422
    assert contact_by_email(api, "jon@example.com") is None


def test_get_one_contact_with_lists_values_and_tags(api: httpx.Client) -> None:
    list_id, field_id = new_list(api, "News"), new_field(api, "TIER")
    row = {"email": "a@example.com", "tags": ["vip"], "fields": [{"id": field_id, "value": "gold"}],
           "subscribe": [{"listid": list_id}]}  # fmt: skip
    contact_id = imported(api, [row])["success"][0]
    body = api.get(f"/contacts/{contact_id}").json()
    assert body["contact"]["email"] == "a@example.com"
    assert [(m["list"], m["status"]) for m in body["contactLists"]] == [(str(list_id), 1)]
    assert [(v["field"], v["value"]) for v in body["fieldValues"]] == [(str(field_id), "gold")]
    assert len(body["contactTags"]) == 1


def test_missing_contact_is_a_404_naming_subscriber(api: httpx.Client) -> None:
    response = api.get("/contacts/42")
    assert response.status_code == 404
    assert response.json() == {"message": "No Result found for Subscriber with id 42"}


def test_filter_by_email_is_exact_and_case_insensitive(api: httpx.Client) -> None:
    imported(api, [{"email": "ann@example.com"}, {"email": "anna@example.com"}])
    body = api.get("/contacts", params={"email": "ANN@example.com"}).json()
    assert [c["email"] for c in body["contacts"]] == ["ann@example.com"]
    assert body["meta"]["total"] == "1"


def test_filter_by_list_and_status(api: httpx.Client) -> None:
    list_id = new_list(api, "News")
    rows = [{"email": f"p{i}@example.com", "subscribe": [{"listid": list_id}]} for i in range(3)]
    rows.append({"email": "gone@example.com", "unsubscribe": [{"listid": list_id}]})
    rows.append({"email": "elsewhere@example.com"})
    imported(api, rows)

    def emails(**params: object) -> list[str]:
        """Emails of the list's contacts matching the params."""
        return [
            c["email"] for c in api.get("/contacts", params={"listid": list_id, **params}).json()["contacts"]
        ]

    assert emails(status=1) == ["p0@example.com", "p1@example.com", "p2@example.com"]
    assert emails(status=2) == ["gone@example.com"]
    assert len(emails()) == 4
    assert api.get("/contacts", params={"listid": list_id, "status": 1}).json()["meta"]["total"] == "3"


def test_id_greater_and_ordering(api: httpx.Client) -> None:
    imported(api, [{"email": f"p{i}@example.com"} for i in range(5)])
    ascending = api.get("/contacts", params={"id_greater": 2, "orders[id]": "ASC"}).json()
    assert [c["id"] for c in ascending["contacts"]] == ["3", "4", "5"]
    assert ascending["meta"]["total"] == "3"
    descending = api.get("/contacts", params={"orders[id]": "DESC"}).json()
    assert [c["id"] for c in descending["contacts"]] == ["5", "4", "3", "2", "1"]


def test_paging_defaults_to_20_and_caps_limit_at_100(api: httpx.Client) -> None:
    imported(api, [{"email": f"p{i}@example.com"} for i in range(130)])
    assert len(api.get("/contacts").json()["contacts"]) == 20
    capped = api.get("/contacts", params={"limit": 500}).json()
    assert len(capped["contacts"]) == 100
    assert capped["meta"]["total"] == "130" and capped["meta"]["page_input"]["limit"] == 100
    tail = api.get("/contacts", params={"limit": 100, "offset": 100}).json()["contacts"]
    assert [c["id"] for c in tail] == [str(i) for i in range(101, 131)]


def test_a_non_numeric_filter_is_a_400(api: httpx.Client) -> None:
    response = api.get("/contacts", params={"listid": "news"})
    assert response.status_code == 400
    assert "listid" in response.json()["message"]
