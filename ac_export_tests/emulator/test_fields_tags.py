"""Custom fields (by personalization tag), field values, tags and contact tags."""

from __future__ import annotations

import httpx

from ac_export_tests.emulator.helpers import imported, new_field


def test_fields_filter_by_perstag(api: httpx.Client) -> None:
    new_field(api, "LOYALTY_TIER")
    tier = new_field(api, "CUSTOMER_GROUP")
    body = api.get("/fields", params={"filters[perstag]": "CUSTOMER_GROUP"}).json()
    assert [(f["id"], f["perstag"], f["type"]) for f in body["fields"]] == [
        (str(tier), "CUSTOMER_GROUP", "text")
    ]
    assert body["meta"]["total"] == "1"
    assert body["fieldOptions"] == []
    assert [(rel["field"], rel["relid"]) for rel in body["fieldRels"]] == [(str(tier), "0")]
    assert api.get("/fields", params={"filters[perstag]": "NOPE"}).json()["meta"]["total"] == "0"


def test_field_create_is_201_and_a_duplicate_title_is_422(api: httpx.Client) -> None:
    body = {"field": {"title": "Loyalty tier", "type": "dropdown", "perstag": "LOYALTY_TIER"}}
    created = api.post("/fields", json=body)
    assert created.status_code == 201
    assert created.json()["field"]["perstag"] == "LOYALTY_TIER"
    again = api.post("/fields", json={"field": {"title": "loyalty TIER", "type": "text"}})
    assert again.status_code == 422
    assert again.json()["errors"][0]["code"] == "duplicate"


def test_field_needs_a_known_type(api: httpx.Client) -> None:
    response = api.post("/fields", json={"field": {"title": "Colour", "type": "colour"}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "field_invalid"


def test_field_values_set_and_read(api: httpx.Client) -> None:
    field_id = new_field(api, "TIER")
    contact_id = imported(api, [{"email": "a@example.com"}])["success"][0]
    body = {"fieldValue": {"contact": contact_id, "field": field_id, "value": "2018-12-31"}}
    response = api.post("/fieldValues", json=body)
    assert response.status_code == 200
    assert response.json()["fieldValue"]["value"] == "2018-12-31"
    listed = api.get(f"/contacts/{contact_id}/fieldValues").json()["fieldValues"]
    assert [(v["field"], v["value"]) for v in listed] == [(str(field_id), "2018-12-31")]
    assert api.get("/fieldValues").json()["meta"]["total"] == "1"
    missing = api.post(
        "/fieldValues", json={"fieldValue": {"contact": contact_id, "field": 99, "value": "x"}}
    )
    assert missing.status_code == 404


def test_tags_create_list_and_duplicate(api: httpx.Client) -> None:
    created = api.post("/tags", json={"tag": {"tag": "vip", "tagType": "contact"}})
    assert created.status_code == 201
    assert created.json()["tag"] == {**created.json()["tag"], "tag": "vip", "tagType": "contact", "id": "1"}
    assert api.post("/tags", json={"tag": {"tag": "VIP"}}).status_code == 422
    assert [t["tag"] for t in api.get("/tags", params={"search": "VI"}).json()["tags"]] == ["vip"]


def test_contact_tags_apply_and_remove(api: httpx.Client) -> None:
    contact_id = imported(api, [{"email": "a@example.com"}])["success"][0]
    tag_id = api.post("/tags", json={"tag": {"tag": "vip"}}).json()["tag"]["id"]
    applied = api.post("/contactTags", json={"contactTag": {"contact": contact_id, "tag": tag_id}})
    assert applied.status_code == 201
    contact_tag = applied.json()["contactTag"]
    assert (contact_tag["contact"], contact_tag["tag"]) == (contact_id, tag_id)
    assert len(api.get(f"/contacts/{contact_id}/contactTags").json()["contactTags"]) == 1
    assert api.delete(f"/contactTags/{contact_tag['id']}").status_code == 200
    assert api.get(f"/contacts/{contact_id}/contactTags").json()["contactTags"] == []
    assert api.delete(f"/contactTags/{contact_tag['id']}").status_code == 404
