"""`/fieldRels`: creating, listing and deleting the relations that put custom fields on lists."""

from __future__ import annotations

import httpx

from ac_export_tests.emulator.helpers import new_field, new_list


def _relate(api: httpx.Client, field: object, relid: object) -> httpx.Response:
    return api.post("/fieldRels", json={"fieldRel": {"field": field, "relid": relid}})


def test_create_answers_201_shaped_as_the_reference_example(api: httpx.Client) -> None:
    field_id, list_id = new_field(api, "TIER", relid=None), new_list(api, "News")
    response = _relate(api, field_id, list_id)
    assert response.status_code == 201
    rel = response.json()["fieldRel"]
    assert (rel["field"], rel["relid"], rel["id"], rel["links"]) == (field_id, list_id, "1", [])
    assert isinstance(rel["cdate"], str)
    assert _relate(api, str(field_id), "0").json()["fieldRel"]["relid"] == 0


def test_bad_relations_are_refused(api: httpx.Client) -> None:
    field_id = new_field(api, "TIER", relid=None)
    assert _relate(api, 99, 0).status_code == 404
    assert _relate(api, field_id, 7).json() == {"message": "No Result found for _List with id 7"}
    assert _relate(api, field_id, "all").status_code == 422
    assert _relate(api, field_id, True).status_code == 422
    assert _relate(api, field_id, 0).status_code == 201
    duplicate = _relate(api, field_id, 0)
    assert duplicate.status_code == 422 and duplicate.json()["errors"][0]["code"] == "duplicate"
    assert api.post("/fieldRels", json={"field": field_id}).status_code == 422


def test_list_pages_by_20_and_limit_0_gives_all(api: httpx.Client) -> None:
    lists = [new_list(api, f"L{n}") for n in range(25)]
    field_id = new_field(api, "TIER", relid=None)
    for list_id in lists:
        assert _relate(api, field_id, list_id).status_code == 201
    body = api.get("/fieldRels").json()
    assert (len(body["fieldRels"]), body["meta"]["total"]) == (20, "25")
    assert body["fieldRels"][0] == {**body["fieldRels"][0], "field": str(field_id), "relid": "1", "id": "1"}
    assert len(api.get("/fieldRels", params={"limit": 0, "offset": 10}).json()["fieldRels"]) == 25
    assert len(api.get("/fieldRels", params={"offset": 20}).json()["fieldRels"]) == 5
    by_ids = api.get("/fieldRels", params={"ids": "2,24", "limit": 1}).json()["fieldRels"]
    assert [rel["id"] for rel in by_ids] == ["2", "24"]


def test_delete_removes_the_relation(api: httpx.Client) -> None:
    field_id = new_field(api, "TIER")
    assert api.delete("/fieldRels/1").status_code == 200
    assert api.get("/fieldRels").json()["fieldRels"] == []
    assert api.delete("/fieldRels/1").json() == {"message": "No Result found for FieldRel with id 1"}
    assert _relate(api, field_id, 0).status_code == 201
