"""Every reading of ActiveCampaign's ambiguous points, switched per test through `/_emulator/config`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ac_export.emulator.readings import READINGS, Readings
from ac_export_tests.emulator.helpers import bulk, call, completed, imported, new_field, new_list
from ac_export_tests.support.emulator import EmulatorHandle, running_emulator

OPTED_OUT = "Contacts may not be subscribed to lists which they have previously unsubscribed from"


def test_defaults_are_the_documented_readings(fast: EmulatorHandle) -> None:
    config = httpx.get(f"{fast.base_url}/_emulator/config").json()
    assert {reading.name: config[reading.name] for reading in READINGS} == {
        "resubscribe": "documented",
        "automations_flag": "per-contact",
        "failure_index": 0,
        "success_key": "Success",
        "lists_id_greater": "ignored",
        "fieldrels": "required",
        "lists_channel": "email",
        "lists_id_filter": "like",
        "date_bounds": "exclusive",
        "tag_search": "contains",
    }
    assert fast.stats()["readings"] == Readings().as_json()


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"resubscribe": "sometimes"}, "resubscribe"),
        ({"failure_index": 2}, "failure_index"),
        ({"failure_index": True}, "failure_index"),
        ({"success_key": "SUCCESS"}, "success_key"),
        ({"automations_flag": "top-level", "fieldrels": "maybe"}, "fieldrels"),
    ],
)
def test_a_bad_reading_is_refused_naming_it_and_nothing_changes(
    fast: EmulatorHandle, changes: dict[str, Any], named: str
) -> None:
    response = httpx.post(f"{fast.base_url}/_emulator/config", json=changes)
    assert response.status_code == 400 and named in response.json()["message"]
    assert fast.stats()["readings"] == Readings().as_json()


def test_readings_change_at_run_time_and_reset_restores_the_start_up_ones(fast: EmulatorHandle) -> None:
    assert fast.configure(failure_index="1", resubscribe="lenient")["failure_index"] == 1
    assert fast.stats()["readings"]["resubscribe"] == "lenient"
    fast.reset()
    assert fast.stats()["readings"] == Readings().as_json()


# Re-subscribing through bulk import
def _unsubscribed_by_the_account(api: httpx.Client, how: str) -> int:
    """a@example.com subscribed to a new list, then unsubscribed by an import or by contactLists."""
    list_id = new_list(api, "News")
    contact_id = int(
        imported(api, [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}])["success"][0]
    )
    if how == "import":
        imported(api, [{"email": "a@example.com", "unsubscribe": [{"listid": list_id}]}])
    else:
        body = {"contactList": {"list": list_id, "contact": contact_id, "status": 2}}
        assert call(api, "POST", "/contactLists", json=body).status_code == 200
    return list_id


@pytest.mark.parametrize("how", ["import", "contactLists"])
def test_documented_reading_refuses_an_import_resubscribing_anyone_unsubscribed(
    fast: EmulatorHandle, api: httpx.Client, how: str
) -> None:
    list_id = _unsubscribed_by_the_account(api, how)
    rows = [{"email": "a@example.com", "first_name": "New", "subscribe": [{"listid": list_id}]}]
    batch_id = bulk(api, rows).json()["batchId"]
    info = completed(api, batch_id)
    assert info["failure"] == ["a@example.com"] and info["success"] == []
    assert fast.batch(batch_id)["failures"] == [{"email": "a@example.com", "reason": OPTED_OUT}]
    assert fast.list_members(list_id) == set()
    # Only the single-contact path re-subscribes, and an account's own unsubscribe is no opt-out.
    contact_id = int(fast.contact("a@example.com")["id"])
    body = {"contactList": {"list": list_id, "contact": contact_id, "status": 1, "sourceid": 4}}
    assert call(api, "POST", "/contactLists", json=body).status_code == 200
    assert fast.list_members(list_id) == {"a@example.com"}
    assert fast.stats()["resubscribed_after_opt_out"] == 0


@pytest.mark.parametrize("how", ["import", "contactLists"])
def test_lenient_reading_lets_an_import_resubscribe_an_account_unsubscribe(
    fast: EmulatorHandle, api: httpx.Client, how: str
) -> None:
    fast.configure(resubscribe="lenient")
    list_id = _unsubscribed_by_the_account(api, how)
    info = imported(api, [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}])
    assert info["failure"] == []
    assert fast.list_members(list_id) == {"a@example.com"}


@pytest.mark.parametrize("reading", ["documented", "lenient"])
def test_a_self_opt_out_is_refused_under_every_reading(
    fast: EmulatorHandle, api: httpx.Client, reading: str
) -> None:
    fast.configure(resubscribe=reading)
    list_id = new_list(api, "News")
    imported(api, [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}])
    fast.optout("a@example.com", list_id)
    assert imported(api, [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}])["failure"] == [
        "a@example.com"
    ]
    assert fast.contact("a@example.com")["memberships"] == [
        {"list": str(list_id), "status": 2, "by_contact": True}
    ]


def test_documented_reading_still_imports_new_contacts_and_other_lists(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    list_id = _unsubscribed_by_the_account(api, "import")
    other = new_list(api, "Other")
    info = imported(api, [
        {"email": "a@example.com", "subscribe": [{"listid": other}]},
        {"email": "b@example.com", "subscribe": [{"listid": list_id}]},
    ])  # fmt: skip
    assert info["failure"] == [] and len(info["success"]) == 2
    assert fast.list_members(list_id) == {"b@example.com"}


# exclude_automations
EXCLUDE_CASES = [
    (True, True),
    ("true", True),
    ("TRUE", True),
    (1, True),
    ("1", True),
    (False, False),
    ("false", False),
    (0, False),
    ("banana", False),
    ("yes", False),
    (None, False),
]


def _automations(
    fast: EmulatorHandle, api: httpx.Client, rows: list[dict[str, Any]], **top: Any
) -> list[int]:
    imported(api, rows, **top)
    return [fast.contact(row["email"])["automations_started"] for row in rows]


@pytest.mark.parametrize(("value", "excluded"), EXCLUDE_CASES)
def test_per_contact_flag_is_read_strictly(
    fast: EmulatorHandle, api: httpx.Client, value: Any, excluded: bool
) -> None:
    assert _automations(fast, api, [{"email": "a@example.com", "exclude_automations": value}]) == [
        0 if excluded else 1
    ]


def test_automations_run_by_default_and_are_counted_per_contact_and_in_stats(
    fast: EmulatorHandle, api: httpx.Client
) -> None:
    rows: list[dict[str, Any]] = [
        {"email": "a@example.com"},
        {"email": "b@example.com", "exclude_automations": True},
    ]
    assert _automations(fast, api, rows) == [1, 0]
    assert _automations(fast, api, rows[:1]) == [2]
    stats = fast.stats()
    assert (stats["automations_started"], stats["automations_excluded"]) == (2, 1)


@pytest.mark.parametrize(
    ("reading", "top_level_only", "per_contact_only"),
    [("per-contact", 1, 0), ("top-level", 0, 1), ("both", 0, 0)],
)
def test_which_flag_is_honoured_depends_on_the_reading(
    fast: EmulatorHandle, api: httpx.Client, reading: str, top_level_only: int, per_contact_only: int
) -> None:
    fast.configure(automations_flag=reading)
    started = _automations(fast, api, [{"email": "top@example.com"}], exclude_automations=True)
    assert started == [top_level_only]
    started = _automations(fast, api, [{"email": "per@example.com", "exclude_automations": True}])
    assert started == [per_contact_only]
    both = [{"email": "both@example.com", "exclude_automations": True}]
    assert _automations(fast, api, both, exclude_automations=True) == [0]
    assert _automations(fast, api, [{"email": "none@example.com"}], exclude_automations="banana") == [1]


def test_refused_contacts_start_no_automation(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.exclude("x@example.com")
    imported(api, [{"email": "x@example.com"}])
    assert fast.stats()["automations_started"] == 0


# fieldRels
@pytest.mark.parametrize(
    ("relid", "subscribed", "kept"),
    [(None, True, False), ("all", False, True), ("list", True, True), ("other", True, False)],
)
def test_required_reading_keeps_a_value_only_where_a_field_rel_puts_the_field(
    fast: EmulatorHandle, api: httpx.Client, relid: str | None, subscribed: bool, kept: bool
) -> None:
    list_id, other = new_list(api, "News"), new_list(api, "Other")
    relids = {None: None, "all": 0, "list": list_id, "other": other}
    field_id = new_field(api, "TIER", relid=relids[relid])
    row: dict[str, Any] = {"email": "a@example.com", "fields": [{"id": field_id, "value": "gold"}]}
    if subscribed:
        row["subscribe"] = [{"listid": list_id}]
    imported(api, [row])
    assert fast.contact("a@example.com")["field_values"] == ({str(field_id): "gold"} if kept else {})
    assert fast.stats()["field_values_ignored"] == (0 if kept else 1)


def test_required_reading_applies_to_sync_and_field_values(fast: EmulatorHandle, api: httpx.Client) -> None:
    field_id = new_field(api, "TIER", relid=None)
    body = {"contact": {"email": "a@example.com", "fieldValues": [{"field": str(field_id), "value": "x"}]}}
    synced = call(api, "POST", "/contact/sync", json=body)
    assert synced.status_code == 201 and synced.json()["fieldValues"] == []
    contact_id = synced.json()["contact"]["id"]
    value = {"fieldValue": {"contact": contact_id, "field": field_id, "value": "y"}}
    answer = call(api, "POST", "/fieldValues", json=value)
    assert answer.status_code == 200 and "fieldValue" not in answer.json()
    assert fast.contact("a@example.com")["field_values"] == {}
    assert fast.stats()["field_values_ignored"] == 2


def test_lenient_reading_keeps_every_value(fast: EmulatorHandle, api: httpx.Client) -> None:
    fast.configure(fieldrels="lenient")
    field_id = new_field(api, "TIER", relid=None)
    imported(api, [{"email": "a@example.com", "fields": [{"id": field_id, "value": "gold"}]}])
    assert fast.contact("a@example.com")["field_values"] == {str(field_id): "gold"}


def test_start_up_fields_are_on_every_list() -> None:
    with running_emulator("--no-rate-limit", "--field", "TIER") as handle, handle.api() as api:
        rels = api.get("/fieldRels").json()["fieldRels"]
        assert [(rel["field"], rel["relid"]) for rel in rels] == [("1", "0")]


def test_an_unknown_contact_is_a_404(fast: EmulatorHandle) -> None:
    assert httpx.get(f"{fast.base_url}/_emulator/contacts/nobody@example.com").status_code == 404
