"""`/webhooks` and `/webhook/events` as *create-a-webhook* and *list-all-webhooks* document them.

Webhooks are stored, listed, changed and deleted; the emulator never calls them (it sends no outbound
requests), which the README says.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ac_export.emulator.entities import Webhook
from ac_export.emulator.inputs import as_id, paging, text, wrapped_object
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import json_response, not_found, page_meta, unprocessable, webhook_json

# The events and sources *list-all-webhook-events* and *create-a-webhook* name.
EVENTS = (
    "bounce",
    "click",
    "contact_tag_added",
    "contact_tag_removed",
    "contact_task_add",
    "deal_add",
    "deal_note_add",
    "deal_pipeline_add",
    "deal_stage_add",
    "deal_task_add",
    "deal_task_complete",
    "deal_tasktype_add",
    "deal_update",
    "forward",
    "list_add",
    "open",
    "reply",
    "sent",
    "share",
    "sms_reply",
    "sms_sent",
    "sms_unsub",
    "subscribe",
    "subscriber_note",
    "unsubscribe",
    "update",
)
SOURCES = ("public", "admin", "api", "system")


async def list_webhooks(request: Request, emulator: Emulator) -> Response:
    """`GET /webhooks`: `filters[name]`, `filters[url]` (parts, any case) and `filters[listid]`."""
    params = request.query_params
    webhooks = sorted(emulator.account.webhooks.values(), key=lambda w: w.id)
    for key in ("name", "url"):
        wanted = (params.get(f"filters[{key}]") or "").lower()
        if wanted:
            webhooks = [w for w in webhooks if wanted in getattr(w, key).lower()]
    listid = params.get("filters[listid]")
    if listid:
        webhooks = [w for w in webhooks if str(w.listid) == listid.strip()]
    limit, offset = paging(request)
    rows = [webhook_json(w) for w in webhooks[offset : offset + limit]]
    return json_response({"webhooks": rows, "meta": page_meta(len(webhooks))})


async def create_webhook(request: Request, emulator: Emulator) -> Response:
    """`POST /webhooks` (201); a missing name or url, or an unknown event, source or list is a 422."""
    body = await wrapped_object(request, "webhook")
    checked = _checked(body, emulator, None)
    if isinstance(checked, Response):
        return checked
    webhook = emulator.account.create_webhook(**checked)
    return json_response({"webhook": webhook_json(webhook)}, 201)


async def get_webhook(request: Request, emulator: Emulator) -> Response:
    """`GET /webhooks/{id}`."""
    webhook = emulator.account.webhooks.get(request.path_params["id"])
    if webhook is None:
        return not_found("Webhook", request.path_params["id"])
    return json_response({"webhook": webhook_json(webhook)})


async def update_webhook(request: Request, emulator: Emulator) -> Response:
    """`PUT /webhooks/{id}`: what is sent replaces what was there, after the same checks as a creation."""
    webhook = emulator.account.webhooks.get(request.path_params["id"])
    if webhook is None:
        return not_found("Webhook", request.path_params["id"])
    checked = _checked(await wrapped_object(request, "webhook"), emulator, webhook)
    if isinstance(checked, Response):
        return checked
    for key, value in checked.items():
        setattr(webhook, key, value)
    return json_response({"webhook": webhook_json(webhook)})


async def delete_webhook(request: Request, emulator: Emulator) -> Response:
    """`DELETE /webhooks/{id}`."""
    webhook_id: int = request.path_params["id"]
    if emulator.account.webhooks.pop(webhook_id, None) is None:
        return not_found("Webhook", webhook_id)
    return json_response({})


async def list_events(request: Request, emulator: Emulator) -> Response:
    """`GET /webhook/events`: the event names a webhook may listen to."""
    limit, offset = paging(request)
    return json_response(
        {"webhookEvents": list(EVENTS[offset : offset + limit]), "meta": page_meta(len(EVENTS))}
    )


def _checked(body: dict[str, Any], emulator: Emulator, current: Webhook | None) -> dict[str, Any] | Response:
    """The webhook's attributes from the body (else the current ones), or the 422/404 refusing it."""
    name = text(body.get("name", current.name if current else "")).strip()
    url = text(body.get("url", current.url if current else "")).strip()
    if not name:
        return unprocessable("Webhook name is required", "field_missing", "name")
    if not url.startswith(("http://", "https://")):
        return unprocessable("Webhook url must be an http(s) URL", "field_invalid", "url")
    events: Any = body.get("events", current.events if current else None)
    sources: Any = body.get("sources", current.sources if current else None)
    for key, values, allowed in (("events", events, EVENTS), ("sources", sources, SOURCES)):
        if not isinstance(values, list) or not values or any(v not in allowed for v in values):
            return unprocessable(
                f"Webhook {key} must be a non-empty array of: {', '.join(allowed)}", "field_invalid", key
            )
    listid = as_id(body["listid"]) if "listid" in body and body["listid"] not in (0, "0") else 0
    if "listid" not in body and current is not None:
        listid = current.listid
    if listid is None or (listid and listid not in emulator.account.lists):
        return not_found("_List", body.get("listid"))
    return {"name": name, "url": url, "events": list(events), "sources": list(sources), "listid": listid}
