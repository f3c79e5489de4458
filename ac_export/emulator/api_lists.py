"""`GET /lists` as the reference documents it: limit/offset, `filters[name]`, `orders[...]`, `meta.total`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from ac_export.emulator.entities import LIST_CHANNELS, SUBSCRIBED, MailingList
from ac_export.emulator.inputs import InputError, int_param, paging
from ac_export.emulator.readings import Readings
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import json_response, list_json, page_meta
from ac_export.emulator.store import Account

# `orders[<key>]=ASC|DESC` on lists, and what each one sorts by; the sorts are stable, so ties keep the
# id order (or the order of a later `orders[...]`). `active_subscribers` needs the account and
# `orders[name]=weight` the searched name (see below).
_ORDERS: dict[str, Callable[[MailingList], Any]] = {
    "id": lambda lst: lst.id,
    "name": lambda lst: lst.name.lower(),
    "cdate": lambda lst: lst.cdate,
    "udate": lambda lst: lst.udate,
    "created_timestamp": lambda lst: lst.cdate,
    "channel": lambda lst: lst.channel,
    "userid": lambda lst: 1,
}
CHANNEL_FILTERS = (*LIST_CHANNELS, "all")


async def list_lists(request: Request, emulator: Emulator) -> Response:
    """`GET /lists`: one page of the account's lists, with the subscriber counts of the collection."""
    lists = matching_lists(request, emulator)
    limit, offset = paging(request)
    base = str(request.base_url).rstrip("/")
    account = emulator.account
    rows = [{**list_json(lst, base), **_counts(account, lst.id)} for lst in lists[offset : offset + limit]]
    return json_response({"lists": rows, "meta": page_meta(len(lists))})


def matching_lists(request: Request, emulator: Emulator) -> list[MailingList]:
    """The lists `filters[name|id|channel]` (and `id_greater`, by its reading) select, sorted."""
    params, readings = request.query_params, emulator.knobs.readings
    channels = _channels(params, readings)
    lists = [lst for lst in emulator.account.lists.values() if lst.channel in channels]
    name = params.get("filters[name]")
    if name:
        lists = [lst for lst in lists if name.lower() in lst.name.lower()]
    wanted_id = (params.get("filters[id]") or "").strip()
    if wanted_id:
        # "like" (the documented wording): 1 also selects 10, 11, 21, …; a client must compare itself.
        like = readings.lists_id_filter == "like"
        lists = [lst for lst in lists if (wanted_id in str(lst.id) if like else str(lst.id) == wanted_id)]
    if readings.lists_id_greater == "honoured":
        id_greater = int_param(request, "id_greater", None)
        if id_greater is not None:
            lists = [lst for lst in lists if lst.id > id_greater]
    return _ordered(lists, params, emulator.account)


def _channels(params: QueryParams, readings: Readings) -> tuple[str, ...]:
    """The list channels `filters[channel]` keeps; without it, the `lists_channel` reading decides."""
    wanted = (params.get("filters[channel]") or readings.lists_channel).strip().lower()
    if wanted not in CHANNEL_FILTERS:
        raise InputError(
            f"Query parameter 'filters[channel]' must be one of {', '.join(CHANNEL_FILTERS)}, got {wanted!r}."
        )
    return LIST_CHANNELS if wanted == "all" else (wanted,)


def _ordered(lists: list[MailingList], params: QueryParams, account: Account) -> list[MailingList]:
    """Lists sorted by every known `orders[...]`; several apply in the order given, the first the main one."""
    name = (params.get("filters[name]") or "").lower()
    keys = dict(_ORDERS)
    keys["active_subscribers"] = lambda lst: _active(account, lst.id)
    for key, direction in reversed(
        [(k[7:-1], v) for k, v in params.multi_items() if k.startswith("orders[")]
    ):
        if key == "name" and direction.strip().lower() == "weight":
            # Exact name first, then names starting with the searched text, then the rest; by name within.
            lists.sort(key=lambda lst: (_weight(lst.name.lower(), name), lst.name.lower()))
        elif key in keys:
            lists.sort(key=keys[key], reverse=direction.strip().upper() == "DESC")
    return lists


def _weight(value: str, searched: str) -> int:
    """0 for an exact match of the searched text, 1 for a prefix match, 2 otherwise."""
    return 0 if value == searched else 1 if searched and value.startswith(searched) else 2


def _active(account: Account, list_id: int) -> int:
    """How many contacts are subscribed to the list."""
    return sum(1 for membership in account.members_of(list_id).values() if membership.status == SUBSCRIBED)


def _counts(account: Account, list_id: int) -> dict[str, str]:
    """The collection's counters: active subscriptions, and contacts on the list in any status."""
    members = account.members_of(list_id)
    return {
        "active_subscribers": str(_active(account, list_id)),
        "non_deleted_subscribers": str(len(members)),
    }
