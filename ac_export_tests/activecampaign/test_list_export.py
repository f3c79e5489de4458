"""The export's promises, each checked against the emulator over a real socket."""

from __future__ import annotations

import duckdb
import pytest

from ac_export.activecampaign.list_export import ExportStopped
from ac_export.state.ledger import ledger_path
from ac_export_tests.support.export_world import ExportWorld


def bulk_requests(world: ExportWorld) -> int:
    return int(world.emulator.stats()["bulk_import_requests"])


def test_list_equals_segment_members_with_valid_email(world: ExportWorld) -> None:
    world.people(600)
    world.profiles["c00003"]["email"] = None
    world.profiles["c00004"]["email"] = "not an email"
    world.profiles["c00005"]["email"] = "  PERSON6@example.com "  # same person as c00006 once normalised

    result = world.run()

    assert world.subscribed() == world.expected() - {"not an email"}
    assert result.counts.members == 600
    assert result.counts.added == 597
    assert result.counts.rejected_missing_email == 1
    assert result.counts.rejected_invalid_email == 1
    assert result.counts.batches == 3  # 597 contacts in chunks of at most 250
    assert result.list_size == 597


def test_unchanged_second_run_sends_no_bulk_request(world: ExportWorld) -> None:
    world.people(300)
    world.run()
    before = bulk_requests(world)

    result = world.run()

    assert bulk_requests(world) == before
    assert result.counts.unchanged == 300
    assert result.counts.added == result.counts.updated == result.counts.batches == 0


def test_one_changed_attribute_sends_exactly_that_contact(world: ExportWorld) -> None:
    world.people(300)
    world.run()
    before = bulk_requests(world)
    world.profiles["c00042"]["first_name"] = "Renamed"

    result = world.run()

    assert bulk_requests(world) == before + 1
    assert result.counts.updated == 1
    assert result.counts.unchanged == 299
    with world.emulator.api() as api:
        contact = api.get("/contacts", params={"email": "person42@example.com"}).json()["contacts"][0]
    assert contact["firstName"] == "Renamed"


@pytest.mark.parametrize(("mode", "kept"), [("mirror", False), ("upsert", True)])
def test_leaver_is_unsubscribed_in_mirror_and_kept_in_upsert(
    world: ExportWorld, mode: str, kept: bool
) -> None:
    world.people(10)
    world.run(world.export(mode=mode))
    world.members.discard("c00007")

    result = world.run(world.export(mode=mode))

    assert ("person7@example.com" in world.subscribed()) is kept
    assert ("person7@example.com" in world.emulator.list_members(world.list_id, status=2)) is not kept
    assert result.counts.removed == (0 if kept else 1)


def test_self_unsubscribed_contact_is_never_resubscribed(world: ExportWorld) -> None:
    world.people(5)
    world.run()
    world.emulator.optout("person2@example.com", world.list_id)
    world.profiles["c00002"]["first_name"] = "Changed"  # a change that would otherwise send it again

    result = world.run()
    again = world.run()

    assert "person2@example.com" not in world.subscribed()
    assert result.counts.opted_out == 1
    assert again.counts.opted_out == 1
    assert again.counts.added == again.counts.updated == 0


def test_opted_out_before_first_export_is_never_subscribed(world: ExportWorld) -> None:
    world.people(3)
    world.emulator.configure(rate_limit=False)
    world.run()
    world.emulator.optout("person1@example.com", world.list_id)
    world.members.discard("c00001")
    world.run()  # left the segment while opted out: nothing to unsubscribe
    world.members.add("c00001")

    result = world.run()

    assert "person1@example.com" not in world.subscribed()
    assert result.counts.opted_out == 1


def test_contact_removed_by_us_is_resubscribed_when_it_returns(world: ExportWorld) -> None:
    world.people(5)
    world.run()
    world.members.discard("c00003")
    world.run()
    assert "person3@example.com" not in world.subscribed()
    world.members.add("c00003")

    result = world.run()

    assert "person3@example.com" in world.subscribed()
    counts = result.counts
    assert (counts.resubscribed, counts.added, counts.rejected_by_activecampaign) == (1, 0, 0)


def test_contacts_this_project_never_added_are_never_touched(world: ExportWorld) -> None:
    with world.emulator.api() as api:
        contact = api.post("/contacts", json={"contact": {"email": "outsider@example.com"}}).json()["contact"]
        api.post(
            "/contactLists",
            json={"contactList": {"list": world.list_id, "contact": contact["id"], "status": 1}},
        )
    world.people(4)

    world.run()
    world.members.clear()
    world.people(2, start=100)
    result = world.run()

    assert "outsider@example.com" in world.subscribed()
    assert result.counts.removed == 4


def test_removal_beyond_the_guard_stops_before_any_write(world: ExportWorld) -> None:
    world.people(10)
    world.run(world.export(removal_guard=0.2))
    for customer in ["c00001", "c00002", "c00003"]:
        world.members.discard(customer)
    before = world.emulator.stats()["requests"]

    with pytest.raises(
        ExportStopped, match=r"would remove 3 of the 10 .*removal_guard of 20%.*allow_large_removal"
    ):
        world.run(world.export(removal_guard=0.2))

    stats = world.emulator.stats()
    assert bulk_requests(world) == 1 and stats["requests"] > before  # reads only: no bulk import
    assert len(world.subscribed()) == 10
    allowed = world.run(world.export(removal_guard=0.2), allow_large_removal=True)
    assert allowed.counts.removed == 3


def test_dry_run_counts_the_plan_and_writes_nothing(world: ExportWorld) -> None:
    world.people(20)
    world.run()
    world.members.discard("c00000")
    world.people(5, start=50)
    world.profiles["c00010"]["tier"] = "platinum"
    ledger_file = ledger_path(world.warehouse.root, world.emulator.host, world.list_id)
    ledger_before = (
        duckdb.connect(str(ledger_file), read_only=True).sql("SELECT * FROM ledger ORDER BY email").fetchall()
    )
    before = world.emulator.stats()

    result = world.run(dry_run=True)

    after = world.emulator.stats()
    assert (result.counts.added, result.counts.updated, result.counts.removed) == (5, 1, 1)
    assert result.counts.batches == 0
    assert after["bulk_import_requests"] == before["bulk_import_requests"]
    assert after["contacts"] == before["contacts"]
    ledger_after = (
        duckdb.connect(str(ledger_file), read_only=True).sql("SELECT * FROM ledger ORDER BY email").fetchall()
    )
    assert ledger_after == ledger_before
    assert not world.warehouse.exists("exports/test_export/rejections") or result.dry_run


def test_empty_segment_is_skipped_by_default_and_cleared_on_request(world: ExportWorld) -> None:
    world.people(3)
    world.run()
    world.members.clear()

    skipped = world.run()
    assert skipped.counts.removed == 0 and len(world.subscribed()) == 3

    cleared = world.run(world.export(on_empty_segment="clear"))
    assert cleared.counts.removed == 3 and world.subscribed() == set()


def test_rejections_are_a_warehouse_table_with_one_reason_per_row(world: ExportWorld) -> None:
    world.people(4)
    world.profiles["c00000"]["email"] = None
    world.profiles["c00001"]["email"] = "bad@@example.com"
    world.emulator.exclude("person2@example.com")

    result = world.run()

    table = world.warehouse.read_frame("exports/test_export/rejections").sort("customer_id")
    assert table["customer_id"].to_list() == ["c00000", "c00001", "c00002"]
    assert table["kind"].to_list() == [
        "rejected_missing_email",
        "rejected_invalid_email",
        "rejected_by_activecampaign",
    ]
    assert all(reason for reason in table["reason"].to_list())
    assert result.counts.rejected_by_activecampaign == 1
    assert "person2@example.com" not in world.subscribed()
    assert len(result.rejection_sample) == 3
    assert all("person" not in email for _, email, _, _ in result.rejection_sample)  # emails are masked


def test_missing_list_stops_the_preflight_with_the_fix(world: ExportWorld) -> None:
    world.people(2)
    with pytest.raises(ExportStopped, match=r"list 999 does not exist .*check-connection"):
        world.run(world.export(list_id=999))
    assert bulk_requests(world) == 0


def test_missing_custom_field_stops_unless_creating_is_allowed(world: ExportWorld) -> None:
    world.people(2)
    with pytest.raises(
        ExportStopped, match=r"no custom field with personalization tag TIER; .*create_missing_fields"
    ):
        world.run(world.export(create_missing_fields=False))
    assert bulk_requests(world) == 0

    result = world.run()
    assert result.created_fields == ["TIER"]
