"""`GET /lists` as documented: limit/offset with `meta.total`, `filters[name]`, `orders[...]`, list fields."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ac_export_tests.emulator.helpers import imported, new_list
from ac_export_tests.support.emulator import EmulatorHandle

# The fields of the reference's list object that clients read or that independent clients expect.
DOCUMENTED_FIELDS = {
    "id", "name", "stringid", "userid", "user", "cdate", "udate", "created_timestamp", "updated_timestamp",
    "sender_url", "sender_reminder", "subscription_notify", "unsubscription_notify", "carboncopy",
    "send_last_broadcast", "links", "created_by", "updated_by",
}  # fmt: skip


def _lists(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/lists", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _names(body: dict[str, Any]) -> list[str]:
    return [item["name"] for item in body["lists"]]


def test_a_list_has_the_documented_fields_as_strings(api: httpx.Client) -> None:
    list_id = new_list(api, "News")
    for item in (api.get(f"/lists/{list_id}").json()["list"], _lists(api)["lists"][0]):
        assert set(item) >= DOCUMENTED_FIELDS
        assert (item["id"], item["user"], item["stringid"]) == (str(list_id), "1", "news")
        assert item["created_timestamp"] == item["cdate"][:19].replace("T", " ")
        assert item["links"]["user"].endswith(f"/api/3/lists/{list_id}/user")


def test_the_collection_counts_subscribers(fast: EmulatorHandle, api: httpx.Client) -> None:
    list_id = new_list(api, "News")
    imported(api, [{"email": f"p{i}@example.com", "subscribe": [{"listid": list_id}]} for i in range(3)])
    fast.optout("p0@example.com", list_id)
    item = _lists(api)["lists"][0]
    assert (item["active_subscribers"], item["non_deleted_subscribers"]) == ("2", "3")


def test_limit_defaults_to_20_caps_at_100_and_offset_pages(fast: EmulatorHandle, api: httpx.Client) -> None:
    for n in range(1, 131):
        new_list(api, f"L{n:03d}")
    assert len(_lists(api)["lists"]) == 20
    assert len(_lists(api, limit=500)["lists"]) == 100
    body = _lists(api, limit=100, offset=100)
    assert (body["meta"], _names(body)[0], len(body["lists"])) == ({"total": "130"}, "L101", 30)
    assert _lists(api, offset=500)["lists"] == []


def test_paging_by_offset_and_meta_total_ends_with_every_list_once(api: httpx.Client) -> None:
    ids = [new_list(api, f"L{n}") for n in range(250)]
    seen: list[str] = []
    offset, total, pages = 0, 1, 0
    while offset < total and pages < 10:  # bounded: a server that never ends the paging fails the test
        body = _lists(api, limit=100, offset=offset)
        total = int(body["meta"]["total"])
        seen += [item["id"] for item in body["lists"]]
        offset, pages = offset + 100, pages + 1
    assert (pages, seen) == (3, [str(i) for i in ids])


def test_id_greater_is_ignored_by_default(api: httpx.Client) -> None:
    for name in ("A", "B", "C"):
        new_list(api, name)
    # A client paging /lists with id_greater gets the same first page again: only offset pages lists.
    assert _names(_lists(api, id_greater=2, limit=2)) == ["A", "B"]


def test_id_greater_is_honoured_under_its_reading(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(lists_id_greater="honoured")
    for name in ("A", "B", "C"):
        new_list(api, name)
    body = _lists(api, id_greater=1)
    assert (_names(body), body["meta"]["total"]) == (["B", "C"], "2")


def test_filters_name_matches_part_of_the_name_in_any_case(api: httpx.Client) -> None:
    for name in ("Newsletter", "VIP news", "Promo"):
        new_list(api, name)
    body = _lists(api, **{"filters[name]": "NEWS"})
    assert (_names(body), body["meta"]["total"]) == (["Newsletter", "VIP news"], "2")
    assert _lists(api, **{"filters[name]": "nothing"})["lists"] == []


@pytest.mark.parametrize(
    ("orders", "expected"),
    [
        ({"orders[name]": "ASC"}, ["alpha", "Beta", "gamma"]),
        ({"orders[name]": "DESC"}, ["gamma", "Beta", "alpha"]),
        ({"orders[id]": "DESC"}, ["alpha", "gamma", "Beta"]),
        ({"orders[id]": "ASC"}, ["Beta", "gamma", "alpha"]),
        ({"orders[colour]": "ASC"}, ["Beta", "gamma", "alpha"]),
    ],
)
def test_orders(api: httpx.Client, orders: dict[str, str], expected: list[str]) -> None:
    for name in ("Beta", "gamma", "alpha"):
        new_list(api, name)
    assert _names(_lists(api, **orders)) == expected
