"""All-or-nothing validation of a bulk import request, with ActiveCampaign's email format rules."""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from typing import Any, NamedTuple

import orjson

from ac_export.emulator.inputs import as_id

MAX_CONTACTS = 250
MAX_PAYLOAD_BYTES = 399_999
VALIDATION_MESSAGE = (
    "JSON payload did not pass validation. Please fix failure Reasons and retry. "
    "The import was not queued for processing."
)
# ActiveCampaign's rules: a non-empty local part free of " ( ) , : ; < > @ [ \ ], one `@`, and a
# domain with a dot followed by at least two letters.
_EMAIL = re.compile(r'[^"(),:;<>@\[\\\]]+@[^@]*\.[A-Za-z]{2,}')
# Contact keys holding text, and those holding [{"id"|"listid": n}, …] references.
DETAIL_KEYS = ("first_name", "last_name", "phone", "customer_acct_name")
_REFERENCES = (("fields", "id"), ("subscribe", "listid"), ("unsubscribe", "listid"))
_SCALARS = (str, int, float)

Reason = str | dict[str, Any]


class BulkValidationError(Exception):
    """The request is refused as a whole; `reasons` go to the `failureReasons` envelope."""

    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__(reasons)
        self.reasons = reasons


def is_valid_email(email: str) -> bool:
    """Whether ActiveCampaign accepts the address's format."""
    return _EMAIL.fullmatch(email) is not None


class BulkRequest(NamedTuple):
    """A valid bulk import: its contacts, normalised, and the top-level `exclude_automations` as sent."""

    contacts: list[dict[str, Any]]
    exclude_automations: Any


def parse_bulk_request(
    body: bytes, field_ids: Container[int], list_ids: Container[int], index_base: int
) -> BulkRequest:
    """The request's contacts in a normalised form, or BulkValidationError with every reason.

    Per-contact reasons name the contact by its position counted from `index_base` (0 or 1: the
    `failure_index` reading).
    """
    if len(body) > MAX_PAYLOAD_BYTES:
        raise BulkValidationError(
            [f"Payload of {len(body)} bytes exceeds the limit of {MAX_PAYLOAD_BYTES} bytes."]
        )
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BulkValidationError(["Request body is not valid JSON."]) from None
    contacts = payload.get("contacts") if isinstance(payload, dict) else None
    if not isinstance(contacts, list) or not contacts:
        raise BulkValidationError(["Field 'contacts' is required and must be a non-empty array."])
    if len(contacts) > MAX_CONTACTS:
        raise BulkValidationError(
            [f"Up to {MAX_CONTACTS} contacts may be imported per request; got {len(contacts)}."]
        )
    reasons: list[Reason] = []
    known = {"fields": field_ids, "subscribe": list_ids, "unsubscribe": list_ids}
    rows = [
        raw if _well_formed(raw, known) else _canonical(index, raw, known, reasons)
        for index, raw in enumerate(contacts, index_base)
    ]
    if reasons:
        raise BulkValidationError(reasons)
    return BulkRequest(rows, payload.get("exclude_automations"))


def _well_formed(raw: Any, known: dict[str, Container[int]]) -> bool:
    """Whether a contact is valid exactly as sent (the common case, checked with as little work as possible).

    Such a contact is already an import row: a stripped email, text details, non-empty tag names and
    integer ids of existing fields and lists.
    """
    if type(raw) is not dict:
        return False
    email = raw.get("email")
    if type(email) is not str or _EMAIL.fullmatch(email) is None or email != email.strip():
        return False
    for key in DETAIL_KEYS:
        value = raw.get(key)
        if value is not None and type(value) is not str:
            return False
    tags = raw.get("tags")
    if tags is not None and (type(tags) is not list or not all(type(t) is str and t.strip() for t in tags)):
        return False
    for key, id_key in _REFERENCES:
        entries = raw.get(key)
        if entries is None:
            continue
        if type(entries) is not list:
            return False
        ids = known[key]
        for entry in entries:
            if type(entry) is not dict or type(entry.get(id_key)) is not int or entry[id_key] not in ids:
                return False
    return True


def _canonical(
    index: int, raw: Any, known: dict[str, Container[int]], reasons: list[Reason]
) -> dict[str, Any]:
    """The import row for a contact that needs conversion, appending every reason it is invalid."""

    def fail(text: str) -> None:
        """Record why this contact is invalid."""
        reasons.append({"contact": index, "failureReason": text})

    if not isinstance(raw, dict):
        fail("Contact must be a JSON object")
        return {}
    row: dict[str, Any] = {"email": _email(raw.get("email"), fail)}
    for key in DETAIL_KEYS:
        value = raw.get(key)
        if value is not None and not isinstance(value, _SCALARS):
            fail(f"Field '{key}' must be a string")
        elif value is not None:
            row[key] = str(value)
    tags = raw.get("tags")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags)
    ):
        fail("Field 'tags' must be an array of non-empty strings")
    elif tags is not None:
        row["tags"] = tags
    if "exclude_automations" in raw:
        row["exclude_automations"] = raw["exclude_automations"]
    for key, id_key in _REFERENCES:
        if raw.get(key) is not None:
            row[key] = _references(raw[key], key, id_key, known[key], fail)
    return row


def _email(value: Any, fail: Callable[[str], None]) -> str:
    """The stripped address, after checking it against ActiveCampaign's format rules."""
    if not isinstance(value, str) or not value.strip():
        fail("Field 'email' is required")
        return ""
    if not is_valid_email(value.strip()):
        fail("Field 'email' incorrect format")
    return value.strip()


def _references(
    entries: Any, key: str, id_key: str, ids: Container[int], fail: Callable[[str], None]
) -> list[dict[str, Any]]:
    """`fields` or `subscribe`/`unsubscribe` entries with integer ids of things that exist."""
    thing = "Custom field" if key == "fields" else "List"
    if not isinstance(entries, list):
        fail(f"Field '{key}' must be an array of objects with a numeric '{id_key}'")
        return []
    found = []
    for entry in entries:
        entry_id = as_id(entry.get(id_key) if isinstance(entry, dict) else None)
        if entry_id is None:
            fail(f"Each entry of '{key}' needs a numeric '{id_key}'")
        elif entry_id not in ids:
            fail(f"{thing} with id {entry_id} does not exist")
        else:
            found.append({**entry, id_key: entry_id})
    return found
