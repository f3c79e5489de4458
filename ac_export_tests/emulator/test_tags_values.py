"""Tags (`filters[search]`, `orders[search]`, by id) and custom field values (`filters[fieldid]`, by id)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ac_export_tests.emulator.helpers import imported, new_field
from ac_export_tests.support.emulator import EmulatorHandle

TAGS = ("vip", "VIP gold", "newsletter", "lead", "vip-lapsed")


@pytest.fixture
def tags(api: httpx.Client) -> None:
    """Five tags, ids 1..5 in TAGS' order."""
    for name in TAGS:
        assert api.post("/tags", json={"tag": {"tag": name, "tagType": "contact"}}).status_code == 201


def tag_names(api: httpx.Client, **params: Any) -> list[str]:
    """The tag names `GET /tags` answers, checking `meta.total` against them."""
    response = api.get("/tags", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"]["total"] == str(len(body["tags"]))
    return [tag["tag"] for tag in body["tags"]]


@pytest.mark.usefixtures("tags")
@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("eq", "VIP", ["vip"]),
        ("neq", "vip", ["VIP gold", "newsletter", "lead", "vip-lapsed"]),
        ("contains", "ea", ["lead"]),
        ("starts_with", "vip", ["vip", "VIP gold", "vip-lapsed"]),
        ("lt", "m", ["lead"]),
        ("lte", "lead", ["lead"]),
        ("gt", "vip-", ["vip-lapsed"]),
        ("gte", "vip-lapsed", ["vip-lapsed"]),
    ],
)
def test_filters_search_with_an_operator(
    api: httpx.Client, operator: str, value: str, expected: list[str]
) -> None:
    assert tag_names(api, **{f"filters[search][{operator}]": value}) == expected


@pytest.mark.usefixtures("tags")
def test_a_bare_filters_search_follows_its_reading(fast: EmulatorHandle, api: httpx.Client) -> None:
    assert tag_names(api, **{"filters[search]": "vip"}) == ["vip", "VIP gold", "vip-lapsed"]
    fast.configure(tag_search="eq")
    assert tag_names(api, **{"filters[search]": "vip"}) == ["vip"]
    assert tag_names(api, search="lap") == ["vip-lapsed"]


@pytest.mark.usefixtures("tags")
def test_orders_search(api: httpx.Client) -> None:
    contains = {"filters[search][contains]": "vip"}
    assert tag_names(api, **contains, **{"orders[search]": "weight"}) == ["vip", "VIP gold", "vip-lapsed"]
    assert tag_names(api, **{"filters[search][contains]": "lapsed", "orders[search]": "weight"}) == [
        "vip-lapsed"
    ]
    assert tag_names(api, **{"orders[search]": "asc"}) == [
        "lead",
        "newsletter",
        "vip",
        "VIP gold",
        "vip-lapsed",
    ]
    assert tag_names(api, **{"orders[search]": "DESC"}) == [
        "vip-lapsed",
        "VIP gold",
        "vip",
        "newsletter",
        "lead",
    ]


@pytest.mark.usefixtures("tags")
def test_an_unknown_operator_or_order_is_refused_naming_it(api: httpx.Client) -> None:
    response = api.get("/tags", params={"filters[search][like]": "v"})
    assert response.status_code == 400 and "filters[search][like]" in response.json()["message"]
    response = api.get("/tags", params={"orders[search]": "random"})
    assert response.status_code == 400 and "orders[search]" in response.json()["message"]


@pytest.mark.usefixtures("tags")
def test_one_tag_by_id_read_renamed_and_deleted(api: httpx.Client) -> None:
    assert api.get("/tags/4").json()["tag"]["tag"] == "lead"
    renamed = api.put("/tags/4", json={"tag": {"tag": "prospect", "description": "from forms"}})
    assert (renamed.status_code, renamed.json()["tag"]["tag"], renamed.json()["tag"]["description"]) == (
        200,
        "prospect",
        "from forms",
    )
    assert api.put("/tags/4", json={"tag": {"tag": "VIP"}}).json()["errors"][0]["code"] == "duplicate"
    contact_id = imported(api, [{"email": "a@example.com", "tags": ["prospect"]}])["success"][0]
    assert len(api.get(f"/contacts/{contact_id}/contactTags").json()["contactTags"]) == 1
    assert api.delete("/tags/4").status_code == 200
    assert api.get(f"/contacts/{contact_id}/contactTags").json()["contactTags"] == []
    assert api.get("/tags/4").json() == {"message": "No Result found for Tag with id 4"}
    assert api.delete("/tags/4").status_code == 404


@pytest.fixture
def values(api: httpx.Client) -> list[str]:
    """Two fields, and three values: a@ and b@ have TIER, a@ has CITY; the contact ids."""
    tier, city = new_field(api, "TIER"), new_field(api, "CITY")
    rows = [
        {"email": "a@example.com", "fields": [{"id": tier, "value": "gold"}, {"id": city, "value": "Oslo"}]},
        {"email": "b@example.com", "fields": [{"id": tier, "value": "silver"}]},
    ]
    success: list[str] = imported(api, rows)["success"]
    return success


def test_field_values_filter_by_field_and_value(api: httpx.Client, values: list[str]) -> None:
    def listed(**params: Any) -> list[tuple[str, str]]:
        """(contact, value) of the values `GET /fieldValues` answers."""
        body = api.get("/fieldValues", params=params).json()
        assert body["meta"]["total"] == str(len(body["fieldValues"]))
        return [(v["contact"], v["value"]) for v in body["fieldValues"]]

    assert listed() == [("1", "gold"), ("1", "Oslo"), ("2", "silver")]
    assert listed(**{"filters[fieldid]": 1}) == [("1", "gold"), ("2", "silver")]
    assert listed(**{"filters[fieldid]": 2}) == [("1", "Oslo")]
    assert listed(**{"filters[fieldid]": 1, "filters[val]": "silver"}) == [("2", "silver")]
    paged = api.get("/fieldValues", params={"filters[fieldid]": 1, "limit": 1, "offset": 1}).json()
    assert (paged["meta"]["total"], [v["value"] for v in paged["fieldValues"]]) == ("2", ["silver"])
    assert api.get("/fieldValues", params={"filters[fieldid]": "TIER"}).status_code == 400


def test_one_field_value_by_id_read_changed_and_deleted(
    fast: EmulatorHandle, api: httpx.Client, values: list[str]
) -> None:
    assert api.get("/fieldValues/3").json()["fieldValue"]["value"] == "silver"
    changed = api.put("/fieldValues/3", json={"fieldValue": {"contact": "2", "field": "1", "value": "gold"}})
    assert (changed.status_code, changed.json()["fieldValue"]["value"]) == (200, "gold")
    assert fast.contact("b@example.com")["field_values"] == {"1": "gold"}
    assert api.delete("/fieldValues/3").status_code == 200
    assert api.get("/fieldValues/3").status_code == 404
    assert fast.contact("b@example.com")["field_values"] == {}
