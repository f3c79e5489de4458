"""`GET /contacts` as *list-all-contacts* documents it: the full contact object, every filter and order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from ac_export_tests.emulator.helpers import imported, new_list
from ac_export_tests.emulator.test_independent_clients import (
    AIRBYTE_CONTACT_LINKS_REQUIRED,
    AIRBYTE_CONTACT_REQUIRED,
)
from ac_export_tests.support.emulator import EmulatorHandle

# The keys Airbyte's source-activecampaign contacts schema requires, and those of its `links`.
AIRBYTE_CONTACT_KEYS = AIRBYTE_CONTACT_REQUIRED
AIRBYTE_CONTACT_LINKS = AIRBYTE_CONTACT_LINKS_REQUIRED

PEOPLE = [
    {"email": "carol@shop.example", "first_name": "Carol", "last_name": "Zhang", "phone": "+4420"},
    {"email": "alice@example.com", "first_name": "Alice", "last_name": "Young", "phone": "+1202"},
    {"email": "bob@example.org", "first_name": "Bob", "last_name": "Xu", "customer_acct_name": "Acme"},
]


def emails(api: httpx.Client, **params: Any) -> list[str]:
    """The addresses `GET /contacts` answers for these query parameters, in its order."""
    response = api.get("/contacts", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"]["total"] == str(len(body["contacts"]))
    return [contact["email"] for contact in body["contacts"]]


@pytest.fixture
def people(api: httpx.Client) -> list[str]:
    """Three contacts (ids 1, 2, 3 in PEOPLE's order), Carol and Bob tagged `vip`; their ids."""
    ids: list[str] = imported(api, PEOPLE)["success"]
    tag_id = api.post("/tags", json={"tag": {"tag": "vip", "tagType": "contact"}}).json()["tag"]["id"]
    for contact_id in (ids[0], ids[2]):
        api.post("/contactTags", json={"contactTag": {"contact": contact_id, "tag": tag_id}})
    return ids


def test_a_contact_carries_every_key_of_the_reference_object(api: httpx.Client, people: list[str]) -> None:
    contact = api.get("/contacts", params={"email": "alice@example.com"}).json()["contacts"][0]
    assert [key for key in AIRBYTE_CONTACT_KEYS if key not in contact] == []
    assert [key for key in AIRBYTE_CONTACT_LINKS if key not in contact["links"]] == []
    assert contact["links"]["contactLists"].endswith("/api/3/contacts/2/contactLists")
    assert api.get(contact["links"]["contactLists"]).status_code == 200
    # Ids, counts and flags are strings; the stamps read as times.
    assert (contact["id"], contact["bounced_hard"], contact["email_empty"]) == ("2", "0", False)
    for key in ("created_timestamp", "updated_timestamp", "created_utc_timestamp", "updated_utc_timestamp"):
        datetime.fromisoformat(contact[key])


def test_search_matches_names_organization_phone_or_email(api: httpx.Client, people: list[str]) -> None:
    assert emails(api, search="ali") == ["alice@example.com"]
    assert emails(api, search="acme") == ["bob@example.org"]
    assert emails(api, search="+44") == ["carol@shop.example"]
    assert emails(api, search="EXAMPLE") == ["carol@shop.example", "alice@example.com", "bob@example.org"]
    assert emails(api, search="nobody") == []


def test_tagid_email_like_phone_and_ids(api: httpx.Client, people: list[str]) -> None:
    assert emails(api, tagid=1) == ["carol@shop.example", "bob@example.org"]
    assert emails(api, tagid=99) == []
    assert emails(api, email_like="@example.") == ["alice@example.com", "bob@example.org"]
    assert emails(api, phone="+1") == ["alice@example.com"]
    assert emails(api, ids="1,3") == ["carol@shop.example", "bob@example.org"]
    assert emails(api, **{"ids[]": ["2", "3"]}) == ["alice@example.com", "bob@example.org"]
    assert emails(api, id_less=3, exclude=1) == ["alice@example.com"]


def test_filters_combine_with_the_list_filter(api: httpx.Client, people: list[str]) -> None:
    list_id = new_list(api, "News")
    imported(api, [{"email": "bob@example.org", "subscribe": [{"listid": list_id}]}])
    assert emails(api, listid=list_id, status=1, tagid=1) == ["bob@example.org"]
    assert emails(api, listid=list_id, search="alice") == []


@pytest.mark.parametrize(
    ("orders", "expected"),
    [
        ({"orders[email]": "ASC"}, ["alice@example.com", "bob@example.org", "carol@shop.example"]),
        ({"orders[email]": "desc"}, ["carol@shop.example", "bob@example.org", "alice@example.com"]),
        ({"orders[first_name]": "ASC"}, ["alice@example.com", "bob@example.org", "carol@shop.example"]),
        ({"orders[last_name]": "ASC"}, ["bob@example.org", "alice@example.com", "carol@shop.example"]),
        ({"orders[name]": "DESC"}, ["carol@shop.example", "bob@example.org", "alice@example.com"]),
        ({"orders[id]": "DESC"}, ["bob@example.org", "alice@example.com", "carol@shop.example"]),
        ({"orders[score]": "DESC"}, ["carol@shop.example", "alice@example.com", "bob@example.org"]),
    ],
)
def test_orders(api: httpx.Client, people: list[str], orders: dict[str, str], expected: list[str]) -> None:
    assert emails(api, **orders) == expected


def test_orders_by_creation_date_then_page(
    fast: EmulatorHandle, api: httpx.Client, people: list[str]
) -> None:
    backdate(fast, "bob@example.org", cdate="2020-01-01T00:00:00+00:00")
    assert emails(api, **{"orders[cdate]": "ASC"})[0] == "bob@example.org"
    page = api.get("/contacts", params={"orders[cdate]": "ASC", "limit": 1, "offset": 1}).json()
    assert (page["meta"]["total"], [c["email"] for c in page["contacts"]]) == ("3", ["carol@shop.example"])


def backdate(fast: EmulatorHandle, email: str, **stamps: str) -> None:
    """Set a contact's `cdate`/`udate` through the test endpoint."""
    response = httpx.post(f"{fast.base_url}/_emulator/contacts/{email}/dates", json=stamps)
    assert response.status_code == 200, response.text


@pytest.fixture
def dated(fast: EmulatorHandle, api: httpx.Client, people: list[str]) -> None:
    """Carol made 2024-01-01, updated 03-01; Alice made and updated 02-01; Bob made 03-01, updated 04-01."""
    backdate(fast, "carol@shop.example", cdate="2024-01-01T00:00:00+00:00", udate="2024-03-01T00:00:00+00:00")
    backdate(fast, "alice@example.com", cdate="2024-02-01T00:00:00+00:00", udate="2024-02-01T00:00:00+00:00")
    backdate(fast, "bob@example.org", cdate="2024-03-01T00:00:00+00:00", udate="2024-04-01T00:00:00+00:00")


@pytest.mark.usefixtures("dated")
def test_date_filters_bound_creation_and_update_times(api: httpx.Client) -> None:
    assert emails(api, **{"filters[created_after]": "2024-01-15T00:00:00Z"}) == [
        "alice@example.com",
        "bob@example.org",
    ]
    assert emails(api, **{"filters[created_before]": "2024-02-15"}) == [
        "carol@shop.example",
        "alice@example.com",
    ]
    assert emails(api, **{"filters[updated_after]": "2024-02-15T00:00:00.000000Z"}) == [
        "carol@shop.example",
        "bob@example.org",
    ]
    assert emails(api, **{"filters[updated_before]": "2024-03-15T00:00:00-05:00"}) == [
        "carol@shop.example",
        "alice@example.com",
    ]
    window = {
        "filters[created_after]": "2024-01-15T00:00:00Z",
        "filters[updated_before]": "2024-03-15T00:00:00Z",
    }
    assert emails(api, **window) == ["alice@example.com"]


@pytest.mark.usefixtures("dated")
def test_the_bound_itself_is_kept_only_under_the_inclusive_reading(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    exactly = {"filters[updated_after]": "2024-03-01T00:00:00Z"}
    assert emails(api, **exactly) == ["bob@example.org"]
    fast.configure(date_bounds="inclusive")
    assert emails(api, **exactly) == ["carol@shop.example", "bob@example.org"]


@pytest.mark.usefixtures("dated")
@pytest.mark.parametrize("offset", ["+00:00", "%2000:00", "%2B00:00"])
def test_an_unencoded_plus_of_an_offset_reads_as_the_offset(fast: EmulatorHandle, offset: str) -> None:
    # The Singer tap builds its query string by hand: a `+` reaches the server as a space.
    with fast.api() as api:
        body = api.get(f"/contacts?limit=100&filters[updated_after]=2024-02-15T00:00:00{offset}").json()
    assert [c["email"] for c in body["contacts"]] == ["carol@shop.example", "bob@example.org"]


def test_a_date_filter_that_is_no_date_is_refused_naming_it(api: httpx.Client, people: list[str]) -> None:
    response = api.get("/contacts", params={"filters[updated_after]": "yesterday"})
    assert response.status_code == 400
    assert "filters[updated_after]" in response.json()["message"]
    assert api.get("/contacts", params={"tagid": "vip"}).status_code == 400


def test_put_contact_changes_what_is_sent_and_keeps_the_rest(api: httpx.Client, people: list[str]) -> None:
    response = api.put("/contacts/2", json={"contact": {"firstName": "Alicia"}})
    assert response.status_code == 200
    contact = response.json()["contact"]
    assert (contact["firstName"], contact["lastName"], contact["email"]) == (
        "Alicia",
        "Young",
        "alice@example.com",
    )
    moved = api.put("/contacts/2", json={"contact": {"email": "alicia@example.com"}})
    assert moved.json()["contact"]["email"] == "alicia@example.com"
    assert emails(api, email="alicia@example.com") == ["alicia@example.com"]
    assert emails(api, email="alice@example.com") == []


def test_put_contact_refusals(api: httpx.Client, people: list[str]) -> None:
    duplicate = api.put("/contacts/2", json={"contact": {"email": "BOB@example.org"}})
    assert (duplicate.status_code, duplicate.json()["errors"][0]["code"]) == (422, "duplicate")
    assert api.put("/contacts/2", json={"contact": {"email": "not-an-address"}}).status_code == 422
    assert api.put("/contacts/99", json={"contact": {"firstName": "X"}}).json() == {
        "message": "No Result found for Subscriber with id 99"
    }


def test_delete_contact_takes_its_memberships_values_and_tags(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    list_id = new_list(api, "News")
    imported(api, [{"email": "gone@example.com", "tags": ["vip"], "subscribe": [{"listid": list_id}]}])
    assert api.delete("/contacts/1").status_code == 200
    assert emails(api) == [] and fast.list_members(list_id) == set()
    assert api.get("/contactTags").json()["meta"]["total"] == "0"
    assert api.get("/contactLists").json()["meta"]["total"] == "0"
    assert api.delete("/contacts/1").json() == {"message": "No Result found for Subscriber with id 1"}
    # The address is free again: a new contact gets a new id.
    assert imported(api, [{"email": "gone@example.com"}])["success"] == ["2"]
