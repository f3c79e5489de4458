"""ActiveCampaign's JSON shapes: entities (ids as strings) and the error envelopes."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response

from ac_export.emulator.entities import (
    Contact,
    ContactTag,
    CustomField,
    FieldRel,
    FieldValue,
    MailingList,
    Membership,
    Tag,
    Webhook,
)

FORBIDDEN_MESSAGE = "You do not have permission to view this directory or page."
BULK_RATE_MESSAGES = {
    False: "Up to 100 imports may be requested per minute.Please batch contacts into larger requests, "
    "or retry this request in a minute.",
    True: "Up to 20 single-contact imports may be requested per minute.Please batch contacts into larger "
    "requests, or retry this request in a minute.",
}


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response encoded with orjson (dataclasses and all)."""
    return Response(orjson.dumps(content), status, headers, media_type="application/json")


def forbidden() -> Response:
    """ActiveCampaign's answer to a missing or wrong `Api-Token`."""
    return json_response({"message": FORBIDDEN_MESSAGE}, 403)


def not_found(entity: str, entity_id: Any) -> Response:
    """ActiveCampaign's 404, naming its internal entity (`_List`, `Subscriber`, …)."""
    return json_response({"message": f"No Result found for {entity} with id {entity_id}"}, 404)


def unprocessable(title: str, code: str, pointer: str, status: int = 422) -> Response:
    """ActiveCampaign's 422 error list for a refused single-entity write."""
    error = {"title": title, "detail": "", "code": code, "source": {"pointer": f"/data/attributes/{pointer}"}}
    return json_response({"errors": [error]}, status)


def bulk_failure(message: str, reasons: list[Any] | None = None) -> Response:
    """The bulk import 400 envelope (validation failures and the bulk rate limit)."""
    body: dict[str, Any] = {"success": 0, "message": message}
    if reasons is not None:
        body["failureReasons"] = reasons
    return json_response(body, 400)


# What `links` of a contact names, as the reference's example shows them.
_CONTACT_LINKS = (
    "bounceLogs",
    "contactAutomations",
    "contactData",
    "contactGoals",
    "contactLists",
    "contactLogs",
    "contactTags",
    "contactDeals",
    "deals",
    "fieldValues",
    "geoIps",
    "notes",
    "organization",
    "plusAppend",
    "trackingLogs",
    "scoreValues",
    "accountContacts",
    "automationEntryCounts",
)


def contact_json(contact: Contact, base_url: str = "") -> dict[str, Any]:
    """A contact as `GET /contacts` lists it: every key of the reference's contact object.

    Tracking data the emulator does not model (bounces per contact, IPs, scores, gravatars) has the
    values of a contact that has none, as in the reference's third example (nulls, "0" and "").
    """
    contact_url = f"{base_url}/api/3/contacts/{contact.id}"
    return {
        "cdate": contact.cdate,
        "email": contact.email,
        "phone": contact.phone,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "orgid": "0",
        "orgname": contact.orgname,
        "segmentio_id": "",
        "bounced_hard": "0",
        "bounced_soft": "0",
        "bounced_date": None,
        "ip": "0",
        "ua": None,
        "hash": hashlib.md5(contact.email.lower().encode(), usedforsecurity=False).hexdigest(),
        "socialdata_lastcheck": None,
        "email_local": "",
        "email_domain": "",
        "sentcnt": "0",
        "rating_tstamp": None,
        "gravatar": "0",
        "deleted": "0",
        "anonymized": "0",
        "adate": None,
        "udate": contact.udate,
        "edate": None,
        "deleted_at": None,
        "created_utc_timestamp": utc_timestamp(contact.cdate),
        "updated_utc_timestamp": utc_timestamp(contact.udate),
        "created_timestamp": timestamp(contact.cdate),
        "updated_timestamp": timestamp(contact.udate),
        "created_by": None,
        "updated_by": None,
        "email_empty": False,
        "mpp_tracking": "0",
        "scoreValues": [],
        "accountContacts": [],
        "links": {name: f"{contact_url}/{name}" for name in _CONTACT_LINKS},
        "id": str(contact.id),
        "organization": None,
    }


# Settings of a list the emulator does not model, with the values a new list has in the app.
_LIST_DEFAULTS: dict[str, Any] = {
    "p_use_tracking": "1",
    "p_use_analytics_read": "0",
    "p_use_analytics_link": "0",
    "p_use_twitter": "0",
    "p_use_facebook": "0",
    "p_embed_image": "1",
    "p_use_captcha": "1",
    "send_last_broadcast": "0",
    "private": "0",
    "analytics_domains": None,
    "analytics_source": "",
    "analytics_ua": "",
    "twitter_token": "",
    "twitter_token_secret": "",
    "facebook_session": None,
    "carboncopy": "",
    "subscription_notify": "",
    "unsubscription_notify": "",
    "require_name": "0",
    "get_unsubscribe_reason": "0",
    "to_name": "Subscriber",
    "optinoptout": "1",
    "sender_name": "",
    "sender_addr1": "",
    "sender_addr2": "",
    "sender_city": "",
    "sender_state": "",
    "sender_zip": "",
    "sender_country": "",
    "sender_phone": "",
    "fulladdress": "",
    "optinmessageid": "0",
    "optoutconf": "0",
    "deletestamp": None,
    "created_by": None,
    "updated_by": None,
}


def list_json(mailing_list: MailingList, base_url: str = "") -> dict[str, Any]:
    """A list with the fields of the reference's list object (ids and flags as strings, `links` URLs)."""
    list_url = f"{base_url}/api/3/lists/{mailing_list.id}"
    return {
        "stringid": mailing_list.stringid,
        "userid": "1",
        "name": mailing_list.name,
        "cdate": mailing_list.cdate,
        **_LIST_DEFAULTS,
        "sender_url": mailing_list.sender_url,
        "sender_reminder": mailing_list.sender_reminder,
        "udate": mailing_list.udate,
        "created_timestamp": timestamp(mailing_list.cdate),
        "updated_timestamp": timestamp(mailing_list.udate),
        "links": {
            "contactGoalLists": f"{list_url}/contactGoalLists",
            "user": f"{list_url}/user",
            "addressLists": f"{list_url}/addressLists",
        },
        "id": str(mailing_list.id),
        "user": "1",
        "channel": mailing_list.channel,
    }


def timestamp(iso: str) -> str:
    """`2018-08-06T16:30:41-05:00` as the list object's `2018-08-06 16:30:41`."""
    return iso[:19].replace("T", " ")


# Stamps are per second and shared by every contact written in it: convert each one once.
@functools.lru_cache(maxsize=4096)
def utc_timestamp(iso: str) -> str:
    """`2018-08-06T16:30:41-05:00` in UTC, as `2018-08-06 21:30:41` (the `*_utc_timestamp` keys)."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def field_rel_json(rel: FieldRel) -> dict[str, Any]:
    """A fieldRel as `GET /fieldRels` lists it (ids as strings; our choice, the reference shows none)."""
    return {
        "field": str(rel.field),
        "relid": str(rel.relid),
        "dorder": "0",
        "cdate": rel.cdate,
        "links": [],
        "id": str(rel.id),
    }


def membership_json(membership: Membership) -> dict[str, Any]:
    """A `contactList` (the status is a number, as in ActiveCampaign's example)."""
    return {
        "contact": str(membership.contact),
        "list": str(membership.list),
        "status": membership.status,
        "sourceid": str(membership.sourceid),
        "cdate": membership.cdate,
        "udate": membership.udate,
        "created_timestamp": timestamp(membership.cdate),
        "updated_timestamp": timestamp(membership.udate),
        "created_by": None,
        "updated_by": None,
        "id": str(membership.id),
    }


def field_json(custom_field: CustomField) -> dict[str, Any]:
    """A custom field as `GET /fields` shows it."""
    return {
        "title": custom_field.title,
        "descript": custom_field.descript,
        "type": custom_field.type,
        "isrequired": str(custom_field.isrequired),
        "perstag": custom_field.perstag,
        "defval": custom_field.defval,
        "visible": str(custom_field.visible),
        "ordernum": str(custom_field.id),
        "cdate": custom_field.cdate,
        "id": str(custom_field.id),
    }


def field_value_json(value: FieldValue) -> dict[str, Any]:
    """A contact's custom field value."""
    return {
        "contact": str(value.contact),
        "field": str(value.field),
        "value": value.value,
        "cdate": value.cdate,
        "udate": value.udate,
        "owner": str(value.contact),
        "id": str(value.id),
    }


def tag_json(tag: Tag) -> dict[str, Any]:
    """A tag."""
    return {
        "tagType": tag.tag_type,
        "tag": tag.tag,
        "description": tag.description,
        "cdate": tag.cdate,
        "id": str(tag.id),
    }


def contact_tag_json(contact_tag: ContactTag) -> dict[str, Any]:
    """A tag applied to a contact."""
    return {
        "contact": str(contact_tag.contact),
        "tag": str(contact_tag.tag),
        "cdate": contact_tag.cdate,
        "created_timestamp": timestamp(contact_tag.cdate),
        "updated_timestamp": timestamp(contact_tag.cdate),
        "created_by": None,
        "updated_by": None,
        "id": str(contact_tag.id),
    }


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    """A webhook as `/webhooks` shows it."""
    return {
        "cdate": webhook.cdate,
        "listid": str(webhook.listid),
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "sources": list(webhook.sources),
        "links": [],
        "id": str(webhook.id),
    }


def page_meta(total: int, **page_input: Any) -> dict[str, Any]:
    """The `meta` object of a collection: the total as a string, and the paging input echoed."""
    return {"total": str(total), "page_input": page_input} if page_input else {"total": str(total)}
