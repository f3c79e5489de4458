"""`GET /contacts` as *list-all-contacts* documents it: every filter and order, applied to the account."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.datastructures import QueryParams

from ac_export.emulator.entities import Contact
from ac_export.emulator.inputs import InputError
from ac_export.emulator.readings import Readings
from ac_export.emulator.store import Account

# `filters[<key>]` bounds on a contact's creation or update time: (stamp attribute, keeps later?).
DATE_FILTERS: dict[str, tuple[str, bool]] = {
    "created_before": ("cdate", False),
    "created_after": ("cdate", True),
    "updated_before": ("udate", False),
    "updated_after": ("udate", True),
}
# `orders[<key>]=ASC|DESC` on contacts and what each one sorts by (ties keep the id order).
ORDERS: dict[str, Callable[[Contact], Any]] = {
    "id": lambda c: c.id,
    "cdate": lambda c: datetime.fromisoformat(c.cdate),
    "email": lambda c: c.email.lower(),
    "first_name": lambda c: c.first_name.lower(),
    "last_name": lambda c: c.last_name.lower(),
    "name": lambda c: f"{c.first_name} {c.last_name}".strip().lower(),
    # The emulator keeps no scores: every contact scores the same, so the id order stands.
    "score": lambda c: 0,
}
_TEXT_FILTERS = ("search", "email_like", "phone")


def matching_contact_ids(account: Account, params: QueryParams, readings: Readings) -> list[int]:
    """The ids of the contacts the request's filters select, in the order its `orders[...]` ask for."""
    list_id, status = _int(params, "listid"), _int(params, "status")
    ids = account.contact_ids(list_id, -1 if status is None else status, params.get("email"))
    ids = _by_id(account, ids, params)
    tag_id = _int(params, "tagid")
    if tag_id:
        tagged = account.tagged_with(tag_id)
        ids = [cid for cid in ids if cid in tagged]
    if any(params.get(name) for name in _TEXT_FILTERS):
        ids = [cid for cid in ids if _text_match(account.contacts[cid], params)]
    for name, (attribute, later) in DATE_FILTERS.items():
        raw = params.get(f"filters[{name}]")
        if raw:
            keep = _bound_test(
                later, readings.date_bounds == "inclusive", parse_date(f"filters[{name}]", raw)
            )
            ids = [
                cid for cid in ids if keep(datetime.fromisoformat(getattr(account.contacts[cid], attribute)))
            ]
    return _ordered(account, ids, params)


def _int(params: QueryParams, name: str) -> int | None:
    """An integer query parameter, or InputError naming it."""
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"Query parameter {name!r} must be an integer, got {raw!r}.") from None


def _by_id(account: Account, ids: list[int], params: QueryParams) -> list[int]:
    """`id_greater`, `id_less`, `exclude` and `ids` (`ids=1,2`, `ids[]=1&ids[]=2`)."""
    id_greater, id_less, exclude = (
        _int(params, "id_greater"),
        _int(params, "id_less"),
        _int(params, "exclude"),
    )
    if id_greater is not None:
        ids = account.after_id(ids, id_greater)
    if id_less is not None:
        ids = [cid for cid in ids if cid < id_less]
    if exclude is not None:
        ids = [cid for cid in ids if cid != exclude]
    wanted = [part for key in ("ids", "ids[]") for value in params.getlist(key) for part in value.split(",")]
    if wanted:
        try:
            picked = {int(part) for part in wanted if part.strip()}
        except ValueError:
            raise InputError(f"Query parameter 'ids' must list integer ids, got {wanted!r}.") from None
        ids = [cid for cid in ids if cid in picked]
    return ids


def _text_match(contact: Contact, params: QueryParams) -> bool:
    """`search` (names, organization, phone or email), `email_like` (part of the email), `phone` (prefix)."""
    search = (params.get("search") or "").lower()
    haystack = (contact.first_name, contact.last_name, contact.orgname, contact.phone, contact.email)
    if search and not any(search in value.lower() for value in haystack):
        return False
    email_like = (params.get("email_like") or "").lower()
    if email_like and email_like not in contact.email.lower():
        return False
    return contact.phone.startswith(params.get("phone") or "")


def parse_date(name: str, raw: str) -> datetime:
    """A date filter's value: a date or an ISO 8601 time; without an offset, the account's local time.

    A `+` of an offset sent unencoded in a query string arrives as a space, as clients that build query
    strings by hand (the Singer tap) send it, so a space before a final `HH:MM` is read as a `+`.
    """
    text = raw.strip()
    candidates = [text]
    head, _, tail = text.rpartition(" ")
    if head and "T" in head and tail.replace(":", "").isdigit():
        candidates.append(f"{head}+{tail}")
    for candidate in candidates:
        try:
            parsed = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return parsed if parsed.tzinfo is not None else parsed.astimezone()
    raise InputError(
        f"Query parameter {name!r} must be a date (2024-01-31) or an ISO 8601 time "
        f"(2024-01-31T12:00:00-05:00), got {raw!r}."
    )


def _bound_test(later: bool, inclusive: bool, bound: datetime) -> Callable[[datetime], bool]:
    """Whether a stamp is on the kept side of the bound (the bound itself kept only when inclusive)."""
    if later:
        compare = operator.ge if inclusive else operator.gt
    else:
        compare = operator.le if inclusive else operator.lt
    return lambda stamp: bool(compare(stamp, bound))


def _ordered(account: Account, ids: list[int], params: QueryParams) -> list[int]:
    """The ids sorted by every known `orders[...]` (the first given is the main one); by id otherwise."""
    orders = [(key[7:-1], value) for key, value in params.multi_items() if key.startswith("orders[")]
    orders = [(key, value) for key, value in orders if key in ORDERS]
    if not orders:
        return ids
    ordered = list(ids)
    for key, direction in reversed(orders):
        by = ORDERS[key]
        ordered.sort(key=lambda cid: by(account.contacts[cid]), reverse=direction.strip().upper() == "DESC")
    return ordered
