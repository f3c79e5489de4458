"""`/fieldRels`: which custom fields are available on which lists (`relid` 0: every list)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ac_export.emulator.entities import ALL_LISTS, FieldRel
from ac_export.emulator.inputs import MAX_LIMIT, as_id, int_param, wrapped_object
from ac_export.emulator.runtime import Emulator
from ac_export.emulator.shapes import field_rel_json, json_response, not_found, page_meta, unprocessable
from ac_export.emulator.store import DuplicateError

DEFAULT_LIMIT = 20


async def create_field_rel(request: Request, emulator: Emulator) -> Response:
    """`POST /fieldRels {"fieldRel": {"field", "relid"}}` → 201, shaped as the reference's example."""
    body = await wrapped_object(request, "fieldRel")
    account = emulator.account
    field_id = as_id(body.get("field"))
    if field_id is None or field_id not in account.fields:
        return not_found("Field", body.get("field"))
    relid = _relid(body.get("relid"))
    if relid is None:
        return unprocessable("relid must be 0 (every list) or a list id", "field_invalid", "relid")
    if relid != ALL_LISTS and relid not in account.lists:
        return not_found("_List", relid)
    try:
        rel = account.create_field_rel(field_id, relid)
    except DuplicateError:
        return unprocessable("Duplicate entry: the field is already on this list", "duplicate", "relid")
    # The reference's example echoes `relid` and `field` as numbers; only `id` is a string.
    created = {"relid": rel.relid, "field": rel.field, "cdate": rel.cdate, "links": [], "id": str(rel.id)}
    return json_response({"fieldRel": created}, 201)


async def list_field_rels(request: Request, emulator: Emulator) -> Response:
    """`GET /fieldRels`: 20 by default, at most 100; `limit` ≤ 0 gives all; `ids` overrides `limit`."""
    rels = list(emulator.account.field_rels.values())
    ids = request.query_params.get("ids")
    limit = int_param(request, "limit", DEFAULT_LIMIT)
    offset = max(int_param(request, "offset", 0), 0)
    if ids:
        wanted = {as_id(part) for part in ids.split(",")}
        page = [rel for rel in rels if rel.id in wanted][offset:]
    elif limit <= 0:
        page = rels
    else:
        page = rels[offset : offset + min(limit, MAX_LIMIT)]
    return json_response({"fieldRels": [field_rel_json(rel) for rel in page], "meta": page_meta(len(rels))})


async def delete_field_rel(request: Request, emulator: Emulator) -> Response:
    """`DELETE /fieldRels/{id}`."""
    rel_id: int = request.path_params["id"]
    return json_response({}) if emulator.account.delete_field_rel(rel_id) else not_found("FieldRel", rel_id)


def rels_of_fields(emulator: Emulator, field_ids: set[int]) -> list[FieldRel]:
    """The relations of these fields (what `GET /fields` lists beside them)."""
    return [rel for rel in emulator.account.field_rels.values() if rel.field in field_ids]


def _relid(value: object) -> int | None:
    """0 or a positive list id, from a number or a numeric string."""
    if isinstance(value, bool):
        return None
    if value == 0 or value == "0":
        return ALL_LISTS
    return as_id(value)
