"""Bulk import processing: asynchronous statuses, upserts, lists, tags, fields, and refused contacts."""

from __future__ import annotations

import time

import httpx
import pytest

from ac_export_tests.emulator.helpers import bulk, completed, contact_by_email, imported, new_field, new_list
from ac_export_tests.support.emulator import EmulatorHandle

OPTED_OUT = "Contacts may not be subscribed to lists which they have previously unsubscribed from"


@pytest.mark.parametrize("key", ["Success", "success"])
def test_queued_answer_has_the_reference_shape(fast: EmulatorHandle, api: httpx.Client, key: str) -> None:
    fast.configure(success_key=key)
    body = bulk(api, [{"email": "a@example.com"}, {"email": "b@example.com"}]).json()
    assert set(body) == {key, "queued_contacts", "batchId", "message"}
    assert (body[key], body["queued_contacts"], body["message"]) == (1, 2, "Contact import queued")
    assert len(body["batchId"]) == 36


def test_status_goes_false_waiting_claimed_active_completed(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(processing_delay=1.6)
    batch_id = bulk(api, [{"email": "a@example.com"}]).json()["batchId"]
    seen: list[object] = []
    while not seen or seen[-1] != "completed":
        status = api.get("/import/info", params={"batchId": batch_id}).json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        time.sleep(0.02)
    assert seen == [False, "waiting", "claimed", "active", "completed"]


def test_contacts_apply_only_when_the_batch_completes(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(processing_delay=2.0)
    batch_id = bulk(api, [{"email": "a@example.com"}]).json()["batchId"]
    early = api.get("/import/info", params={"batchId": batch_id}).json()
    assert early == {"status": False, "success": [], "failure": []}
    assert contact_by_email(api, "a@example.com") is None
    assert completed(api, batch_id)["success"] == ["1"]
    assert contact_by_email(api, "a@example.com") is not None


def test_batches_apply_in_submission_order(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(processing_delay=1.0)
    first = bulk(api, [{"email": "a@example.com", "first_name": "First"}]).json()["batchId"]
    fast.configure(processing_delay=0.0)
    second = bulk(api, [{"email": "A@example.com", "first_name": "Second"}]).json()["batchId"]
    assert api.get("/import/info", params={"batchId": second}).json()["status"] != "completed"
    completed(api, second)
    assert completed(api, first)["status"] == "completed"
    contact = contact_by_email(api, "a@example.com")
    assert contact is not None and contact["firstName"] == "Second"


def test_upsert_by_email_is_case_insensitive_and_success_lists_ids(api: httpx.Client) -> None:
    first = imported(api, [{"email": "Jane@Example.com", "first_name": "Jane"}])
    second = imported(api, [{"email": "jane@example.com", "last_name": "Doe"}, {"email": "new@example.com"}])
    assert first["success"] == ["1"]
    assert second == {"status": "completed", "success": ["1", "2"], "failure": []}
    contact = contact_by_email(api, "JANE@example.com")
    assert contact is not None
    assert (contact["email"], contact["firstName"], contact["lastName"]) == (
        "Jane@Example.com",
        "Jane",
        "Doe",
    )


def test_subscribe_unsubscribe_tags_and_fields(fast: EmulatorHandle, api: httpx.Client) -> None:
    news, promo = new_list(api, "News"), new_list(api, "Promo")
    tier = new_field(api, "TIER")
    row = {
        "email": "a@example.com", "first_name": "A", "phone": "+12025550143", "customer_acct_name": "Acme",
        "tags": ["vip", "Gold"], "fields": [{"id": tier, "value": "||foo||bar||"}],
        "subscribe": [{"listid": news}, {"listid": promo}],
    }  # fmt: skip
    contact_id = imported(api, [row])["success"][0]
    imported(api, [{"email": "a@example.com", "tags": ["VIP"], "unsubscribe": [{"listid": promo}]}])
    assert fast.list_members(news) == {"a@example.com"}
    assert fast.list_members(promo, status=2) == {"a@example.com"}
    assert sorted(t["tag"] for t in api.get("/tags").json()["tags"]) == ["Gold", "vip"]
    assert len(api.get(f"/contacts/{contact_id}/contactTags").json()["contactTags"]) == 2
    values = api.get(f"/contacts/{contact_id}/fieldValues").json()["fieldValues"]
    assert [(v["field"], v["value"]) for v in values] == [(str(tier), "||foo||bar||")]
    contact = api.get(f"/contacts/{contact_id}").json()["contact"]
    assert (contact["phone"], contact["orgname"]) == ("+12025550143", "Acme")


def test_excluded_and_bounced_addresses_fail(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.exclude("Excluded@example.com")
    fast.bounce("bounced@example.com")
    rows = [{"email": "excluded@example.com"}, {"email": "ok@example.com"}, {"email": "BOUNCED@example.com"}]
    info = imported(api, rows)
    assert info == {
        "status": "completed",
        "success": ["1"],
        "failure": ["excluded@example.com", "BOUNCED@example.com"],
    }


def test_bounce_marks_existing_subscriptions_bounced(fast: EmulatorHandle, api: httpx.Client) -> None:
    news = new_list(api, "News")
    imported(api, [{"email": "a@example.com", "subscribe": [{"listid": news}]}])
    fast.bounce("a@example.com")
    assert fast.list_members(news) == set()
    assert fast.list_members(news, status=3) == {"a@example.com"}


def test_self_unsubscribed_contact_is_never_resubscribed_by_import(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    news, promo = new_list(api, "News"), new_list(api, "Promo")
    imported(api, [{"email": "a@example.com", "first_name": "A", "subscribe": [{"listid": news}]}])
    fast.optout("a@example.com", news)
    refused = bulk(
        api, [{"email": "a@example.com", "first_name": "Changed", "subscribe": [{"listid": news}]}]
    )
    info = completed(api, refused.json()["batchId"])
    assert info["failure"] == ["a@example.com"]
    assert fast.batch(refused.json()["batchId"])["failures"] == [
        {"email": "a@example.com", "reason": OPTED_OUT}
    ]
    assert fast.list_members(news, status=2) == {"a@example.com"}
    contact = contact_by_email(api, "a@example.com")
    assert contact is not None and contact["firstName"] == "A"
    other = imported(api, [{"email": "a@example.com", "subscribe": [{"listid": promo}]}])
    assert other["failure"] == [] and fast.list_members(promo) == {"a@example.com"}


def test_exporter_unsubscribe_keeps_a_self_opt_out(fast: EmulatorHandle, api: httpx.Client) -> None:
    news = new_list(api, "News")
    imported(api, [{"email": "a@example.com", "subscribe": [{"listid": news}]}])
    fast.optout("a@example.com", news)
    imported(api, [{"email": "a@example.com", "unsubscribe": [{"listid": news}]}])
    assert imported(api, [{"email": "a@example.com", "subscribe": [{"listid": news}]}])["failure"] == [
        "a@example.com"
    ]


def test_contact_limit_refuses_new_contacts_only(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(contact_limit=2)
    info = imported(api, [{"email": f"p{i}@example.com"} for i in range(3)] + [{"email": "P0@example.com"}])
    assert info["success"] == ["1", "2", "1"]
    assert info["failure"] == ["p2@example.com"]
    late = imported(api, [{"email": "late@example.com"}, {"email": "p1@example.com", "first_name": "Still"}])
    assert (late["success"], late["failure"]) == (["2"], ["late@example.com"])
    assert fast.stats()["contacts"] == 2


def test_batch_detail_gives_every_reason(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.exclude("x@example.com")
    fast.bounce("b@example.com")
    fast.configure(contact_limit=0)
    batch_id = bulk(api, [{"email": "x@example.com"}, {"email": "b@example.com"}, {"email": "n@example.com"}])
    completed(api, batch_id.json()["batchId"])
    detail = fast.batch(batch_id.json()["batchId"])
    assert detail["status"] == "completed" and detail["size"] == 3
    assert [f["reason"] for f in detail["failures"]] == [
        "The email address is on the account's exclusion list.",
        "The email address has bounced.",
        "Contacts may not exceed your account limit",
    ]


def test_import_info_needs_a_known_batch_id(api: httpx.Client) -> None:
    missing = api.get("/import/info")
    assert missing.status_code == 400
    assert missing.json() == {"success": 0, "message": "'batchId' is a required field."}
    assert api.get("/import/info", params={"batchId": "nope"}).status_code == 404


def test_daily_aggregates(fast: EmulatorHandle, api: httpx.Client) -> None:
    imported(api, [{"email": "a@example.com"}, {"email": "b@example.com"}])
    fast.configure(processing_delay=60)
    bulk(api, [{"email": "c@example.com"}])
    body = api.get("/import/bulk_import").json()
    assert [(d["batches"], d["contacts"]) for d in body["recentlyCompleted"]] == [("1", "2")]
    assert [(d["batches"], d["contacts"]) for d in body["outstanding"]] == [("1", "1")]
    assert len(body["outstanding"][0]["forDate"]) == 10
