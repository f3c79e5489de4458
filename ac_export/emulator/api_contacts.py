"""ActiveCampaign endpoints for the key's user, contacts, contact sync and list memberships."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ac_export.emulator.api_catalog import contact_part, usable_field
from ac_export.emulator.contact_query import matching_contact_ids
from ac_export.emulator.entities import SUBSCRIBED, UNSUBSCRIBED
from ac_export.emulator.inputs import InputError, as_id, base_url, int_param, paging, text, wrapped_object
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import (
    contact_json,
    contact_tag_json,
    field_value_json,
    json_response,
    membership_json,
    not_found,
    page_meta,
    unprocessable,
)
from ac_export.emulator.store import DuplicateError
from ac_export.emulator.validation import is_valid_email

# contact/sync and POST /contacts speak camelCase, unlike bulk import's snake_case.
_DETAILS = {"firstName": "first_name", "lastName": "last_name", "phone": "phone"}
USER = {
    "username": "admin",
    "firstName": "Emulator",
    "lastName": "Admin",
    "email": "admin@example.com",
    "phone": "",
    "signature": None,
    "id": "1",
}


async def users_me(request: Request, emulator: Emulator) -> Response:
    """`GET /users/me`: the key's user, a cheap credentials check."""
    return json_response({"user": USER})


async def list_contacts(request: Request, emulator: Emulator) -> Response:
    """`GET /contacts` with every filter and order of *list-all-contacts*, `limit` and `offset`."""
    list_id, status = int_param(request, "listid", None), int_param(request, "status", -1)
    limit, offset = paging(request)
    ids = matching_contact_ids(emulator.account, request.query_params, emulator.knobs.readings)
    base = base_url(request)
    page = [contact_json(emulator.account.contacts[cid], base) for cid in ids[offset : offset + limit]]
    meta = page_meta(
        len(ids),
        segmentid=0,
        formid=0,
        listid=list_id or 0,
        tagid=int_param(request, "tagid", 0),
        limit=limit,
        offset=offset,
        search=request.query_params.get("search"),
        sort=None,
        seriesid=0,
        waitid=0,
        status=status,
        forceQuery=0,
        cacheid="",
    )
    return json_response({"scoreValues": [], "contacts": page, "meta": meta})


async def get_contact(request: Request, emulator: Emulator) -> Response:
    """`GET /contacts/{id}`: the contact with its list memberships, field values and tags."""
    contact_id: int = request.path_params["id"]
    contact = emulator.account.contacts.get(contact_id)
    if contact is None:
        return not_found("Subscriber", contact_id)
    account = emulator.account
    return json_response(
        {
            "contact": contact_json(contact, base_url(request)),
            "contactLists": [membership_json(m) for m in account.memberships_of(contact_id)],
            "fieldValues": [field_value_json(v) for v in account.field_values_of(contact_id)],
            "contactTags": [contact_tag_json(t) for t in account.tags_of(contact_id)],
        }
    )


async def create_contact(request: Request, emulator: Emulator) -> Response:
    """`POST /contacts`: create only; an existing address is ActiveCampaign's duplicate 422."""
    body = await wrapped_object(request, "contact")
    refusal = _refusal(body, emulator)
    if refusal is not None:
        return refusal
    try:
        contact = emulator.account.create_contact(body["email"], _details(body))
    except DuplicateError:
        return unprocessable("Email address already exists in the system", "duplicate", "email")
    values = _set_field_values(emulator, contact.id, body)
    return json_response({"fieldValues": values, "contact": contact_json(contact, base_url(request))}, 201)


async def update_contact(request: Request, emulator: Emulator) -> Response:
    """`PUT /contacts/{id}`: change the details sent (others are kept); 200 as *update-a-contact-new*."""
    contact = emulator.account.contacts.get(request.path_params["id"])
    if contact is None:
        return not_found("Subscriber", request.path_params["id"])
    body = await wrapped_object(request, "contact")
    if "email" in body:
        refusal = _refusal(body, emulator)
        if refusal is not None:
            return refusal
        try:
            emulator.account.change_email(contact, body["email"])
        except DuplicateError:
            return unprocessable("Email address already exists in the system", "duplicate", "email")
    emulator.account.update_contact(contact, _details(body))
    values = _set_field_values(emulator, contact.id, body)
    return json_response({"fieldValues": values, "contact": contact_json(contact, base_url(request))})


async def delete_contact(request: Request, emulator: Emulator) -> Response:
    """`DELETE /contacts/{id}` (*delete-contact*): the contact, its memberships, values and tags go."""
    contact_id: int = request.path_params["id"]
    deleted = emulator.account.delete_contact(contact_id)
    return json_response({}) if deleted else not_found("Subscriber", contact_id)


async def contact_lists_of(request: Request, emulator: Emulator) -> Response:
    """`GET /contacts/{id}/contactLists`: the contact's list memberships (its `links.contactLists`)."""
    return contact_part(request, emulator, "contactLists", emulator.account.memberships_of, membership_json)


async def sync_contact(request: Request, emulator: Emulator) -> Response:
    """`POST /contact/sync`: create or update by email; 201 either way, as the reference shows."""
    body = await wrapped_object(request, "contact")
    refusal = _refusal(body, emulator)
    if refusal is not None:
        return refusal
    contact, _ = emulator.account.upsert_contact(body["email"], _details(body))
    values = _set_field_values(emulator, contact.id, body)
    return json_response({"fieldValues": values, "contact": contact_json(contact, base_url(request))}, 201)


async def set_contact_list(request: Request, emulator: Emulator) -> Response:
    """`POST /contactLists`: upsert a membership with status 1 (subscribed) or 2 (unsubscribed)."""
    body = await wrapped_object(request, "contactList")
    list_id, contact_id, status = (
        as_id(body.get("list")),
        as_id(body.get("contact")),
        as_id(body.get("status")),
    )
    account = emulator.account
    if list_id is None or list_id not in account.lists:
        return not_found("_List", body.get("list"))
    if contact_id is None or contact_id not in account.contacts:
        return not_found("Subscriber", body.get("contact"))
    if status not in (SUBSCRIBED, UNSUBSCRIBED):
        return unprocessable("Status must be 1 (subscribed) or 2 (unsubscribed)", "invalid", "status")
    # Only the contact itself can opt out; a status set through the API is the account's doing.
    membership = account.set_membership(
        contact_id, list_id, status, sourceid=as_id(body.get("sourceid")) or 0
    )
    contact = account.contacts[contact_id]
    return json_response(
        {"contacts": [contact_json(contact, base_url(request))], "contactList": membership_json(membership)}
    )


def _refusal(body: dict[str, Any], emulator: Emulator) -> Response | None:
    """The 422 for a missing or malformed email or an unknown custom field, else None."""
    email = body.get("email")
    if not isinstance(email, str) or not email.strip():
        return unprocessable("Email address is required", "field_missing", "email")
    if not is_valid_email(email.strip()):
        return unprocessable("Contact Email Address is not valid.", "email_invalid", "email")
    for entry in _field_values(body):
        if as_id(entry.get("field")) not in emulator.account.fields:
            return unprocessable(
                f"No custom field with id {entry.get('field')}", "field_invalid", "fieldValues"
            )
    return None


def _details(body: dict[str, Any]) -> dict[str, str]:
    """The contact's standard fields present in the body, in store names."""
    return {target: text(body[source]) for source, target in _DETAILS.items() if source in body}


def _field_values(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The `fieldValues` entries of a contact body; InputError when they are not objects."""
    entries = body.get("fieldValues") or []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise InputError('\'fieldValues\' must be an array of {"field", "value"} objects.', 422)
    return entries


def _set_field_values(emulator: Emulator, contact_id: int, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Store the body's custom field values (already checked) and render them."""
    values = []
    for entry in _field_values(body):
        field_id = as_id(entry["field"]) or 0
        if usable_field(emulator, contact_id, field_id):
            values.append(
                field_value_json(emulator.account.set_field_value(contact_id, field_id, entry.get("value")))
            )
    return values
