"""Lists and memberships: ids in creation order, the 404, deletion, and `contactLists` status upserts."""

from __future__ import annotations

import httpx

from ac_export_tests.emulator.helpers import bulk, contact_by_email, imported, new_list
from ac_export_tests.support.emulator import EmulatorHandle


def test_lists_get_ids_1_2_3_in_creation_order(api: httpx.Client) -> None:
    assert [new_list(api, name) for name in ("A", "B", "C")] == [1, 2, 3]
    body = api.get("/lists").json()
    assert [item["name"] for item in body["lists"]] == ["A", "B", "C"]
    assert body["meta"]["total"] == "3"
    assert api.get("/lists/2").json()["list"]["name"] == "B"


def test_missing_list_is_the_404_of_the_reference(api: httpx.Client) -> None:
    response = api.get("/lists/7")
    assert response.status_code == 404
    assert response.json() == {"message": "No Result found for _List with id 7"}


def test_list_needs_a_name(api: httpx.Client) -> None:
    response = api.post("/lists", json={"list": {"name": " "}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/name"


def test_deleted_list_is_gone_and_imports_naming_it_fail_validation(api: httpx.Client) -> None:
    list_id = new_list(api, "Old")
    imported(api, [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}])
    assert api.delete(f"/lists/{list_id}").status_code == 200
    assert api.get(f"/lists/{list_id}").status_code == 404
    assert api.delete(f"/lists/{list_id}").status_code == 404
    response = bulk(api, [{"email": "b@example.com", "subscribe": [{"listid": list_id}]}])
    assert response.status_code == 400
    assert response.json()["failureReasons"] == [
        {"contact": 0, "failureReason": f"List with id {list_id} does not exist"}
    ]


def test_contact_lists_upserts_one_membership(fast: EmulatorHandle, api: httpx.Client) -> None:
    list_id = new_list(api, "News")
    contact_id = imported(api, [{"email": "a@example.com"}])["success"][0]
    first = api.post(
        "/contactLists", json={"contactList": {"list": list_id, "contact": contact_id, "status": 1}}
    )
    assert first.status_code == 200
    membership = first.json()["contactList"]
    assert (membership["list"], membership["contact"], membership["status"]) == (str(list_id), contact_id, 1)
    assert first.json()["contacts"][0]["email"] == "a@example.com"
    second = api.post(
        "/contactLists", json={"contactList": {"list": list_id, "contact": contact_id, "status": 2}}
    )
    assert second.json()["contactList"]["id"] == membership["id"]
    assert fast.list_members(list_id, status=2) == {"a@example.com"}
    assert fast.list_members(list_id) == set()


def test_contact_lists_refuses_unknown_list_contact_or_status(api: httpx.Client) -> None:
    list_id = new_list(api, "News")
    contact_id = imported(api, [{"email": "a@example.com"}])["success"][0]

    def post(**changes: object) -> httpx.Response:
        """Post a membership differing from a valid one by `changes`."""
        body = {"list": list_id, "contact": contact_id, "status": 1, **changes}
        return api.post("/contactLists", json={"contactList": body})

    assert post(list=99).status_code == 404
    assert post(contact=99).json() == {"message": "No Result found for Subscriber with id 99"}
    assert post(status=5).status_code == 422


def test_an_exporter_unsubscribe_can_be_undone_by_an_import_under_the_lenient_reading(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    fast.configure(resubscribe="lenient")
    list_id = new_list(api, "News")
    imported(api, [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}])
    imported(api, [{"email": "a@example.com", "unsubscribe": [{"listid": list_id}]}])
    assert fast.list_members(list_id) == set()
    info = imported(api, [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}])
    assert info["failure"] == []
    assert fast.list_members(list_id) == {"a@example.com"}
    contact = contact_by_email(api, "a@example.com")
    assert contact is not None
    assert fast.stats()["resubscribed_after_opt_out"] == 0


def test_api_resubscribe_of_an_opted_out_contact_is_counted(fast: EmulatorHandle, api: httpx.Client) -> None:
    list_id = new_list(api, "News")
    contact_id = imported(api, [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}])["success"][0]
    fast.optout("a@example.com", list_id)
    body = {"contactList": {"list": list_id, "contact": contact_id, "status": 1}}
    assert api.post("/contactLists", json=body).status_code == 200
    assert fast.stats()["resubscribed_after_opt_out"] == 1
