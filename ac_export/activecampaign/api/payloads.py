"""The JSON of ActiveCampaign's bulk import: each contact's payload, built set-based in SQL, and read back.

The engine plans in SQL, so payloads are SQL expressions over its columns (one JSON text per
contact, hashed to tell changed contacts from unchanged ones: the text must stay byte-for-byte
what it was, or every contact would look changed). The request body is joined from those texts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

# The keys of a payload that ActiveCampaign stores as the contact's standard fields.
CONTACT_KEYS = ("email", "first_name", "last_name", "phone", "tags")
# What the body adds around its contacts' payloads: the envelope, and room to spare.
BODY_ENVELOPE_BYTES = 64


def field_value_sql(ref: str, kind: str) -> str:
    """A column (`ref`, quoted) as ActiveCampaign's field text: dates YYYY-MM-DD, lists ||a||b||."""
    if kind == "date":
        return f"strftime({ref}, '%Y-%m-%d')"
    if kind == "timestamp":
        return f"strftime({ref}, '%Y-%m-%d %H:%M:%S')"
    if kind == "list":
        return f"CASE WHEN len({ref}) > 0 THEN '||' || array_to_string({ref}, '||') || '||' END"
    return f"nullif(trim(CAST({ref} AS VARCHAR)), '')"


def contact_payload_sql(
    *,
    email: str,
    first_name: str,
    last_name: str,
    phone: str,
    tags: str,
    fields: Sequence[tuple[int, str]],
    list_id: str,
) -> str:
    """The JSON text subscribing one contact to the list with its fields (each argument a SQL expression).

    `fields` are (custom field id, value expression), in the export's order; `tags` a VARCHAR[].
    Empty values are left out (`json_merge_patch` drops the nulls), so they never blank a field.
    """
    items = ", ".join(f"{{'id': {int(field_id)}, 'value': {value}}}" for field_id, value in fields)
    values = f"list_filter([{items}], lambda f: f.value IS NOT NULL)" if items else "NULL"
    # Only an E.164 phone is sent: any other is left out of the payload, not sent as it is.
    return f"""json_merge_patch('{{}}', to_json({{
        'email': {email}, 'first_name': {first_name}, 'last_name': {last_name},
        'phone': CASE WHEN regexp_full_match({phone}, '\\+[1-9][0-9]{{6,14}}') THEN {phone} END,
        'tags': CASE WHEN len({tags}) > 0 THEN {tags} END,
        'fields': CASE WHEN len({values}) > 0 THEN {values} END,
        'subscribe': [{{'listid': {list_id}}}]
    }}))::VARCHAR"""


def removal_payload_sql(email: str, list_id: str) -> str:
    """The JSON text unsubscribing one contact from the list, fields untouched (arguments are SQL)."""
    return f"to_json({{'email': {email}, 'unsubscribe': [{{'listid': {list_id}}}]}})::VARCHAR"


def carries_field_values_sql(payload: str) -> str:
    """SQL: whether a payload column sends any custom field value (empty values are left out of it)."""
    return f"json_extract({payload}, '$.fields') IS NOT NULL"


def payload_values_sql(payload: str, field_ids: dict[str, int]) -> dict[str, str]:
    """Each standard key and custom field (by perstag) of a payload column, as SQL for its value."""
    values = {key: f"json_extract({payload}, '$.{key}')" for key in CONTACT_KEYS}
    for perstag, field_id in field_ids.items():
        values[perstag] = (
            f"list_filter(CAST(json_extract({payload}, '$.fields') AS STRUCT(id BIGINT, value VARCHAR)[]), "
            f"lambda f: f.id = {int(field_id)})[1].value"
        )
    return values


def bulk_import_body(payloads: Iterable[str], run_automations: bool) -> bytes:
    """The body of one bulk import request: the contacts' payloads and whether automations may start."""
    # The official example puts exclude_automations in each contact, other clients send it once
    # at the top: both, so that no reading of it starts an automation unless the export asks.
    flag = "false" if run_automations else "true"
    contacts = ",".join(payload[:-1] + f',"exclude_automations":{flag}}}' for payload in payloads)
    return ('{"contacts":[' + contacts + '],"exclude_automations":' + flag + "}").encode()


def estimated_body_bytes(payloads: Iterable[str]) -> int:
    """About how many bytes a bulk import of these payloads takes (to keep it under the request limit)."""
    return sum(len(payload.encode()) + 1 for payload in payloads) + BODY_ENVELOPE_BYTES


def is_removal(payload: str) -> bool:
    """Whether a payload unsubscribes its contact (a removal) rather than subscribing it."""
    return "unsubscribe" in json.loads(payload)


def subscribed_list(payload: str) -> int:
    """The list a subscribing payload subscribes its contact to."""
    return int(json.loads(payload)["subscribe"][0]["listid"])
