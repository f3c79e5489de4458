"""`GET /lists` as the reference documents it: limit/offset, `filters[name]`, `orders[...]`, `meta.total`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ac_export.emulator.entities import SUBSCRIBED, MailingList
from ac_export.emulator.inputs import int_param, paging
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import json_response, list_json, page_meta
from ac_export.emulator.store import Account

# `orders[<key>]=ASC|DESC` on lists, and what each one sorts by (ties broken by id).
_ORDERS = {
    "id": lambda lst: (lst.id,),
    "name": lambda lst: (lst.name.lower(), lst.id),
    "cdate": lambda lst: (lst.cdate, lst.id),
    "udate": lambda lst: (lst.udate, lst.id),
}


async def list_lists(request: Request, emulator: Emulator) -> Response:
    """`GET /lists`: one page of the account's lists, with the subscriber counts of the collection."""
    lists = matching_lists(request, emulator)
    limit, offset = paging(request)
    base = str(request.base_url).rstrip("/")
    account = emulator.account
    rows = [{**list_json(lst, base), **_counts(account, lst.id)} for lst in lists[offset : offset + limit]]
    return json_response({"lists": rows, "meta": page_meta(len(lists))})


def matching_lists(request: Request, emulator: Emulator) -> list[MailingList]:
    """The lists `filters[name]` (a case-insensitive part of the name) selects, in `orders[...]` order."""
    params = request.query_params
    lists = list(emulator.account.lists.values())
    name = params.get("filters[name]")
    if name:
        lists = [lst for lst in lists if name.lower() in lst.name.lower()]
    if emulator.knobs.readings.lists_id_greater == "honoured":
        id_greater = int_param(request, "id_greater", None)
        if id_greater is not None:
            lists = [lst for lst in lists if lst.id > id_greater]
    # Several orders apply in the order given; the first is the main one, so sort by the last first.
    for key, direction in reversed(
        [(k[7:-1], v) for k, v in params.multi_items() if k.startswith("orders[")]
    ):
        if key in _ORDERS:
            lists.sort(key=_ORDERS[key], reverse=direction.strip().upper() == "DESC")
    return lists


def _counts(account: Account, list_id: int) -> dict[str, str]:
    """The collection's counters: active subscriptions, and contacts on the list in any status."""
    members = account.members_of(list_id)
    active = sum(1 for membership in members.values() if membership.status == SUBSCRIBED)
    return {"active_subscribers": str(active), "non_deleted_subscribers": str(len(members))}
