"""The records of an ActiveCampaign account (contacts, lists, memberships, fields, tags) and their stamps."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

SUBSCRIBED, UNSUBSCRIBED = 1, 2
LIST_CHANNELS = ("email", "sms")
ALL_LISTS = 0  # the `relid` of a fieldRel that makes a field available on every list
FIELD_TYPES = (
    "text",
    "textarea",
    "date",
    "datetime",
    "dropdown",
    "listbox",
    "radio",
    "checkbox",
    "hidden",
    "number",
)


class _SecondClock:
    """Formats the time once per second: timestamps are written per contact in the import hot path."""

    def __init__(self) -> None:
        self.second, self.text = -1, ""

    def now(self) -> str:
        """The current second, formatted."""
        second = int(time.time())
        if second != self.second:
            self.second = second
            self.text = datetime.fromtimestamp(second).astimezone().isoformat(timespec="seconds")
        return self.text


_CLOCK = _SecondClock()


def now_iso() -> str:
    """The current local time as ActiveCampaign writes `cdate`/`udate` (seconds, with offset)."""
    return _CLOCK.now()


def email_key(email: str) -> str:
    """The key contacts are matched by: ActiveCampaign treats addresses case-insensitively."""
    return email.strip().lower()


@dataclass(slots=True)
class Contact:
    """A contact (ActiveCampaign's `Subscriber`)."""

    id: int
    email: str
    first_name: str
    last_name: str
    phone: str
    orgname: str
    cdate: str
    udate: str


@dataclass(slots=True)
class MailingList:
    """A list (ActiveCampaign's `_List`)."""

    id: int
    name: str
    stringid: str
    sender_url: str
    sender_reminder: str
    cdate: str
    udate: str
    # `email` or `sms`; state files written before lists had a channel load as email lists.
    channel: str = "email"


@dataclass(slots=True)
class Membership:
    """A contact's status on a list; `by_contact` marks an unsubscribe the contact made themselves."""

    id: int
    contact: int
    list: int
    status: int
    sourceid: int
    by_contact: bool
    cdate: str
    udate: str


@dataclass(slots=True)
class CustomField:
    """A custom contact field, known to users by its personalization tag."""

    id: int
    title: str
    type: str
    perstag: str
    descript: str
    isrequired: int
    visible: int
    defval: str
    cdate: str


@dataclass(slots=True)
class FieldValue:
    """A contact's value of one custom field."""

    id: int
    contact: int
    field: int
    value: str
    cdate: str
    udate: str


@dataclass(slots=True)
class FieldRel:
    """A custom field made available on a list (`relid`), or on every list (`relid` 0)."""

    id: int
    field: int
    relid: int
    cdate: str


@dataclass(slots=True)
class Tag:
    """A tag, created by name on first use."""

    id: int
    tag: str
    tag_type: str
    description: str
    cdate: str


@dataclass(slots=True)
class ContactTag:
    """A tag applied to a contact."""

    id: int
    contact: int
    tag: int
    cdate: str


@dataclass(slots=True)
class Webhook:
    """A webhook: stored and listed, never called (the emulator sends no outbound requests)."""

    id: int
    name: str
    url: str
    events: list[str]
    sources: list[str]
    listid: int
    cdate: str


ENTITY_TYPES: dict[str, type] = {
    "contacts": Contact,
    "lists": MailingList,
    "memberships": Membership,
    "fields": CustomField,
    "field_values": FieldValue,
    "field_rels": FieldRel,
    "tags": Tag,
    "contact_tags": ContactTag,
    "webhooks": Webhook,
}
