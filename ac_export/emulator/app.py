"""The Starlette application: ActiveCampaign's routes behind auth, rate limits and fault injection."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ac_export.emulator import (
    api_catalog,
    api_collections,
    api_contacts,
    api_field_rels,
    api_import,
    api_lists,
    api_resources,
    api_webhooks,
    control,
)
from ac_export.emulator.inputs import InputError
from ac_export.emulator.limits import GENERAL_LIMIT, retry_after_header
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import forbidden, json_response

Handler = Callable[[Request, Emulator], Awaitable[Response]]

API_PREFIX = "/api/3"
TICK_S = 0.02
FREEZE_EVERY_S = 0.25
# What a proxy in front of ActiveCampaign may answer instead of JSON.
NOT_JSON_BODY = b"<html><body><h1>Service Unavailable</h1></body></html>"
API_ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/", api_collections.api_root),
    ("GET", "/users/me", api_contacts.users_me),
    ("GET", "/users", api_collections.list_users),
    ("GET", "/contacts", api_contacts.list_contacts),
    ("POST", "/contacts", api_contacts.create_contact),
    ("GET", "/contacts/{id:int}", api_contacts.get_contact),
    ("PUT", "/contacts/{id:int}", api_contacts.update_contact),
    ("DELETE", "/contacts/{id:int}", api_contacts.delete_contact),
    ("GET", "/contacts/{id:int}/fieldValues", api_catalog.contact_field_values),
    ("GET", "/contacts/{id:int}/contactTags", api_catalog.contact_tags),
    ("GET", "/contacts/{id:int}/contactLists", api_contacts.contact_lists_of),
    ("POST", "/contact/sync", api_contacts.sync_contact),
    ("POST", "/contactLists", api_contacts.set_contact_list),
    ("GET", "/contactLists", api_resources.list_contact_lists),
    ("GET", "/contactLists/{id:int}", api_resources.get_contact_list),
    ("GET", "/lists", api_lists.list_lists),
    ("POST", "/lists", api_catalog.create_list),
    ("GET", "/lists/{id:int}", api_catalog.get_list),
    ("PUT", "/lists/{id:int}", api_catalog.update_list),
    ("DELETE", "/lists/{id:int}", api_catalog.delete_list),
    ("GET", "/fields", api_catalog.list_fields),
    ("POST", "/fields", api_catalog.create_field),
    ("GET", "/fields/{id:int}", api_catalog.get_field),
    ("GET", "/fieldRels", api_field_rels.list_field_rels),
    ("POST", "/fieldRels", api_field_rels.create_field_rel),
    ("DELETE", "/fieldRels/{id:int}", api_field_rels.delete_field_rel),
    ("GET", "/fieldValues", api_resources.list_field_values),
    ("POST", "/fieldValues", api_catalog.set_field_value),
    ("GET", "/fieldValues/{id:int}", api_resources.get_field_value),
    ("PUT", "/fieldValues/{id:int}", api_resources.update_field_value),
    ("DELETE", "/fieldValues/{id:int}", api_resources.delete_field_value),
    ("GET", "/tags", api_resources.list_tags),
    ("POST", "/tags", api_catalog.create_tag),
    ("GET", "/tags/{id:int}", api_resources.get_tag),
    ("PUT", "/tags/{id:int}", api_resources.update_tag),
    ("DELETE", "/tags/{id:int}", api_resources.delete_tag),
    ("GET", "/contactTags", api_resources.list_contact_tags),
    ("POST", "/contactTags", api_catalog.tag_contact),
    ("GET", "/contactTags/{id:int}", api_resources.get_contact_tag),
    ("DELETE", "/contactTags/{id:int}", api_catalog.untag_contact),
    ("GET", "/webhooks", api_webhooks.list_webhooks),
    ("POST", "/webhooks", api_webhooks.create_webhook),
    ("GET", "/webhooks/{id:int}", api_webhooks.get_webhook),
    ("PUT", "/webhooks/{id:int}", api_webhooks.update_webhook),
    ("DELETE", "/webhooks/{id:int}", api_webhooks.delete_webhook),
    ("GET", "/webhook/events", api_webhooks.list_events),
    ("POST", "/import/bulk_import", api_import.bulk_import),
    ("GET", "/import/bulk_import", api_import.bulk_import_summary),
    ("GET", "/import/info", api_import.import_info),
    *api_collections.collection_routes(),
)
CONTROL_ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/stats", control.stats),
    ("POST", "/reset", control.reset),
    ("GET", "/config", control.get_config),
    ("POST", "/config", control.set_config),
    ("POST", "/optout", control.optout),
    ("POST", "/lists/{id:int}/empty", control.empty_list),
    ("POST", "/exclusions", control.exclude),
    ("POST", "/bounces", control.bounce),
    ("POST", "/revoke", control.revoke),
    ("GET", "/batches/{batch_id}", control.batch_detail),
    ("GET", "/contacts/{email}", control.contact_detail),
    ("POST", "/contacts/{email}/dates", control.set_contact_dates),
    ("POST", "/records/{collection}", api_collections.seed_records),
)


class DroppedResponse(Response):
    """Announces more body than it sends, so the client sees the connection close mid-response."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the headers and half the body, then stop: the server closes the connection."""
        promised = len(self.body) + 64
        headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        headers.append((b"content-length", str(promised).encode()))
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send(
            {"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True}
        )


def _fault_response(kind: str, emulator: Emulator) -> Response | None:
    """The answer for a fault that strikes before any work is done, or None."""
    if kind in ("500", "503"):
        return json_response({"message": "Service temporarily unavailable (emulated fault)."}, int(kind))
    if kind == "429":
        knobs = emulator.knobs
        return _throttled(retry_after_header(knobs.scaled(1.0), knobs.time_scale))
    if kind == "drop":
        return DroppedResponse(
            b'{"message": "connection dropped (emulated fault)"}', 200, media_type="application/json"
        )
    if kind == "403":
        # The intermittent 403 independent clients retry: the usual body, on a key that is valid.
        return forbidden()
    if kind == "empty":
        return Response(b"", 200, media_type="application/json")
    if kind == "not_json":
        return Response(NOT_JSON_BODY, 200, media_type="text/html")
    return None


def _throttled(retry_after: str) -> Response:
    """ActiveCampaign's 429 with its three headers (the body is our choice)."""
    headers = {"Retry-After": retry_after, "RateLimit-Limit": str(GENERAL_LIMIT), "RateLimit-Remaining": "0"}
    return json_response({"message": "Rate limit exceeded: 5 requests per second per account."}, 429, headers)


def _refused_key(request: Request, emulator: Emulator) -> Response | None:
    """403 for a missing, wrong or revoked key, else None."""
    return None if request.headers.get("api-token") in emulator.api_keys else forbidden()


def _guard(request: Request, emulator: Emulator) -> Response | None:
    """429 over the account's 5 requests per second, else None."""
    knobs = emulator.knobs
    if knobs.rate_limit:
        wait = emulator.limits.general.try_acquire(time.monotonic(), knobs.time_scale)
        if wait is not None:
            return _throttled(retry_after_header(wait, knobs.time_scale))
    return None


async def serve_api(request: Request, emulator: Emulator, endpoint: str, handler: Handler) -> Response:
    """Run one ActiveCampaign request through latency, faults, auth, the rate window and the handler."""
    emulator.tick()
    emulator.stats.requests += 1
    fault = await _draw_fault(emulator)
    # A missing, wrong or revoked key is a 403 whatever fault was drawn: it must never look transient.
    response = (
        _refused_key(request, emulator)
        or (_fault_response(fault, emulator) if fault else None)
        or _guard(request, emulator)
    )
    if response is None:
        response = await _handle(request, emulator, handler, fault)
    emulator.stats.record(
        endpoint, "dropped" if isinstance(response, DroppedResponse) else response.status_code
    )
    return response


async def _draw_fault(emulator: Emulator) -> str | None:
    """Wait out the configured latency, then draw this request's fault (a slow one waits here too)."""
    knobs = emulator.knobs
    if knobs.latency:
        await asyncio.sleep(knobs.scaled(knobs.latency))
    fault = emulator.faults.draw(knobs)
    if fault is not None:
        emulator.stats.faults += 1
        emulator.stats.faults_by_kind[fault] += 1
    if fault == "slow":
        await asyncio.sleep(knobs.scaled(knobs.slow_delay))
    return fault


async def _handle(request: Request, emulator: Emulator, handler: Handler, fault: str | None) -> Response:
    """The handler's answer with the rate headers, cut short when the fault is a drop after the work."""
    try:
        response = await handler(request, emulator)
    except InputError as refused:
        response = refused.response
    if emulator.knobs.rate_limit:
        response.headers["RateLimit-Limit"] = str(GENERAL_LIMIT)
        response.headers["RateLimit-Remaining"] = str(emulator.limits.general.remaining())
    if request.method != "GET":
        emulator.mutations += 1
    if fault == "drop_after":
        # The work is done but the answer is lost: clients that retry must be idempotent.
        return DroppedResponse(response.body, response.status_code, media_type="application/json")
    return response


def _api_route(emulator: Emulator, method: str, path: str, handler: Handler) -> Route:
    endpoint_name = f"{method} {API_PREFIX}{re.sub(r':[a-z]+}', '}', path)}"

    async def endpoint(request: Request) -> Response:
        """The ActiveCampaign endpoint behind the emulator's request pipeline."""
        return await serve_api(request, emulator, endpoint_name, handler)

    return Route(API_PREFIX + path, endpoint, methods=[method], name=endpoint_name)


def _control_route(emulator: Emulator, method: str, path: str, handler: Handler) -> Route:
    async def endpoint(request: Request) -> Response:
        """A test endpoint: no key, no limits, no faults, not counted."""
        emulator.tick()
        try:
            return await handler(request, emulator)
        except InputError as refused:
            return refused.response

    return Route("/_emulator" + path, endpoint, methods=[method], name=f"{method} /_emulator{path}")


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    return json_response({"message": "Not Found" if status == 404 else "Method Not Allowed"}, status)


def build_app(emulator: Emulator) -> Starlette:
    """The ASGI app serving one emulated account."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Run the ticker while serving; write the state file on the way out."""
        ticker = asyncio.create_task(_tick_forever(emulator))
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            emulator.save_if_due(force=True)

    routes = [_api_route(emulator, *spec) for spec in API_ROUTES]
    routes += [_control_route(emulator, *spec) for spec in CONTROL_ROUTES]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: _not_found, 405: _not_found})


async def _tick_forever(emulator: Emulator) -> None:
    """Process due batches and persist the state even when no request arrives."""
    frozen_at = time.monotonic()
    while True:
        emulator.tick()
        emulator.save_if_due()
        if time.monotonic() - frozen_at >= FREEZE_EVERY_S:
            # Account entities live until a reset and hold no cycles; once the account is large, the
            # cyclic collector's rescans of them cost more than the import work itself.
            gc.collect(1)
            gc.freeze()
            frozen_at = time.monotonic()
        await asyncio.sleep(TICK_S)
