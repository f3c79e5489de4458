"""Collections the emulator serves for reading only (campaigns, deals, segments, forms, accounts, …).

The emulator does not model these (it sends no campaign and runs no automation), but independent clients
read them: Airbyte's connection check pages `GET /campaigns`, its streams and the Singer tap page the
others. Each is a real collection: empty in a new account, filled by tests through
`POST /_emulator/records/{collection}`, paged by `limit`/`offset` with `meta.total`, every record carrying
the keys the reference's object has (the values of a new, unsent object unless the test gives others).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ac_export.emulator.api_contacts import USER
from ac_export.emulator.entities import now_iso
from ac_export.emulator.inputs import InputError, base_url, paging
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import json_response, not_found, page_meta, timestamp

_CAMPAIGN_ZEROS = [
    "segmentid",
    "bounceid",
    "realcid",
    "sendid",
    "threadid",
    "seriesid",
    "formid",
    "basetemplateid",
    "basemessageid",
    "addressid",
    "send_amt",
    "total_amt",
    "opens",
    "uniqueopens",
    "linkclicks",
    "uniquelinkclicks",
    "subscriberclicks",
    "forwards",
    "uniqueforwards",
    "hardbounces",
    "softbounces",
    "unsubscribes",
    "unsubreasons",
    "updates",
    "socialshares",
    "replies",
    "uniquereplies",
    "status",
    "public",
    "mail_transfer",
    "mail_send",
    "mail_cleanup",
    "mailer_log_file",
    "tracklinks",
    "tracklinksanalytics",
    "trackreads",
    "trackreadsanalytics",
    "tweet",
    "facebook",
    "embed_images",
    "htmlunsub",
    "textunsub",
    "recurring",
    "willrecur",
    "split_content",
    "split_offset",
    "split_winner_messageid",
    "split_winner_awaiting",
    "responder_offset",
    "responder_existing",
    "reminder_offset",
    "activerss_items",
    "ip4",
    "managetext",
    "schedule",
    "replysys",
]
_CAMPAIGN_NULLS = [
    "sdate",
    "ldate",
    "htmlunsubdata",
    "textunsubdata",
    "reminder_format",
    "reminder_last_cron_run",
    "activerss_url",
    "scheduleddate",
    "waitpreview",
    "deletestamp",
    "automation",
]
# The keys of each collection's objects (*list-all-campaigns*, *list-all-deals*, …) and a new one's values.
DEFAULTS: dict[str, dict[str, Any]] = {
    "campaigns": {
        **dict.fromkeys(_CAMPAIGN_ZEROS, "0"),
        **dict.fromkeys(_CAMPAIGN_NULLS),
        "type": "single",
        "userid": "1",
        "user": "1",
        "source": "web",
        "name": "",
        "analytics_campaign_name": "",
        "survey": "",
        "split_type": "even",
        "split_offset_type": "day",
        "responder_type": "subscribe",
        "reminder_field": "sdate",
        "reminder_type": "month_day",
        "reminder_offset_type": "day",
        "reminder_offset_sign": "+",
        "activerss_interval": "day",
        "laststep": "",
    },
    "deals": {
        "title": "",
        "description": "",
        "value": "0",
        "currency": "usd",
        "status": "0",
        "stage": "1",
        "group": "1",
        "owner": "1",
        "contact": None,
        "organization": None,
        "account": None,
        "percent": "0",
        "isDisabled": False,
        "winProbability": None,
    },
    "segments": {"name": "", "logic": "and", "hidden": "0", "seriesid": "0", "links": []},
    "forms": {
        "name": "",
        "action": "",
        "layout": "inline-form",
        "aid": "0",
        "addressid": "0",
        "parentformid": "0",
        "entries": "0",
        "contacts": 0,
        "deals": 0,
        "options": {},
        "style": {},
        "cfields": [],
        "recent": [],
    },
    "accounts": {"name": "", "accountUrl": None, "owner": "1", "contactCount": "0", "dealCount": "0"},
    "automations": {"name": "", "status": "1", "entered": "0", "exited": "0", "hidden": "0", "userid": "1"},
    "messages": {"name": "", "subject": "", "fromname": "", "fromemail": "", "reply2": "", "userid": "1"},
}
# The Singer tap's other streams read collections of objects the emulator holds nothing about: they are
# served as generic collections whose records carry what the test seeded, an id and creation stamps.
GENERIC = [
    "accountContacts",
    "accountCustomFieldData",
    "accountCustomFieldMeta",
    "activities",
    "addresses",
    "automationBlocks",
    "bounceLogs",
    "brandings",
    "calendars",
    "campaignLists",
    "campaignMessages",
    "configs",
    "connections",
    "contactAutomations",
    "contactConversions",
    "contactData",
    "contactDeals",
    "contactEmails",
    "conversionTriggers",
    "conversions",
    "dealActivities",
    "dealCustomFieldData",
    "dealCustomFieldMeta",
    "dealGroupUsers",
    "dealGroups",
    "dealStages",
    "dealTasks",
    "dealTasktypes",
    "ecomCustomers",
    "ecomOrderActivities",
    "ecomOrders",
    "emailActivities",
    "goals",
    "groups",
    "links",
    "savedResponses",
    "scores",
    "siteMessages",
    "sms",
    "templates",
]
DEFAULTS.update({name: {} for name in GENERIC})
SINGULAR = {
    "campaigns": "campaign",
    "deals": "deal",
    "segments": "segment",
    "forms": "form",
    "accounts": "account",
    "automations": "automation",
    "messages": "message",
    **{name: name[:-1] if name.endswith("s") and name != "sms" else name for name in GENERIC},
}
# The name ActiveCampaign's 404 gives each (our choice for the ones no example shows).
ENTITY_NAMES = {name: singular[0].upper() + singular[1:] for name, singular in SINGULAR.items()}
# `links` of a record: the sub-collections the reference's object names, as URLs.
_LINKS = {
    "campaigns": ("user", "automation", "campaignMessage", "campaignMessages", "links", "campaignLists"),
    "accounts": ("notes", "accountCustomFieldData", "accountContacts"),
    "automations": ("campaigns", "contactGoals", "contactAutomations", "blocks", "goals", "sms"),
}


def collection_routes() -> list[tuple[str, str, Any]]:
    """The API routes of every read-only collection: the listing and one record by id."""
    routes: list[tuple[str, str, Any]] = []
    for name in DEFAULTS:
        routes.append(("GET", f"/{name}", list_records))
        routes.append(("GET", f"/{name}/{{id:int}}", get_record))
    return routes


def _collection(request: Request) -> str:
    """The collection a request's path names (`/api/3/campaigns/4` → `campaigns`)."""
    return request.url.path.split("/api/3/", 1)[1].split("/", 1)[0]


async def list_records(request: Request, emulator: Emulator) -> Response:
    """`GET /<collection>`: `filters[<key>]` (`name`: a part, any case; others exact), `orders[<key>]`."""
    name = _collection(request)
    rows = list(emulator.account.records.get(name, []))
    params = request.query_params
    for key, value in params.multi_items():
        if key.startswith("filters[") and key.endswith("]") and "][" not in key:
            field = key[8:-1]
            if field == "name":
                rows = [row for row in rows if value.lower() in str(row.get("name") or "").lower()]
            else:
                rows = [row for row in rows if str(row.get(field)) == value]
    for key, direction in reversed(
        [(k[7:-1], v) for k, v in params.multi_items() if k.startswith("orders[")]
    ):
        # Stable sorts: ties keep the id order (or that of a later `orders[...]`).
        rows.sort(key=lambda row: str(row.get(key) or ""), reverse=direction.strip().upper() == "DESC")
    limit, offset = paging(request)
    page = [_rendered(name, row, base_url(request)) for row in rows[offset : offset + limit]]
    return json_response({name: page, "meta": page_meta(len(rows))})


async def get_record(request: Request, emulator: Emulator) -> Response:
    """`GET /<collection>/{id}`, or the 404 naming the entity."""
    name, record_id = _collection(request), request.path_params["id"]
    found = next((row for row in emulator.account.records.get(name, []) if row["id"] == str(record_id)), None)
    if found is None:
        return not_found(ENTITY_NAMES[name], record_id)
    return json_response({SINGULAR[name]: _rendered(name, found, base_url(request))})


def _rendered(name: str, row: dict[str, Any], base: str) -> dict[str, Any]:
    """A stored record with its `links` as URLs of this emulator."""
    if name not in _LINKS:
        return row
    url = f"{base}/api/3/{name}/{row['id']}"
    return {**row, "links": {link: f"{url}/{link}" for link in _LINKS[name]}}


async def seed_records(request: Request, emulator: Emulator) -> Response:
    """`POST /_emulator/records/{collection} {"records": [{…}, …]}`: add records; their ids."""
    name = request.path_params["collection"]
    if name not in DEFAULTS:
        raise InputError(f"No read-only collection {name!r}; known: {', '.join(DEFAULTS)}.", 404)
    try:
        payload = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError:
        raise InputError("Request body is not valid JSON.") from None
    records = payload.get("records") if isinstance(payload, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError('Body needs "records": an array of objects.')
    stored = emulator.account.records.setdefault(name, [])
    ids = [_store(emulator, name, record, stored) for record in records]
    emulator.mutations += 1
    return json_response({"ids": ids}, 201)


def _store(emulator: Emulator, name: str, record: dict[str, Any], stored: list[dict[str, Any]]) -> str:
    """Add one record with the collection's defaults, a new id and creation stamps; its id."""
    stamp = now_iso()
    row = {
        **DEFAULTS[name],
        "cdate": stamp,
        "mdate": stamp,
        "udate": stamp,
        "created_timestamp": timestamp(stamp),
        "updated_timestamp": timestamp(stamp),
        **record,
        "id": str(emulator.account.next_id(name)),
    }
    stored.append(row)
    return str(row["id"])


async def api_root(request: Request, emulator: Emulator) -> Response:
    """`GET /api/3/`: a 200 for a valid key (the Singer tap checks its token here; the body is our choice)."""
    return json_response({"message": "ActiveCampaign API v3 (emulated)", "version": "3"})


async def list_users(request: Request, emulator: Emulator) -> Response:
    """`GET /users`: the account's one user (the key's, as `users/me` shows it)."""
    return json_response({"users": [USER], "meta": page_meta(1)})
