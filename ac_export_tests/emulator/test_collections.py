"""contactLists/contactTags as collections, webhooks, the read-only collections, `/users` and the API root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ac_export_tests.emulator.helpers import imported, new_list
from ac_export_tests.support.emulator import EmulatorHandle, running_emulator


def seed(fast: EmulatorHandle, collection: str, records: list[dict[str, Any]]) -> list[str]:
    """Add records to a read-only collection through the test endpoint; their ids."""
    response = httpx.post(f"{fast.base_url}/_emulator/records/{collection}", json={"records": records})
    assert response.status_code == 201, response.text
    ids: list[str] = response.json()["ids"]
    return ids


def test_contact_lists_and_contact_tags_are_listed_filtered_and_paged(api: httpx.Client) -> None:
    news, offers = new_list(api, "News"), new_list(api, "Offers")
    rows = [
        {"email": "a@example.com", "subscribe": [{"listid": news}, {"listid": offers}], "tags": ["vip"]},
        {"email": "b@example.com", "subscribe": [{"listid": news}], "unsubscribe": [{"listid": offers}]},
    ]
    imported(api, rows)
    body = api.get("/contactLists").json()
    assert body["meta"]["total"] == "4"
    assert [(m["contact"], m["list"], m["status"]) for m in body["contactLists"]] == [
        ("1", "1", 1),
        ("1", "2", 1),
        ("2", "1", 1),
        ("2", "2", 2),
    ]
    assert "updated_timestamp" in body["contactLists"][0]
    offers_only = api.get("/contactLists", params={"filters[list]": offers, "filters[status]": 2}).json()
    assert [(m["contact"], m["status"]) for m in offers_only["contactLists"]] == [("2", 2)]
    page = api.get("/contactLists", params={"filters[contact]": 1, "limit": 1, "offset": 1}).json()
    assert (page["meta"]["total"], [m["list"] for m in page["contactLists"]]) == ("2", ["2"])
    first = body["contactLists"][0]["id"]
    assert api.get(f"/contactLists/{first}").json()["contactList"]["list"] == "1"
    assert api.get("/contactLists/99").status_code == 404
    tags = api.get("/contactTags", params={"filters[contact]": 1}).json()
    assert (tags["meta"]["total"], tags["contactTags"][0]["tag"]) == ("1", "1")
    assert api.get("/contactTags", params={"filters[contact]": 2}).json()["contactTags"] == []
    assert api.get(f"/contactTags/{tags['contactTags'][0]['id']}").json()["contactTag"]["contact"] == "1"
    assert api.get("/contactLists", params={"filters[list]": "News"}).status_code == 400


WEBHOOK = {
    "name": "Leavers",
    "url": "https://hooks.example/ac",
    "events": ["unsubscribe"],
    "sources": ["public"],
}


def test_webhooks_are_stored_listed_changed_and_deleted(fast: EmulatorHandle, api: httpx.Client) -> None:
    news = new_list(api, "News")
    created = api.post("/webhooks", json={"webhook": {**WEBHOOK, "listid": news}})
    assert created.status_code == 201
    webhook = created.json()["webhook"]
    assert (webhook["id"], webhook["listid"], webhook["events"]) == ("1", str(news), ["unsubscribe"])
    api.post("/webhooks", json={"webhook": {**WEBHOOK, "name": "All", "events": ["subscribe", "update"]}})
    listed = api.get("/webhooks", params={"filters[name]": "leav"}).json()
    assert (listed["meta"]["total"], listed["webhooks"][0]["name"]) == ("1", "Leavers")
    assert api.get("/webhooks", params={"filters[listid]": news}).json()["meta"]["total"] == "1"
    changed = api.put("/webhooks/1", json={"webhook": {"events": ["unsubscribe", "bounce"]}})
    assert changed.json()["webhook"]["events"] == ["unsubscribe", "bounce"]
    assert changed.json()["webhook"]["url"] == WEBHOOK["url"]
    assert api.delete("/webhooks/1").status_code == 200
    assert api.get("/webhooks/1").json() == {"message": "No Result found for Webhook with id 1"}
    events = api.get("/webhook/events", params={"limit": 100}).json()
    assert "unsubscribe" in events["webhookEvents"] and events["meta"]["total"] == str(
        len(events["webhookEvents"])
    )
    assert fast.stats()["by_endpoint"]["POST /api/3/webhooks"] == {"201": 2}


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"name": ""}, "name"),
        ({"url": "ftp://hooks.example"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["teleport"]}, "events"),
        ({"sources": ["robots"]}, "sources"),
    ],
)
def test_a_webhook_missing_a_part_is_refused(
    api: httpx.Client, changes: dict[str, Any], pointer: str
) -> None:
    response = api.post("/webhooks", json={"webhook": {**WEBHOOK, **changes}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == f"/data/attributes/{pointer}"


def test_a_webhook_on_an_unknown_list_is_a_404(api: httpx.Client) -> None:
    assert api.post("/webhooks", json={"webhook": {**WEBHOOK, "listid": 9}}).status_code == 404


def test_read_only_collections_start_empty_then_page_seeded_records(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    assert api.get("/campaigns").json() == {"campaigns": [], "meta": {"total": "0"}}
    ids = seed(fast, "campaigns", [{"name": f"Spring {n}", "status": str(n % 2)} for n in range(25)])
    assert ids[:2] == ["1", "2"]
    first = api.get("/campaigns").json()
    assert (first["meta"]["total"], len(first["campaigns"])) == ("25", 20)
    last = api.get("/campaigns", params={"offset": 20}).json()["campaigns"]
    assert [c["name"] for c in last] == [f"Spring {n}" for n in range(20, 25)]
    assert api.get("/campaigns", params={"filters[status]": "1"}).json()["meta"]["total"] == "12"
    assert api.get("/campaigns", params={"filters[name]": "spring 1"}).json()["meta"]["total"] == "11"
    ordered = api.get("/campaigns", params={"orders[name]": "DESC", "limit": 1}).json()["campaigns"]
    assert ordered[0]["name"] == "Spring 9"
    campaign = api.get("/campaigns/3").json()["campaign"]
    assert (campaign["name"], campaign["type"], campaign["sdate"]) == ("Spring 2", "single", None)
    assert campaign["links"]["campaignLists"].endswith("/api/3/campaigns/3/campaignLists")
    assert api.get("/campaigns/99").json() == {"message": "No Result found for Campaign with id 99"}


def test_seeding_an_unknown_collection_is_refused(fast: EmulatorHandle) -> None:
    response = httpx.post(f"{fast.base_url}/_emulator/records/spaceships", json={"records": [{}]})
    assert response.status_code == 404 and "spaceships" in response.json()["message"]


def test_a_reset_empties_the_read_only_collections(fast: EmulatorHandle, api: httpx.Client) -> None:
    seed(fast, "deals", [{"title": "Big one"}])
    assert api.get("/deals").json()["meta"]["total"] == "1"
    fast.reset()
    assert api.get("/deals").json()["meta"]["total"] == "0"


def test_the_api_root_and_users_answer_a_valid_key_only(fast: EmulatorHandle, api: httpx.Client) -> None:
    assert api.get(f"{fast.base_url}/api/3/").status_code == 200
    assert httpx.get(f"{fast.base_url}/api/3/", headers={"Api-Token": "wrong"}).status_code == 403
    users = api.get("/users").json()
    assert (users["meta"]["total"], users["users"][0]["id"]) == ("1", "1")


def test_webhooks_and_seeded_records_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with running_emulator("--state", str(state)) as first, first.api() as api:
        assert api.post("/webhooks", json={"webhook": WEBHOOK}).status_code == 201
        seed(first, "forms", [{"name": "Signup"}])
    with running_emulator("--state", str(state)) as second, second.api() as api:
        assert api.get("/webhooks/1").json()["webhook"]["name"] == "Leavers"
        assert api.get("/forms/1").json()["form"]["name"] == "Signup"
        assert seed(second, "forms", [{"name": "Second"}]) == ["2"]
