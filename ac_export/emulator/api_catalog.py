"""ActiveCampaign endpoints for lists, custom fields and their values, tags and contact tags."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ac_export.emulator.api_field_rels import rels_of_fields
from ac_export.emulator.entities import FIELD_TYPES, LIST_CHANNELS, now_iso
from ac_export.emulator.inputs import as_id, base_url, paging, text, wrapped_object
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import (
    contact_json,
    contact_tag_json,
    field_json,
    field_rel_json,
    field_value_json,
    json_response,
    list_json,
    not_found,
    page_meta,
    tag_json,
    unprocessable,
)
from ac_export.emulator.store import DuplicateError


def _page(
    request: Request, key: str, items: Sequence[Any], render: Callable[[Any], dict[str, Any]], **extra: Any
) -> Response:
    """One page of a collection under `key`, with `meta.total` as a string."""
    limit, offset = paging(request)
    rows = [render(item) for item in items[offset : offset + limit]]
    return json_response({**extra, key: rows, "meta": page_meta(len(items))})


async def get_list(request: Request, emulator: Emulator) -> Response:
    """`GET /lists/{id}`, or ActiveCampaign's 404 naming `_List`."""
    list_id: int = request.path_params["id"]
    mailing_list = emulator.account.lists.get(list_id)
    return (
        not_found("_List", list_id)
        if mailing_list is None
        else json_response({"list": list_json(mailing_list, base_url(request))})
    )


async def create_list(request: Request, emulator: Emulator) -> Response:
    """`POST /lists`: a new list; ids count 1, 2, 3, … as in a new account."""
    body = await wrapped_object(request, "list")
    name, channel = text(body.get("name")).strip(), (text(body.get("channel")) or "email").strip().lower()
    if not name:
        return unprocessable("List name is required", "field_missing", "name")
    if channel not in LIST_CHANNELS:
        return unprocessable(f"Channel must be one of {', '.join(LIST_CHANNELS)}", "field_invalid", "channel")
    mailing_list = emulator.account.create_list(
        name,
        text(body.get("stringid")),
        text(body.get("sender_url")),
        text(body.get("sender_reminder")),
        channel,
    )
    return json_response({"list": list_json(mailing_list, base_url(request))}, 201)


async def update_list(request: Request, emulator: Emulator) -> Response:
    """`PUT /lists/{id}`: change the name, sender URL or reminder sent (the channel stays)."""
    mailing_list = emulator.account.lists.get(request.path_params["id"])
    if mailing_list is None:
        return not_found("_List", request.path_params["id"])
    body = await wrapped_object(request, "list")
    if "name" in body and not text(body["name"]).strip():
        return unprocessable("List name is required", "field_missing", "name")
    for key in ("name", "stringid", "sender_url", "sender_reminder"):
        if key in body:
            setattr(mailing_list, key, text(body[key]).strip())
    mailing_list.udate = now_iso()
    return json_response({"list": list_json(mailing_list, base_url(request))})


async def delete_list(request: Request, emulator: Emulator) -> Response:
    """`DELETE /lists/{id}`: the list and its memberships go; later imports naming it fail validation."""
    list_id: int = request.path_params["id"]
    return json_response({}) if emulator.account.delete_list(list_id) else not_found("_List", list_id)


async def list_fields(request: Request, emulator: Emulator) -> Response:
    """`GET /fields`, optionally `filters[perstag]=TAG` (how users' tags become numeric ids)."""
    perstag = request.query_params.get("filters[perstag]")
    fields = list(emulator.account.fields.values())
    if perstag is not None:
        found = emulator.account.field_by_perstag(perstag)
        fields = [] if found is None else [found]
    rels = [field_rel_json(rel) for rel in rels_of_fields(emulator, {f.id for f in fields})]
    return _page(request, "fields", fields, field_json, fieldOptions=[], fieldRels=rels)


async def get_field(request: Request, emulator: Emulator) -> Response:
    """`GET /fields/{id}`."""
    field_id: int = request.path_params["id"]
    found = emulator.account.fields.get(field_id)
    return not_found("Field", field_id) if found is None else json_response({"field": field_json(found)})


async def create_field(request: Request, emulator: Emulator) -> Response:
    """`POST /fields`: a new custom field (201); a title or perstag in use is the duplicate 422."""
    body = await wrapped_object(request, "field")
    title, field_type = text(body.get("title")).strip(), text(body.get("type")).strip()
    if not title:
        return unprocessable("Field title is required", "field_missing", "title")
    if field_type not in FIELD_TYPES:
        return unprocessable(f"Field type must be one of {', '.join(FIELD_TYPES)}", "field_invalid", "type")
    extra = {key: body[key] for key in ("descript", "isrequired", "visible", "defval") if key in body}
    try:
        created = emulator.account.create_field(title, field_type, text(body.get("perstag")).strip(), **extra)
    except DuplicateError:
        return unprocessable("Duplicate entry: a field with this title or tag exists", "duplicate", "title")
    return json_response({"field": field_json(created)}, 201)


def contact_part(
    request: Request,
    emulator: Emulator,
    key: str,
    items: Callable[[int], Sequence[Any]],
    shape: Callable[[Any], dict[str, Any]],
) -> Response:
    """`GET /contacts/{id}/<key>`: the contact's `items` in their `shape`; the 404 of an unknown contact."""
    contact_id: int = request.path_params["id"]
    if contact_id not in emulator.account.contacts:
        return not_found("Subscriber", contact_id)
    return json_response({key: [shape(item) for item in items(contact_id)]})


async def contact_field_values(request: Request, emulator: Emulator) -> Response:
    """`GET /contacts/{id}/fieldValues`."""
    account = emulator.account
    return contact_part(request, emulator, "fieldValues", account.field_values_of, field_value_json)


async def set_field_value(request: Request, emulator: Emulator) -> Response:
    """`POST /fieldValues`: set one contact's value of one custom field."""
    body = await wrapped_object(request, "fieldValue")
    contact_id, field_id = as_id(body.get("contact")), as_id(body.get("field"))
    account = emulator.account
    if contact_id is None or contact_id not in account.contacts:
        return not_found("Subscriber", body.get("contact"))
    if field_id is None or field_id not in account.fields:
        return not_found("Field", body.get("field"))
    answer: dict[str, Any] = {"contacts": [contact_json(account.contacts[contact_id])]}
    if usable_field(emulator, contact_id, field_id):
        answer["fieldValue"] = field_value_json(
            account.set_field_value(contact_id, field_id, body.get("value"))
        )
    return json_response(answer)


def usable_field(emulator: Emulator, contact_id: int, field_id: int) -> bool:
    """Whether a value of this field is kept for this contact; an ignored one is counted."""
    if not emulator.knobs.readings.fieldrels_required:
        return True
    if emulator.account.field_available(field_id, contact_id, []):
        return True
    emulator.account.field_values_ignored += 1
    return False


async def create_tag(request: Request, emulator: Emulator) -> Response:
    """`POST /tags` (201); a name in use is the duplicate 422."""
    body = await wrapped_object(request, "tag")
    name = text(body.get("tag")).strip()
    if not name:
        return unprocessable("Tag name is required", "field_missing", "tag")
    try:
        tag = emulator.account.create_tag(
            name, text(body.get("tagType")) or "contact", text(body.get("description"))
        )
    except DuplicateError:
        return unprocessable("Duplicate entry: a tag with this name exists", "duplicate", "tag")
    return json_response({"tag": tag_json(tag)}, 201)


async def contact_tags(request: Request, emulator: Emulator) -> Response:
    """`GET /contacts/{id}/contactTags`."""
    return contact_part(request, emulator, "contactTags", emulator.account.tags_of, contact_tag_json)


async def tag_contact(request: Request, emulator: Emulator) -> Response:
    """`POST /contactTags` (201): apply a tag to a contact."""
    body = await wrapped_object(request, "contactTag")
    contact_id, tag_id = as_id(body.get("contact")), as_id(body.get("tag"))
    account = emulator.account
    if contact_id is None or contact_id not in account.contacts:
        return not_found("Subscriber", body.get("contact"))
    if tag_id is None or tag_id not in account.tags:
        return not_found("Tag", body.get("tag"))
    return json_response({"contactTag": contact_tag_json(account.tag_contact(contact_id, tag_id))}, 201)


async def untag_contact(request: Request, emulator: Emulator) -> Response:
    """`DELETE /contactTags/{id}`."""
    contact_tag_id: int = request.path_params["id"]
    removed = emulator.account.untag(contact_tag_id)
    return json_response({}) if removed else not_found("ContactTag", contact_tag_id)
