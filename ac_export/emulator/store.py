"""One ActiveCampaign account's state: its records and the indexes the API needs, in memory."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ac_export.emulator.entities import (
    ALL_LISTS,
    ENTITY_TYPES,
    SUBSCRIBED,
    UNSUBSCRIBED,
    Contact,
    ContactTag,
    CustomField,
    FieldRel,
    FieldValue,
    MailingList,
    Membership,
    Tag,
    Webhook,
    email_key,
    now_iso,
)

# Bulk import's snake_case contact keys and the contact attributes they set.
_IMPORT_DETAILS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "phone": "phone",
    "customer_acct_name": "orgname",
}


class DuplicateError(ValueError):
    """An entity that must be unique (contact email, field title, tag name) already exists."""


@dataclass
class Account:
    """All data of one account, with the indexes the API needs (by email, by list, by name)."""

    contacts: dict[int, Contact] = field(default_factory=dict)
    lists: dict[int, MailingList] = field(default_factory=dict)
    memberships: dict[tuple[int, int], Membership] = field(default_factory=dict)
    fields: dict[int, CustomField] = field(default_factory=dict)
    field_values: dict[tuple[int, int], FieldValue] = field(default_factory=dict)
    tags: dict[int, Tag] = field(default_factory=dict)
    contact_tags: dict[int, ContactTag] = field(default_factory=dict)
    exclusions: set[str] = field(default_factory=set)
    bounces: set[str] = field(default_factory=set)
    sequences: dict[str, int] = field(default_factory=dict)
    field_rels: dict[int, FieldRel] = field(default_factory=dict)
    webhooks: dict[int, Webhook] = field(default_factory=dict)
    # Collections the emulator only serves for reading (campaigns, deals, …), seeded by tests.
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resubscribed_after_opt_out: int = 0
    # Per contact id: how many of its imports would have started the account's automations.
    automations_started: Counter[int] = field(default_factory=Counter)
    automations_excluded: int = 0
    field_values_ignored: int = 0
    revision: int = 0
    _field_lists: dict[int, set[int]] = field(default_factory=dict, repr=False)
    _contact_by_email: dict[str, int] = field(default_factory=dict, repr=False)
    _members: dict[int, dict[int, Membership]] = field(default_factory=dict, repr=False)
    _tag_by_name: dict[str, int] = field(default_factory=dict, repr=False)
    _contact_tag_ids: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)
    _query_cache: dict[tuple[Any, ...], tuple[int, list[int]]] = field(default_factory=dict, repr=False)

    def next_id(self, sequence: str) -> int:
        """The next id of an entity type: 1, 2, 3, … as in a new account."""
        value = self.sequences.get(sequence, 0) + 1
        self.sequences[sequence] = value
        return value

    # Contacts
    def contact_by_email(self, email: str) -> Contact | None:
        """The contact with this address, case-insensitively."""
        contact_id = self._contact_by_email.get(email_key(email))
        return None if contact_id is None else self.contacts[contact_id]

    def create_contact(self, email: str, details: dict[str, str]) -> Contact:
        """A new contact; DuplicateError when the address exists."""
        if email_key(email) in self._contact_by_email:
            raise DuplicateError(email)
        stamp = now_iso()
        contact = Contact(self.next_id("contact"), email.strip(), "", "", "", "", stamp, stamp)
        if details:
            self._set_details(contact, details)
        self.contacts[contact.id] = contact
        self._contact_by_email[email_key(email)] = contact.id
        self.revision += 1
        return contact

    def update_contact(self, contact: Contact, details: dict[str, str]) -> None:
        """Overwrite the given details (first_name, last_name, phone, orgname) of a contact."""
        self._set_details(contact, details)
        contact.udate = now_iso()

    def change_email(self, contact: Contact, email: str) -> None:
        """Give a contact another address; DuplicateError when another contact has it."""
        new_key, old_key = email_key(email), email_key(contact.email)
        if new_key != old_key and new_key in self._contact_by_email:
            raise DuplicateError(email)
        del self._contact_by_email[old_key]
        self._contact_by_email[new_key] = contact.id
        contact.email = email.strip()
        self.revision += 1

    def delete_contact(self, contact_id: int) -> bool:
        """Remove a contact with its memberships, values and tags; False when there is no such contact."""
        contact = self.contacts.pop(contact_id, None)
        if contact is None:
            return False
        del self._contact_by_email[email_key(contact.email)]
        for list_id, members in self._members.items():
            if members.pop(contact_id, None) is not None:
                del self.memberships[(contact_id, list_id)]
        for key in [key for key in self.field_values if key[0] == contact_id]:
            del self.field_values[key]
        for contact_tag in self.tags_of(contact_id):
            self.untag(contact_tag.id)
        self.revision += 1
        return True

    def upsert_contact(self, email: str, details: dict[str, str]) -> tuple[Contact, bool]:
        """Update the contact with this address or create it; returns (contact, created)."""
        existing = self.contact_by_email(email)
        if existing is None:
            return self.create_contact(email, details), True
        self.update_contact(existing, details)
        return existing, False

    @staticmethod
    def _set_details(contact: Contact, details: dict[str, str]) -> None:
        for name, value in details.items():
            setattr(contact, name, "" if value is None else str(value))

    def import_row(self, row: dict[str, Any], stamp: str, fieldrels_required: bool = False) -> int:
        """Upsert one validated bulk import contact (details, fields, tags, lists); the contact's id."""
        # This runs once per imported contact (tens of thousands a second), so it works inline on the
        # indexes instead of calling the one-entity methods above; the effect is the same.
        email = row["email"]
        key = email.lower()
        contact_id = self._contact_by_email.get(key)
        if contact_id is None:
            contact_id = self.sequences["contact"] = self.sequences.get("contact", 0) + 1
            contact = Contact(contact_id, email, "", "", "", "", stamp, stamp)
            self.contacts[contact_id] = contact
            self._contact_by_email[key] = contact_id
        else:
            contact = self.contacts[contact_id]
            contact.udate = stamp
        if row.keys() & _IMPORT_DETAILS.keys():
            for source, target in _IMPORT_DETAILS.items():
                if row.get(source) is not None:
                    setattr(contact, target, row[source])
        for entry in row.get("fields") or ():
            field_id = entry["id"]
            if field_id not in self.fields:
                continue
            if fieldrels_required and not self.field_available(field_id, contact_id, _list_ids(row)):
                # ActiveCampaign keeps no value for a field that is not on any of the contact's lists.
                self.field_values_ignored += 1
                continue
            self._put_value(contact_id, field_id, entry.get("value"), stamp)
        for name in row.get("tags") or ():
            tag_id = self._tag_by_name.get(name.strip().lower()) or self.create_tag(name).id
            self.tag_contact(contact_id, tag_id, stamp)
        # A list deleted after the request was accepted is skipped: its memberships are gone.
        for entry in row.get("subscribe") or ():
            if entry["listid"] in self.lists:
                self._put_membership(contact_id, entry["listid"], SUBSCRIBED, False, 0, stamp)
        for entry in row.get("unsubscribe") or ():
            if entry["listid"] in self.lists:
                self._put_membership(contact_id, entry["listid"], UNSUBSCRIBED, False, 0, stamp)
        self.revision += 1
        return contact_id

    # Lists and memberships
    def create_list(
        self,
        name: str,
        stringid: str = "",
        sender_url: str = "",
        sender_reminder: str = "",
        channel: str = "email",
    ) -> MailingList:
        """A new list; ids count up from 1 in creation order."""
        stamp = now_iso()
        slug = stringid or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        mailing_list = MailingList(
            self.next_id("list"), name, slug, sender_url, sender_reminder, stamp, stamp, channel
        )
        self.lists[mailing_list.id] = mailing_list
        self._members[mailing_list.id] = {}
        return mailing_list

    def delete_list(self, list_id: int) -> bool:
        """Remove a list and its memberships; False when there is no such list."""
        if self.lists.pop(list_id, None) is None:
            return False
        for contact_id in self._members.pop(list_id, {}):
            del self.memberships[(contact_id, list_id)]
        self.revision += 1
        return True

    def empty_list(self, list_id: int) -> int:
        """Drop every membership of a list, as a restore from backup or a hand edit does; how many."""
        members = self._members.get(list_id, {})
        for contact_id in members:
            del self.memberships[(contact_id, list_id)]
        dropped = len(members)
        members.clear()
        self.revision += 1
        return dropped

    def set_membership(
        self, contact_id: int, list_id: int, status: int, by_contact: bool = False, sourceid: int = 0
    ) -> Membership:
        """Subscribe (1) or unsubscribe (2) a contact; only the contact's own unsubscribe is `by_contact`."""
        membership = self._put_membership(contact_id, list_id, status, by_contact, sourceid, now_iso())
        self.revision += 1
        return membership

    def _put_membership(
        self, contact_id: int, list_id: int, status: int, by_contact: bool, sourceid: int, stamp: str
    ) -> Membership:
        membership = self.memberships.get((contact_id, list_id))
        if membership is None:
            membership_id = self.sequences["membership"] = self.sequences.get("membership", 0) + 1
            membership = Membership(
                membership_id, contact_id, list_id, status, sourceid, by_contact, stamp, stamp
            )
            self.memberships[(contact_id, list_id)] = membership
            self._members[list_id][contact_id] = membership
            return membership
        if status == SUBSCRIBED and membership.by_contact:
            self.resubscribed_after_opt_out += 1
        # An exporter's unsubscribe must not erase the fact that the contact opted out first.
        membership.by_contact = by_contact or (status == UNSUBSCRIBED and membership.by_contact)
        membership.status, membership.sourceid, membership.udate = status, sourceid, stamp
        return membership

    def unsubscribed_from(self, contact_id: int, list_ids: list[int], by_contact_only: bool) -> bool:
        """Whether the contact is unsubscribed from any of these lists (by itself, when `by_contact_only`)."""
        for list_id in list_ids:
            membership = self.memberships.get((contact_id, list_id))
            if (
                membership is not None
                and membership.status == UNSUBSCRIBED
                and (membership.by_contact or not by_contact_only)
            ):
                return True
        return False

    def count_automations(self, contact_id: int, started: bool) -> None:
        """Record whether one import of this contact would have started the account's automations."""
        if started:
            self.automations_started[contact_id] += 1
        else:
            self.automations_excluded += 1

    def members_of(self, list_id: int) -> dict[int, Membership]:
        """The memberships of a list, by contact id."""
        return self._members.get(list_id, {})

    def memberships_of(self, contact_id: int) -> list[Membership]:
        """Every list membership of a contact."""
        return [members[contact_id] for members in self._members.values() if contact_id in members]

    # Custom fields and values
    def create_field(self, title: str, field_type: str, perstag: str = "", **extra: Any) -> CustomField:
        """A new custom field; DuplicateError when the title or personalization tag is taken."""
        tag = (perstag or re.sub(r"[^A-Z0-9]+", "_", title.upper()).strip("_")).upper()
        taken = {f.title.lower() for f in self.fields.values()}, {f.perstag for f in self.fields.values()}
        if title.lower() in taken[0] or tag in taken[1]:
            raise DuplicateError(title)
        custom_field = CustomField(
            self.next_id("field"),
            title,
            field_type,
            tag,
            str(extra.get("descript", "")),
            int(extra.get("isrequired", 0)),
            int(extra.get("visible", 1)),
            str(extra.get("defval", "")),
            now_iso(),
        )
        self.fields[custom_field.id] = custom_field
        return custom_field

    def create_field_rel(self, field_id: int, relid: int) -> FieldRel:
        """Make a field available on a list (`relid`) or on every list (0); DuplicateError if it is."""
        lists = self._field_lists.setdefault(field_id, set())
        if relid in lists:
            raise DuplicateError(f"field {field_id} on list {relid}")
        rel = FieldRel(self.next_id("field_rel"), field_id, relid, now_iso())
        self.field_rels[rel.id] = rel
        lists.add(relid)
        return rel

    def delete_field_rel(self, rel_id: int) -> bool:
        """Remove a field's relation to a list; False when there is no such relation."""
        rel = self.field_rels.pop(rel_id, None)
        if rel is None:
            return False
        self._field_lists[rel.field].discard(rel.relid)
        return True

    def field_available(self, field_id: int, contact_id: int, list_ids: list[int]) -> bool:
        """Whether a fieldRel puts the field on every list, on one of `list_ids` or on a contact's list."""
        lists = self._field_lists.get(field_id)
        if not lists:
            return False
        if ALL_LISTS in lists or not lists.isdisjoint(list_ids):
            return True
        return any(contact_id in self._members.get(list_id, {}) for list_id in lists)

    def field_by_perstag(self, perstag: str) -> CustomField | None:
        """The field with this personalization tag (case-insensitive, with or without `%`)."""
        wanted = perstag.strip("%").upper()
        return next((f for f in self.fields.values() if f.perstag == wanted), None)

    def field_values_of(self, contact_id: int) -> list[FieldValue]:
        """Every custom field value of a contact."""
        return [
            self.field_values[(contact_id, f)] for f in self.fields if (contact_id, f) in self.field_values
        ]

    def set_field_value(self, contact_id: int, field_id: int, value: Any) -> FieldValue:
        """Set a contact's value of a custom field."""
        return self._put_value(contact_id, field_id, value, now_iso())

    def _put_value(self, contact_id: int, field_id: int, value: Any, stamp: str) -> FieldValue:
        text = "" if value is None else str(value)
        existing = self.field_values.get((contact_id, field_id))
        if existing is None:
            value_id = self.sequences["field_value"] = self.sequences.get("field_value", 0) + 1
            existing = FieldValue(value_id, contact_id, field_id, text, stamp, stamp)
            self.field_values[(contact_id, field_id)] = existing
        else:
            existing.value, existing.udate = text, stamp
        return existing

    # Tags
    def create_tag(self, name: str, tag_type: str = "contact", description: str = "") -> Tag:
        """A new tag; DuplicateError when the name is taken (case-insensitively)."""
        if name.strip().lower() in self._tag_by_name:
            raise DuplicateError(name)
        tag = Tag(self.next_id("tag"), name.strip(), tag_type, description, now_iso())
        self.tags[tag.id] = tag
        self._tag_by_name[tag.tag.lower()] = tag.id
        return tag

    def rename_tag(self, tag: Tag, name: str) -> None:
        """Give a tag another name; DuplicateError when another tag has it (case-insensitively)."""
        new_key, old_key = name.strip().lower(), tag.tag.lower()
        if new_key != old_key and new_key in self._tag_by_name:
            raise DuplicateError(name)
        del self._tag_by_name[old_key]
        self._tag_by_name[new_key] = tag.id
        tag.tag = name.strip()

    def delete_tag(self, tag_id: int) -> bool:
        """Remove a tag and every application of it; False when there is no such tag."""
        tag = self.tags.pop(tag_id, None)
        if tag is None:
            return False
        del self._tag_by_name[tag.tag.lower()]
        for contact_tag in [ct for ct in self.contact_tags.values() if ct.tag == tag_id]:
            self.untag(contact_tag.id)
        self.revision += 1
        return True

    def tagged_with(self, tag_id: int) -> set[int]:
        """The ids of the contacts that carry this tag."""
        return {contact for contact, tag in self._contact_tag_ids if tag == tag_id}

    def tag_contact(self, contact_id: int, tag_id: int, stamp: str = "") -> ContactTag:
        """Apply a tag to a contact; applying it twice returns the first application."""
        existing = self._contact_tag_ids.get((contact_id, tag_id))
        if existing is not None:
            return self.contact_tags[existing]
        contact_tag = ContactTag(self.next_id("contact_tag"), contact_id, tag_id, stamp or now_iso())
        self.contact_tags[contact_tag.id] = contact_tag
        self._contact_tag_ids[(contact_id, tag_id)] = contact_tag.id
        return contact_tag

    def tags_of(self, contact_id: int) -> list[ContactTag]:
        """Every tag application of a contact."""
        found = (self._contact_tag_ids.get((contact_id, tag_id)) for tag_id in self.tags)
        return [self.contact_tags[ct] for ct in found if ct is not None]

    def untag(self, contact_tag_id: int) -> bool:
        """Remove a tag from a contact; False when there is no such contact tag."""
        contact_tag = self.contact_tags.pop(contact_tag_id, None)
        if contact_tag is None:
            return False
        del self._contact_tag_ids[(contact_tag.contact, contact_tag.tag)]
        self.revision += 1
        return True

    def field_value_by_id(self, value_id: int) -> FieldValue | None:
        """The custom field value with this id."""
        return next((v for v in self.field_values.values() if v.id == value_id), None)

    def delete_field_value(self, value_id: int) -> bool:
        """Remove one custom field value; False when there is no such value."""
        found = self.field_value_by_id(value_id)
        if found is None:
            return False
        del self.field_values[(found.contact, found.field)]
        return True

    # Webhooks
    def create_webhook(
        self, name: str, url: str, events: list[str], sources: list[str], listid: int
    ) -> Webhook:
        """A new webhook (stored, never called)."""
        webhook = Webhook(self.next_id("webhook"), name, url, events, sources, listid, now_iso())
        self.webhooks[webhook.id] = webhook
        return webhook

    # Queries
    def contact_ids(self, list_id: int | None, status: int, email: str | None) -> list[int]:
        """Ids (ascending) of contacts matching the filters of `GET /contacts`, cached per revision."""
        key = (list_id, status, email_key(email) if email is not None else None)
        cached = self._query_cache.get(key)
        if cached is not None and cached[0] == self.revision:
            return cached[1]
        ids = self._matching_ids(list_id, status, key[2])
        if len(self._query_cache) > 32:
            self._query_cache.clear()
        self._query_cache[key] = (self.revision, ids)
        return ids

    def _matching_ids(self, list_id: int | None, status: int, email: str | None) -> list[int]:
        if email is not None:
            found = self._contact_by_email.get(email)
            candidates = [] if found is None else [found]
        elif list_id is not None:
            candidates = sorted(self._members.get(list_id, {}))
        else:
            candidates = list(self.contacts)
        if list_id is not None:
            members = self._members.get(list_id, {})
            candidates = [c for c in candidates if c in members and status in (-1, members[c].status)]
        elif status != -1:
            with_status = {m.contact for m in self.memberships.values() if m.status == status}
            candidates = [c for c in candidates if c in with_status]
        return candidates

    @staticmethod
    def after_id(ids: list[int], id_greater: int) -> list[int]:
        """The ids above `id_greater` (ids are ascending)."""
        return ids[bisect.bisect_right(ids, id_greater) :]

    # Snapshot
    def to_snapshot(self) -> dict[str, Any]:
        """Everything needed to rebuild the account, as JSON-ready values (orjson encodes dataclasses)."""
        return {
            "contacts": list(self.contacts.values()),
            "lists": list(self.lists.values()),
            "memberships": list(self.memberships.values()),
            "fields": list(self.fields.values()),
            "field_values": list(self.field_values.values()),
            "tags": list(self.tags.values()),
            "contact_tags": list(self.contact_tags.values()),
            "field_rels": list(self.field_rels.values()),
            "webhooks": list(self.webhooks.values()),
            "records": self.records,
            "exclusions": sorted(self.exclusions),
            "bounces": sorted(self.bounces),
            "sequences": self.sequences,
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> Account:
        """Rebuild an account, indexes included, from `to_snapshot()` output."""
        rows = {name: [kind(**row) for row in data.get(name, [])] for name, kind in ENTITY_TYPES.items()}
        account = cls(
            exclusions=set(data.get("exclusions", [])),
            bounces=set(data.get("bounces", [])),
            sequences=dict(data.get("sequences", {})),
            records={name: list(rows) for name, rows in data.get("records", {}).items()},
        )
        account.webhooks = {w.id: w for w in rows["webhooks"]}
        account.contacts = {c.id: c for c in rows["contacts"]}
        account._contact_by_email = {email_key(c.email): c.id for c in rows["contacts"]}
        account.lists = {lst.id: lst for lst in rows["lists"]}
        account._members = {lst.id: {} for lst in rows["lists"]}
        for membership in rows["memberships"]:
            account.memberships[(membership.contact, membership.list)] = membership
            account._members[membership.list][membership.contact] = membership
        account.fields = {f.id: f for f in rows["fields"]}
        account.field_values = {(v.contact, v.field): v for v in rows["field_values"]}
        account.tags = {t.id: t for t in rows["tags"]}
        account._tag_by_name = {t.tag.lower(): t.id for t in rows["tags"]}
        account.contact_tags = {t.id: t for t in rows["contact_tags"]}
        account._contact_tag_ids = {(t.contact, t.tag): t.id for t in rows["contact_tags"]}
        account.field_rels = {r.id: r for r in rows["field_rels"]}
        for rel in rows["field_rels"]:
            account._field_lists.setdefault(rel.field, set()).add(rel.relid)
        return account


def _list_ids(row: dict[str, Any]) -> list[int]:
    """The lists a bulk import row subscribes or unsubscribes the contact to."""
    return [entry["listid"] for key in ("subscribe", "unsubscribe") for entry in row.get(key) or ()]
