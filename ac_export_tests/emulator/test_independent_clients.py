"""The streams of two ActiveCampaign clients nobody here wrote, run against the emulator as they send them.

The requests are encoded as data, taken from the clients' stream definitions (never their code):
- singer-io/tap-activecampaign (`tap_activecampaign/streams.py`, `client.py`): a token check on
  `GET /api/3/`, then per stream `?offset=N&limit=100[&filters[updated_after]=<bookmark>]` built by hand
  (`'&'.join('%s=%s')`, nothing encoded), paging `while offset <= meta.total` (the page size when the
  total is 0), records under the stream's data key, each needing a truthy `id` and, for incremental
  streams, its replication key (or the creation key in its place).
- airbytehq/airbyte `source-activecampaign/manifest.yaml`: a check stream (`campaigns`), then per stream
  `?limit=20&offset=N` (OffsetIncrement, page size 20) until a page has fewer than 20 records, records
  under the stream's name, validated against the manifest's schemas (`required` keys).
Each stream must terminate, read every record exactly once, and find the keys its client reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

import httpx
import pytest

from ac_export_tests.emulator.helpers import imported, new_field, new_list
from ac_export_tests.support.emulator import EmulatorHandle, running_emulator

CONTACTS = 230  # more than two of the Singer tap's pages, eleven and a half of Airbyte's
OLD_CONTACTS = 30  # updated before the Singer bookmark below
SINGER_START, SINGER_BOOKMARK = "2019-01-01T00:00:00Z", "2021-01-01T00:00:00+00:00"
RECORDS = {
    "campaigns": 25,
    "deals": 3,
    "segments": 2,
    "forms": 2,
    "accounts": 2,
    "automations": 2,
    "messages": 2,
}


class SingerStream(NamedTuple):
    """A stream of the Singer tap: path, data key, replication key, creation key, bookmark parameter."""

    name: str
    path: str
    data_key: str
    replication_key: str | None = None
    created_key: str | None = None
    bookmark_param: str | None = None


SINGER_STREAMS = (
    SingerStream("accounts", "accounts", "accounts", "updated_timestamp", "created_timestamp"),
    SingerStream("automations", "automations", "automations", "mdate", "cdate"),
    SingerStream("campaigns", "campaigns", "campaigns", "updated_timestamp", "created_timestamp"),
    SingerStream(
        "contacts", "contacts", "contacts", "updated_timestamp", "created_timestamp", "filters[updated_after]"
    ),
    SingerStream("contact_custom_fields", "fields", "fields"),
    SingerStream("contact_custom_field_options", "fields", "fieldOptions"),
    SingerStream("contact_custom_field_rels", "fields", "fieldRels"),
    SingerStream("contact_custom_field_values", "fieldValues", "fieldValues", "udate", "cdate"),
    SingerStream("contact_lists", "contactLists", "contactLists", "updated_timestamp", "created_timestamp"),
    SingerStream("contact_tags", "contactTags", "contactTags", "updated_timestamp", "created_timestamp"),
    SingerStream("deals", "deals", "deals", "mdate", "cdate"),
    SingerStream("forms", "forms", "forms", "udate", "cdate"),
    SingerStream("lists", "lists", "lists", "updated_timestamp", "created_timestamp"),
    SingerStream("messages", "messages", "messages", "mdate", "cdate"),
    SingerStream("segments", "segments", "segments"),
    SingerStream("tags", "tags", "tags"),
    SingerStream("users", "users", "users"),
    SingerStream("webhooks", "webhooks", "webhooks"),
)
# The tap's streams of objects the emulator holds nothing about, served as generic collections:
# (stream, path and data key, replication key). Its one child stream, `ecommerce_order_products`
# (`ecomOrders/{id}/orderProducts`), is not served.
SINGER_GENERIC = (
    ("account_contacts", "accountContacts", "updated_timestamp"),
    ("account_custom_fields", "accountCustomFieldMeta", "updated_timestamp"),
    ("account_custom_field_values", "accountCustomFieldData", "updated_timestamp"),
    ("activities", "activities", "tstamp"),
    ("addresses", "addresses", None),
    ("automation_blocks", "automationBlocks", "mdate"),
    ("bounce_logs", "bounceLogs", "updated_timestamp"),
    ("brandings", "brandings", None),
    ("calendars", "calendars", "mdate"),
    ("campaign_links", "links", "updated_timestamp"),
    ("campaign_lists", "campaignLists", None),
    ("campaign_messages", "campaignMessages", None),
    ("configs", "configs", "updated_timestamp"),
    ("contact_automations", "contactAutomations", "lastdate"),
    ("contact_conversions", "contactConversions", "cdate"),
    ("contact_data", "contactData", "tstamp"),
    ("contact_deals", "contactDeals", "updated_timestamp"),
    ("contact_emails", "contactEmails", "sdate"),
    ("conversion_triggers", "conversionTriggers", "udate"),
    ("conversions", "conversions", "udate"),
    ("deal_activities", "dealActivities", "cdate"),
    ("deal_custom_field_values", "dealCustomFieldData", "updated_timestamp"),
    ("deal_custom_fields", "dealCustomFieldMeta", "updated_timestamp"),
    ("deal_group_users", "dealGroupUsers", None),
    ("deal_groups", "dealGroups", "udate"),
    ("deal_stages", "dealStages", "udate"),
    ("ecommerce_connections", "connections", "udate"),
    ("ecommerce_customers", "ecomCustomers", "tstamp"),
    ("ecommerce_order_activities", "ecomOrderActivities", "updated_date"),
    ("ecommerce_orders", "ecomOrders", "updated_date"),
    ("email_activities", "emailActivities", "tstamp"),
    ("goals", "goals", None),
    ("groups", "groups", None),
    ("saved_responses", "savedResponses", "mdate"),
    ("scores", "scores", "mdate"),
    ("site_messages", "siteMessages", "ldate"),
    ("sms", "sms", "tstamp"),
    ("task_types", "dealTasktypes", None),
    ("tasks", "dealTasks", "udate"),
    ("templates", "templates", "mdate"),
)
GENERIC_RECORDS = {path: 120 if path == "emailActivities" else 2 for _, path, _ in SINGER_GENERIC}
# How many records each Singer stream must read from the account seeded below.
SINGER_EXPECTED = {
    **RECORDS,
    "contacts": CONTACTS,
    "contact_custom_fields": 2,
    "contact_custom_field_options": 0,
    "contact_custom_field_rels": 2,
    "contact_custom_field_values": CONTACTS,
    "contact_lists": CONTACTS + 1,
    "contact_tags": CONTACTS,
    "lists": 2,
    "tags": 1,
    "users": 1,
    "webhooks": 1,
}
# Keys the tap's contacts schema types as integers: its transformer must be able to read them as such.
SINGER_CONTACT_INTEGERS = (
    "id",
    "bounced_hard",
    "bounced_soft",
    "sentcnt",
    "gravatar",
    "deleted",
    "anonymized",
)

AIRBYTE_CONTACT_REQUIRED = [
    "cdate",
    "email",
    "phone",
    "firstName",
    "lastName",
    "orgid",
    "orgname",
    "segmentio_id",
    "bounced_hard",
    "bounced_soft",
    "bounced_date",
    "ip",
    "ua",
    "hash",
    "socialdata_lastcheck",
    "email_local",
    "email_domain",
    "sentcnt",
    "rating_tstamp",
    "gravatar",
    "deleted",
    "anonymized",
    "adate",
    "udate",
    "edate",
    "deleted_at",
    "created_utc_timestamp",
    "updated_utc_timestamp",
    "created_timestamp",
    "updated_timestamp",
    "created_by",
    "updated_by",
    "email_empty",
    "mpp_tracking",
    "scoreValues",
    "accountContacts",
    "links",
    "id",
    "organization",
]
AIRBYTE_CONTACT_LINKS_REQUIRED = [
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
]
AIRBYTE_CAMPAIGN_REQUIRED = [
    "type",
    "userid",
    "segmentid",
    "bounceid",
    "realcid",
    "sendid",
    "threadid",
    "seriesid",
    "formid",
    "basetemplateid",
    "basemessageid",
    "addressid",
    "source",
    "name",
    "cdate",
    "mdate",
    "sdate",
    "ldate",
    "send_amt",
    "total_amt",
    "opens",
    "uniqueopens",
    "linkclicks",
    "uniquelinkclicks",
    "subscriberclicks",
    "forwards",
    "uniqueforwards",
    "hardbounces",
    "softbounces",
    "unsubscribes",
    "unsubreasons",
    "updates",
    "socialshares",
    "replies",
    "uniquereplies",
    "status",
    "public",
    "mail_transfer",
    "mail_send",
    "mail_cleanup",
    "mailer_log_file",
    "tracklinks",
    "tracklinksanalytics",
    "trackreads",
    "trackreadsanalytics",
    "analytics_campaign_name",
    "tweet",
    "facebook",
    "survey",
    "embed_images",
    "htmlunsub",
    "textunsub",
    "htmlunsubdata",
    "textunsubdata",
    "recurring",
    "willrecur",
    "split_type",
    "split_content",
    "split_offset",
    "split_offset_type",
    "split_winner_messageid",
    "split_winner_awaiting",
    "responder_offset",
    "responder_type",
    "responder_existing",
    "reminder_field",
    "reminder_format",
    "reminder_type",
    "reminder_offset",
    "reminder_offset_type",
    "reminder_offset_sign",
    "reminder_last_cron_run",
    "activerss_interval",
    "activerss_url",
    "activerss_items",
    "ip4",
    "laststep",
    "managetext",
    "schedule",
    "scheduleddate",
    "waitpreview",
    "deletestamp",
    "replysys",
    "links",
    "id",
    "user",
    "automation",
]
AIRBYTE_CAMPAIGN_LINKS_REQUIRED = (
    "user",
    "automation",
    "campaignMessage",
    "campaignMessages",
    "links",
    "campaignLists",
)
# Airbyte's streams: (stream and record field, required keys, required keys of `links`).
AIRBYTE_STREAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "campaigns": (tuple(AIRBYTE_CAMPAIGN_REQUIRED), AIRBYTE_CAMPAIGN_LINKS_REQUIRED),
    "contacts": (tuple(AIRBYTE_CONTACT_REQUIRED), tuple(AIRBYTE_CONTACT_LINKS_REQUIRED)),
    "lists": (("id",), ()),
    "deals": (("id",), ()),
    "segments": (("id",), ()),
    "forms": (("id",), ()),
    "accounts": (("id",), ()),
}
AIRBYTE_EXPECTED = {**RECORDS, "contacts": CONTACTS, "lists": 2}


@pytest.fixture(scope="module")
def account() -> Iterator[EmulatorHandle]:
    """One emulator with an account both clients can read: contacts, lists, fields, tags and records."""
    with running_emulator("--no-rate-limit", "--processing-delay", "0") as handle, handle.api() as api:
        _seed(handle, api)
        yield handle


def _seed(handle: EmulatorHandle, api: httpx.Client) -> None:
    news, _ = new_list(api, "News"), new_list(api, "Offers")
    api.post("/lists", json={"list": {"name": "Texts", "channel": "sms"}})
    tier, _ = new_field(api, "TIER"), new_field(api, "CITY")
    rows = [
        {
            "email": f"p{n}@example.com",
            "first_name": f"P{n}",
            "tags": ["vip"],
            "subscribe": [{"listid": news}],
        }
        | {"fields": [{"id": tier, "value": "gold"}]}
        for n in range(CONTACTS)
    ]
    imported(api, rows)
    imported(api, [{"email": "p0@example.com", "unsubscribe": [{"listid": 2}]}])
    for n in range(OLD_CONTACTS):
        stamps = {"udate": "2020-06-01T00:00:00+00:00"}
        assert httpx.post(
            f"{handle.base_url}/_emulator/contacts/p{n}@example.com/dates", json=stamps
        ).is_success
    for collection, count in RECORDS.items():
        records = [{"name": f"{collection} {n}", "title": f"{collection} {n}"} for n in range(count)]
        assert httpx.post(
            f"{handle.base_url}/_emulator/records/{collection}", json={"records": records}
        ).is_success
    for _, path, replication_key in SINGER_GENERIC:
        stamp = {replication_key: "2024-05-01 10:00:00"} if replication_key else {}
        generic = [{**stamp, "n": n} for n in range(GENERIC_RECORDS[path])]
        assert httpx.post(f"{handle.base_url}/_emulator/records/{path}", json={"records": generic}).is_success
    hook = {
        "name": "Leavers",
        "url": "https://hooks.example/ac",
        "events": ["unsubscribe"],
        "sources": ["public"],
    }
    assert api.post("/webhooks", json={"webhook": hook}).status_code == 201


def singer_sync(api: httpx.Client, stream: SingerStream, bookmark: str) -> tuple[list[dict[str, Any]], int]:
    """The records one Singer stream reads, paging as the tap does, and how many requests it took."""
    offset, limit, total_records, requests = 0, 100, 0, 0
    records: list[dict[str, Any]] = []
    while offset <= total_records:
        params = {
            "offset": offset,
            "limit": limit,
            **({stream.bookmark_param: bookmark} if stream.bookmark_param else {}),
        }
        querystring = "&".join(f"{key}={value}" for key, value in params.items())
        response = api.get(f"{stream.path}?{querystring}")
        assert response.status_code == 200, f"{stream.name}: {response.status_code} {response.text[:200]}"
        data = response.json()
        rows = data.get(stream.data_key, [])
        records += [rows] if isinstance(rows, dict) else rows
        api_total = int(data.get("meta", {}).get("total", 0))
        total_records = api_total if api_total else len(rows)
        offset, requests = offset + limit, requests + 1
        assert requests <= 10, f"{stream.name}: the tap would page forever"
    return records, requests


def _is_time(value: Any) -> bool:
    """Whether a stamp reads as a time, after the tap's own fix of zero dates to null."""
    if value is None or value == "0000-00-00 00:00:00":
        return True
    datetime.fromisoformat(str(value))
    return True


def test_the_singer_token_check_gets_a_200(account: EmulatorHandle) -> None:
    response = httpx.get(
        f"{account.base_url}/api/3/", headers={"Api-Token": account.api_key, "Accept": "application/json"}
    )
    assert response.status_code == 200 and isinstance(response.json(), dict)


@pytest.mark.parametrize("stream", SINGER_STREAMS, ids=lambda s: s.name)
def test_a_singer_stream_reads_every_record_once(account: EmulatorHandle, stream: SingerStream) -> None:
    with account.api() as api:
        records, _ = singer_sync(api, stream, SINGER_START)
    assert len(records) == SINGER_EXPECTED[stream.name]
    ids = [record.get("id") for record in records]
    assert all(ids) and len(set(ids)) == len(ids)
    if stream.replication_key:
        for record in records:
            stamp = record.get(stream.replication_key) or record.get(str(stream.created_key))
            assert stamp is not None, f"{stream.name}: no {stream.replication_key} in {record}"
            assert _is_time(stamp)


@pytest.mark.parametrize(
    ("name", "path", "replication_key"), SINGER_GENERIC, ids=[g[0] for g in SINGER_GENERIC]
)
def test_a_singer_stream_of_a_generic_collection_reads_every_record_once(
    account: EmulatorHandle, name: str, path: str, replication_key: str | None
) -> None:
    stream = SingerStream(name, path, path, replication_key)
    with account.api() as api:
        records, requests = singer_sync(api, stream, SINGER_START)
    assert len(records) == GENERIC_RECORDS[path] and requests == 1 + GENERIC_RECORDS[path] // 100
    assert len({record["id"] for record in records}) == len(records)
    if replication_key:
        assert all(_is_time(record[replication_key]) for record in records)


def test_singer_contacts_carry_what_its_schema_types(account: EmulatorHandle) -> None:
    with account.api() as api:
        records, requests = singer_sync(api, SINGER_STREAMS[3], SINGER_START)
    assert requests == 3  # offsets 0, 100, 200: the third page ends the loop
    for record in records:
        for key in SINGER_CONTACT_INTEGERS:
            int(record[key])
        for key in (
            "cdate",
            "udate",
            "created_timestamp",
            "updated_timestamp",
            "adate",
            "edate",
            "deleted_at",
        ):
            assert _is_time(record[key])


def test_singer_contacts_resume_from_the_bookmark_sent_unencoded(account: EmulatorHandle) -> None:
    # The bookmark's `+` is sent as is, so it reaches the server as a space: it must still bound the read.
    with account.api() as api:
        records, _ = singer_sync(api, SINGER_STREAMS[3], SINGER_BOOKMARK)
    assert len(records) == CONTACTS - OLD_CONTACTS
    assert {record["email"] for record in records} == {
        f"p{n}@example.com" for n in range(OLD_CONTACTS, CONTACTS)
    }


def airbyte_read(api: httpx.Client, stream: str) -> tuple[list[dict[str, Any]], str]:
    """The records one Airbyte stream reads (OffsetIncrement, page size 20) and the first page's total."""
    offset, records, totals = 0, [], []
    while True:
        response = api.get(f"/{stream}", params={"limit": 20, "offset": offset})
        assert response.status_code == 200, f"{stream}: {response.status_code} {response.text[:200]}"
        page = response.json()[stream]
        totals.append(response.json()["meta"]["total"])
        records += page
        if len(page) < 20:
            return records, totals[0]
        offset += 20
        assert offset <= 1000, f"{stream}: Airbyte would page forever"


def test_the_airbyte_check_stream_reads_campaigns(account: EmulatorHandle) -> None:
    with account.api() as api:
        response = api.get("/campaigns", params={"limit": 20, "offset": 0})
    assert response.status_code == 200 and isinstance(response.json()["campaigns"], list)


@pytest.mark.parametrize("stream", list(AIRBYTE_STREAMS))
def test_an_airbyte_stream_reads_every_record_with_its_required_keys(
    account: EmulatorHandle, stream: str
) -> None:
    required, links_required = AIRBYTE_STREAMS[stream]
    with account.api() as api:
        records, total = airbyte_read(api, stream)
    assert len(records) == AIRBYTE_EXPECTED[stream] == int(total)
    assert len({record["id"] for record in records}) == len(records)
    for record in records:
        assert [key for key in required if key not in record] == [], stream
        assert [key for key in links_required if key not in record["links"]] == [], stream
