"""`GET /lists` filters and orders beyond the name: `filters[id]`, `filters[channel]`, the list's channel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from ac_export_tests.emulator.helpers import imported, new_list
from ac_export_tests.support.emulator import EmulatorHandle, running_emulator


def names(api: httpx.Client, **params: Any) -> list[str]:
    """The list names `GET /lists` answers for these parameters, checking `meta.total` against them."""
    response = api.get("/lists", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"]["total"] == str(len(body["lists"]))
    return [item["name"] for item in body["lists"]]


def new_sms_list(api: httpx.Client, name: str) -> int:
    """Create an SMS list; its id."""
    response = api.post("/lists", json={"list": {"name": name, "channel": "sms"}})
    assert response.status_code == 201, response.text
    assert response.json()["list"]["channel"] == "sms"
    return int(response.json()["list"]["id"])


def test_lists_have_a_channel_and_sms_lists_show_only_when_asked(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    new_list(api, "News")
    new_sms_list(api, "Texts")
    assert api.get("/lists/1").json()["list"]["channel"] == "email"
    assert api.get("/lists/2").json()["list"]["channel"] == "sms"
    assert names(api) == ["News"]
    assert names(api, **{"filters[channel]": "sms"}) == ["Texts"]
    assert names(api, **{"filters[channel]": "all"}) == ["News", "Texts"]
    fast.configure(lists_channel="all")
    assert names(api) == ["News", "Texts"]
    assert names(api, **{"filters[channel]": "email"}) == ["News"]


def test_an_unknown_channel_is_refused(api: httpx.Client) -> None:
    assert api.post("/lists", json={"list": {"name": "Fax", "channel": "fax"}}).status_code == 422
    response = api.get("/lists", params={"filters[channel]": "fax"})
    assert response.status_code == 400
    assert "filters[channel]" in response.json()["message"]


def test_filters_id_is_a_like_match_by_default_and_exact_under_its_reading(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    for index in range(1, 12):
        new_list(api, f"L{index}")
    assert names(api, **{"filters[id]": "1"}) == ["L1", "L10", "L11"]
    fast.configure(lists_id_filter="exact")
    assert names(api, **{"filters[id]": "1"}) == ["L1"]
    assert names(api, **{"filters[id]": "11"}) == ["L11"]


def test_orders_by_channel_subscribers_and_name_weight(api: httpx.Client) -> None:
    new_sms_list(api, "Alerts")
    for name in ("Newsletter", "News", "Weekly news"):
        new_list(api, name)
    imported(api, [{"email": f"p{i}@example.com", "subscribe": [{"listid": 4}]} for i in range(2)])
    imported(api, [{"email": "q@example.com", "subscribe": [{"listid": 2}]}])
    every = {"filters[channel]": "all"}
    assert names(api, **every, **{"orders[channel]": "DESC", "orders[id]": "ASC"}) == [
        "Alerts",
        "Newsletter",
        "News",
        "Weekly news",
    ]
    assert names(api, **{"orders[active_subscribers]": "DESC"}) == ["Weekly news", "Newsletter", "News"]
    weighted = {"filters[name]": "news", "orders[name]": "weight"}
    assert names(api, **weighted) == ["News", "Newsletter", "Weekly news"]


def test_put_list_renames_it(api: httpx.Client) -> None:
    new_list(api, "Old")
    response = api.put("/lists/1", json={"list": {"name": "New", "sender_url": "https://shop.example"}})
    assert response.status_code == 200
    assert (response.json()["list"]["name"], response.json()["list"]["sender_url"]) == (
        "New",
        "https://shop.example",
    )
    assert names(api) == ["New"]
    assert api.put("/lists/1", json={"list": {"name": " "}}).status_code == 422
    assert api.put("/lists/9", json={"list": {"name": "X"}}).status_code == 404


def test_a_list_keeps_its_channel_across_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with running_emulator("--state", str(state)) as first, first.api() as api:
        api.post("/lists", json={"list": {"name": "Kept", "channel": "sms"}})
    with running_emulator("--state", str(state)) as second, second.api() as api:
        assert api.get("/lists/1").json()["list"]["channel"] == "sms"
