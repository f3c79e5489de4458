"""Tags, custom field values and the contactLists/contactTags collections: listing, filters, one by id."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from ac_export.emulator.api_catalog import usable_field
from ac_export.emulator.entities import Tag
from ac_export.emulator.inputs import InputError, as_id, paging, text, wrapped_object
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import (
    contact_tag_json,
    field_value_json,
    json_response,
    membership_json,
    not_found,
    page_meta,
    tag_json,
    unprocessable,
)
from ac_export.emulator.store import DuplicateError

# `filters[search][<operator>]=X` on tag names (*list-all-tags*), compared case-insensitively.
TAG_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "eq": operator.eq,
    "neq": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "contains": lambda name, text: text in name,
    "starts_with": lambda name, text: name.startswith(text),
}
TAG_ORDERS = ("weight", "asc", "desc")


def _page(
    request: Request, key: str, items: Sequence[Any], render: Callable[[Any], dict[str, Any]]
) -> Response:
    """One page of a collection under `key`, with `meta.total` counting every item selected."""
    limit, offset = paging(request)
    return json_response(
        {key: [render(item) for item in items[offset : offset + limit]], "meta": page_meta(len(items))}
    )


# Tags
async def list_tags(request: Request, emulator: Emulator) -> Response:
    """`GET /tags`: `search`, `filters[search]` (bare or `[<operator>]`) and `orders[search]`."""
    params = request.query_params
    tags = list(emulator.account.tags.values())
    searched = (params.get("search") or "").lower()
    if searched:
        tags = [tag for tag in tags if searched in tag.tag.lower()]
    for name, test, value in _tag_filters(params, emulator.knobs.readings.tag_search):
        tags = [tag for tag in tags if test(tag.tag.lower(), value)]
        if not searched and name in ("eq", "contains", "starts_with"):
            searched = value
    return _page(request, "tags", _ordered_tags(tags, params.get("orders[search]"), searched), tag_json)


def _tag_filters(params: QueryParams, bare_reading: str) -> list[tuple[str, Callable[[str, str], bool], str]]:
    """The name conditions of the request: (operator, test, lower-cased text); InputError if unknown."""
    found = []
    for key, value in params.multi_items():
        if key == "filters[search]":
            name = bare_reading
        elif key.startswith("filters[search][") and key.endswith("]"):
            name = key[len("filters[search][") : -1]
        else:
            continue
        if name not in TAG_OPERATORS:
            raise InputError(
                f"Query parameter {key!r}: the operator must be one of "
                f"{', '.join(TAG_OPERATORS)}, got {name!r}."
            )
        found.append((name, TAG_OPERATORS[name], value.lower()))
    return found


def _ordered_tags(tags: list[Tag], order: str | None, searched: str) -> list[Tag]:
    """Tags in `orders[search]` order: `weight` puts exact matches first, then prefix matches."""
    if order is None:
        return tags
    wanted = order.strip().lower()
    if wanted not in TAG_ORDERS:
        raise InputError(
            f"Query parameter 'orders[search]' must be one of {', '.join(TAG_ORDERS)}, got {order!r}."
        )
    if wanted == "weight":
        return sorted(tags, key=lambda tag: (_weight(tag.tag.lower(), searched), tag.tag.lower(), tag.id))
    return sorted(tags, key=lambda tag: (tag.tag.lower(), tag.id), reverse=wanted == "desc")


def _weight(name: str, searched: str) -> int:
    """0 for the searched name itself, 1 for a name starting with it, 2 for the rest."""
    return 0 if name == searched else 1 if searched and name.startswith(searched) else 2


async def get_tag(request: Request, emulator: Emulator) -> Response:
    """`GET /tags/{id}`."""
    tag = emulator.account.tags.get(request.path_params["id"])
    return (
        not_found("Tag", request.path_params["id"]) if tag is None else json_response({"tag": tag_json(tag)})
    )


async def update_tag(request: Request, emulator: Emulator) -> Response:
    """`PUT /tags/{id}`: a new name (unique, case-insensitively), type or description."""
    tag = emulator.account.tags.get(request.path_params["id"])
    if tag is None:
        return not_found("Tag", request.path_params["id"])
    body = await wrapped_object(request, "tag")
    if "tag" in body:
        name = text(body["tag"]).strip()
        if not name:
            return unprocessable("Tag name is required", "field_missing", "tag")
        try:
            emulator.account.rename_tag(tag, name)
        except DuplicateError:
            return unprocessable("Duplicate entry: a tag with this name exists", "duplicate", "tag")
    tag.tag_type = text(body.get("tagType")) or tag.tag_type
    tag.description = text(body["description"]) if "description" in body else tag.description
    return json_response({"tag": tag_json(tag)})


async def delete_tag(request: Request, emulator: Emulator) -> Response:
    """`DELETE /tags/{id}`: the tag goes, and with it every contact's application of it."""
    tag_id: int = request.path_params["id"]
    return json_response({}) if emulator.account.delete_tag(tag_id) else not_found("Tag", tag_id)


# Custom field values
async def list_field_values(request: Request, emulator: Emulator) -> Response:
    """`GET /fieldValues`, with `filters[fieldid]` and `filters[val]` (*list-all-custom-field-values*)."""
    params = request.query_params
    values = list(emulator.account.field_values.values())
    field_id = params.get("filters[fieldid]")
    if field_id:
        wanted = as_id(field_id)
        if wanted is None:
            raise InputError(f"Query parameter 'filters[fieldid]' must be a field id, got {field_id!r}.")
        values = [value for value in values if value.field == wanted]
    if params.get("filters[val]") is not None:
        values = [value for value in values if value.value == params["filters[val]"]]
    values.sort(key=lambda value: value.id)
    return _page(request, "fieldValues", values, field_value_json)


async def get_field_value(request: Request, emulator: Emulator) -> Response:
    """`GET /fieldValues/{id}`."""
    found = emulator.account.field_value_by_id(request.path_params["id"])
    if found is None:
        return not_found("FieldValue", request.path_params["id"])
    return json_response({"fieldValue": field_value_json(found)})


async def update_field_value(request: Request, emulator: Emulator) -> Response:
    """`PUT /fieldValues/{id}`: a new value (the contact and field of the value stay)."""
    found = emulator.account.field_value_by_id(request.path_params["id"])
    if found is None:
        return not_found("FieldValue", request.path_params["id"])
    body = await wrapped_object(request, "fieldValue")
    if not usable_field(emulator, found.contact, found.field):
        return json_response({"fieldValue": field_value_json(found)})
    updated = emulator.account.set_field_value(found.contact, found.field, body.get("value"))
    return json_response({"fieldValue": field_value_json(updated)})


async def delete_field_value(request: Request, emulator: Emulator) -> Response:
    """`DELETE /fieldValues/{id}`."""
    value_id: int = request.path_params["id"]
    deleted = emulator.account.delete_field_value(value_id)
    return json_response({}) if deleted else not_found("FieldValue", value_id)


# contactLists and contactTags as collections
async def list_contact_lists(request: Request, emulator: Emulator) -> Response:
    """`GET /contactLists`: every membership; `filters[list]`, `filters[contact]`, `filters[status]`."""
    params = request.query_params
    memberships = sorted(emulator.account.memberships.values(), key=lambda m: m.id)
    for key, attribute in (("list", "list"), ("contact", "contact"), ("status", "status")):
        wanted = _id_filter(params, key)
        if wanted is not None:
            memberships = [m for m in memberships if getattr(m, attribute) == wanted]
    return _page(request, "contactLists", memberships, membership_json)


async def get_contact_list(request: Request, emulator: Emulator) -> Response:
    """`GET /contactLists/{id}`."""
    membership_id: int = request.path_params["id"]
    found = next((m for m in emulator.account.memberships.values() if m.id == membership_id), None)
    if found is None:
        return not_found("ContactList", membership_id)
    return json_response({"contactList": membership_json(found)})


async def list_contact_tags(request: Request, emulator: Emulator) -> Response:
    """`GET /contactTags`: every application of a tag, with `filters[contact]` and `filters[tag]`."""
    params = request.query_params
    contact_tags = sorted(emulator.account.contact_tags.values(), key=lambda ct: ct.id)
    for key in ("contact", "tag"):
        wanted = _id_filter(params, key)
        if wanted is not None:
            contact_tags = [ct for ct in contact_tags if getattr(ct, key) == wanted]
    return _page(request, "contactTags", contact_tags, contact_tag_json)


async def get_contact_tag(request: Request, emulator: Emulator) -> Response:
    """`GET /contactTags/{id}`."""
    found = emulator.account.contact_tags.get(request.path_params["id"])
    if found is None:
        return not_found("ContactTag", request.path_params["id"])
    return json_response({"contactTag": contact_tag_json(found)})


def _id_filter(params: QueryParams, key: str) -> int | None:
    """The number in `filters[<key>]`, None without it, InputError when it is not a number."""
    raw = params.get(f"filters[{key}]")
    if raw is None or raw.strip() == "":
        return None
    if not raw.strip().lstrip("-").isdigit():
        raise InputError(f"Query parameter 'filters[{key}]' must be a number, got {raw!r}.")
    return int(raw)
