"""Test endpoints under `/_emulator/` (not ActiveCampaign's): stats, reset, knobs, opt-outs and more."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ac_export.emulator.entities import SUBSCRIBED, UNSUBSCRIBED, email_key
from ac_export.emulator.inputs import InputError, as_id
from ac_export.emulator.knobs import KnobError
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import json_response, membership_json

# ActiveCampaign shows a hard-bounced contact as status 3 on the lists it was subscribed to.
BOUNCED_STATUS = 3


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object body of a control request, or InputError."""
    try:
        payload = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError:
        raise InputError("Request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise InputError("Request body must be a JSON object.")
    return payload


async def _email(request: Request) -> str:
    """The `email` of a control request body."""
    email = (await _body(request)).get("email")
    if not isinstance(email, str) or not email.strip():
        raise InputError("Body needs an 'email' string.")
    return email


async def stats(request: Request, emulator: Emulator) -> Response:
    """`GET /_emulator/stats`: request counters plus the account's size."""
    account, batches = emulator.account, emulator.batches
    pending = len(batches.pending)
    return json_response(
        {
            **emulator.stats.as_json(),
            "contacts": len(account.contacts),
            "lists": len(account.lists),
            "batches": {"pending": pending, "completed": len(batches.batches) - pending},
            "resubscribed_after_opt_out": account.resubscribed_after_opt_out,
            # Contact imports that would have started the account's automations, and those that asked
            # (in a way the `automations_flag` reading honours) not to.
            "automations_started": sum(account.automations_started.values()),
            "automations_excluded": account.automations_excluded,
            "field_values_ignored": account.field_values_ignored,
            "readings": emulator.knobs.readings.as_json(),
            "knobs": emulator.knobs.as_json(),
        }
    )


async def contact_detail(request: Request, emulator: Emulator) -> Response:
    """`GET /_emulator/contacts/{email}`: a contact's id, memberships (with opt-out marks) and automations."""
    account = emulator.account
    contact = account.contact_by_email(request.path_params["email"])
    if contact is None:
        raise InputError(f"No contact with email {request.path_params['email']!r}.", 404)
    return json_response(
        {
            "id": str(contact.id),
            "email": contact.email,
            "automations_started": account.automations_started[contact.id],
            "memberships": [
                {"list": str(m.list), "status": m.status, "by_contact": m.by_contact}
                for m in account.memberships_of(contact.id)
            ],
            "field_values": {str(v.field): v.value for v in account.field_values_of(contact.id)},
        }
    )


async def reset(request: Request, emulator: Emulator) -> Response:
    """`POST /_emulator/reset`: back to the start-up account, knobs and keys."""
    emulator.reset()
    return json_response({"reset": True})


async def get_config(request: Request, emulator: Emulator) -> Response:
    """`GET /_emulator/config`: the current knobs."""
    return json_response(emulator.knobs.as_json())


async def set_config(request: Request, emulator: Emulator) -> Response:
    """`POST /_emulator/config`: change knobs at run time (all or none)."""
    try:
        knobs = emulator.configure(await _body(request))
    except KnobError as exc:
        raise InputError(str(exc)) from None
    return json_response(knobs.as_json())


async def optout(request: Request, emulator: Emulator) -> Response:
    """`POST /_emulator/optout {"email","list"}`: the contact unsubscribes itself from the list."""
    body = await _body(request)
    contact = emulator.account.contact_by_email(str(body.get("email", "")))
    list_id = as_id(body.get("list"))
    if contact is None:
        raise InputError(f"No contact with email {body.get('email')!r}.", 404)
    if list_id is None or list_id not in emulator.account.lists:
        raise InputError(f"No list with id {body.get('list')!r}.", 404)
    membership = emulator.account.set_membership(contact.id, list_id, UNSUBSCRIBED, by_contact=True)
    emulator.mutations += 1
    return json_response({"contactList": membership_json(membership)})


async def empty_list(request: Request, emulator: Emulator) -> Response:
    """`POST /_emulator/lists/{id}/empty`: the list loses every membership (restored from a backup, edited).

    Its contacts stay in the account, neither subscribed nor unsubscribed: nothing ActiveCampaign
    itself would report as an opt-out.
    """
    list_id = int(request.path_params["id"])
    if list_id not in emulator.account.lists:
        raise InputError(f"No list with id {list_id}.", 404)
    dropped = emulator.account.empty_list(list_id)
    emulator.mutations += 1
    return json_response({"list": str(list_id), "memberships_dropped": dropped})


async def exclude(request: Request, emulator: Emulator) -> Response:
    """`POST /_emulator/exclusions {"email"}`: put an address on the account's exclusion list."""
    email = await _email(request)
    emulator.account.exclusions.add(email_key(email))
    emulator.mutations += 1
    return json_response({"email": email, "excluded": True})


async def bounce(request: Request, emulator: Emulator) -> Response:
    """`POST /_emulator/bounces {"email"}`: the address hard-bounced; its subscriptions show bounced."""
    email = await _email(request)
    account = emulator.account
    account.bounces.add(email_key(email))
    contact = account.contact_by_email(email)
    memberships = account.memberships_of(contact.id) if contact else []
    for membership in memberships:
        if contact and membership.status == SUBSCRIBED:
            account.set_membership(contact.id, membership.list, BOUNCED_STATUS)
    emulator.mutations += 1
    return json_response({"email": email, "bounced": True})


async def revoke(request: Request, emulator: Emulator) -> Response:
    """`POST /_emulator/revoke {"api_key"}`: the key stops working (403) from the next request."""
    key = (await _body(request)).get("api_key")
    if not isinstance(key, str):
        raise InputError("Body needs an 'api_key' string.")
    revoked = key in emulator.api_keys
    emulator.api_keys.discard(key)
    return json_response({"revoked": revoked})


async def batch_detail(request: Request, emulator: Emulator) -> Response:
    """`GET /_emulator/batches/{batchId}`: a batch with the reason for every refused email."""
    batch = emulator.batches.batches.get(request.path_params["batch_id"])
    if batch is None:
        raise InputError(f"No batch {request.path_params['batch_id']!r}.", 404)
    return json_response(
        {
            "id": batch.id,
            "status": batch.status(time.time()),
            "size": batch.size,
            "submitted_at": batch.submitted_at,
            "completed_at": batch.completed_at,
            "success": batch.success,
            "failures": [{"email": e, "reason": r} for e, r in batch.failures],
        }
    )


async def set_contact_dates(request: Request, emulator: Emulator) -> Response:
    """`POST /_emulator/contacts/{email}/dates {"cdate", "udate"}`: back-date a contact (for date filters)."""
    contact = emulator.account.contact_by_email(request.path_params["email"])
    if contact is None:
        raise InputError(f"No contact with email {request.path_params['email']!r}.", 404)
    body = await _body(request)
    for key in ("cdate", "udate"):
        if key in body:
            try:
                stamp = datetime.fromisoformat(str(body[key]))
            except ValueError:
                raise InputError(f"{key!r} must be an ISO 8601 time, got {body[key]!r}.") from None
            setattr(
                contact, key, (stamp if stamp.tzinfo else stamp.astimezone()).isoformat(timespec="seconds")
            )
    emulator.mutations += 1
    return json_response({"cdate": contact.cdate, "udate": contact.udate})
