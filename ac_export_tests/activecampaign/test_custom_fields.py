"""Custom fields: looked up only when a run sends a value, never sent with an id this run did not find."""

from __future__ import annotations

from collections import Counter

import pytest

from ac_export.activecampaign.errors import ExportStopped
from ac_export.activecampaign.list_export import ExportResult
from ac_export_tests.activecampaign.test_reexport_requests import BULK, FIELDS, requests_by_endpoint
from ac_export_tests.support.export_world import SEGMENT, ExportWorld


def made_by(world: ExportWorld, **run: object) -> tuple[Counter[str], ExportResult]:
    """Requests by endpoint that one run makes, and its result."""
    before = requests_by_endpoint(world)
    result = world.run(**run)  # type: ignore[arg-type]
    return requests_by_endpoint(world) - before, result


def tier_field_id(world: ExportWorld) -> int:
    """The id the account has for the TIER field."""
    with world.emulator.api() as api:
        found = api.get("/fields", params={"filters[perstag]": "TIER"}).json()["fields"]
    return int(found[0]["id"])


def test_a_run_that_only_removes_makes_no_field_request(world: ExportWorld) -> None:
    world.people(20)
    world.run()
    world.members.discard("c00004")

    made, result = made_by(world)

    assert result.counts.removed == 1 and made[BULK] == 1
    assert made[FIELDS] == 0
    assert world.subscribed() == world.expected()


def test_a_field_taken_off_the_list_stops_the_next_run_that_sends_a_value_before_any_write(
    world: ExportWorld,
) -> None:
    world.people(20)
    world.run()
    with world.emulator.api() as api:
        rels = api.get("/fieldRels", params={"limit": 0}).json()["fieldRels"]
        for rel in rels:
            if int(rel["field"]) == tier_field_id(world):
                api.delete(f"/fieldRels/{rel['id']}").raise_for_status()
    strict = world.export(create_missing_fields=False)

    unchanged, _ = made_by(world, export=strict)  # nothing is sent: the field is not asked about
    world.profiles["c00002"]["tier"] = "platinum"
    before = requests_by_endpoint(world)
    with pytest.raises(ExportStopped, match=r"TIER are not available on list .*create_missing_fields"):
        world.run(strict)

    assert unchanged[FIELDS] == 0
    assert (requests_by_endpoint(world) - before)[BULK] == 0
    made, result = made_by(world)  # allowed to relate it: it does, then sends
    assert made[FIELDS] == 1 and result.counts.updated == 1
    assert (
        world.emulator.contact("person2@example.com")["field_values"][str(tier_field_id(world))] == "platinum"
    )


def test_a_field_made_again_with_a_new_id_never_gets_values_sent_to_the_old_one(world: ExportWorld) -> None:
    world.people(6)
    world.run()
    old_id = tier_field_id(world)
    world.emulator.reset()
    world.emulator.configure(rate_limit=False, processing_delay=0.0)
    with world.emulator.api() as api:
        # Another field now holds the id TIER had: a value sent with the remembered id would land in it.
        other = api.post("/fields", json={"field": {"title": "Other", "type": "text", "perstag": "OTHER"}})
        assert int(other.json()["field"]["id"]) == old_id
    assert world.emulator.create_list(SEGMENT) == world.list_id

    made, result = made_by(world)

    assert made[FIELDS] >= 1 and result.created_fields == ["TIER"]
    assert world.subscribed() == world.expected()
    new_id = str(tier_field_id(world))
    for n in range(6):
        values = world.emulator.contact(f"person{n}@example.com")["field_values"]
        assert values == {new_id: "gold" if n % 2 else "silver"}
    assert made_by(world)[0][FIELDS] == 0  # the new id is remembered: the next unchanged run asks nothing


def test_a_new_field_in_the_mapping_is_looked_up_before_planning(world: ExportWorld) -> None:
    world.people(4)
    world.run()
    wider = world.export().fields.model_copy(update={"custom": {"TIER": "tier", "SPEND": "spend"}})

    made, result = made_by(world, export=world.export(fields=wider))

    assert made[FIELDS] == 2 and result.created_fields == ["SPEND"]
    assert result.counts.updated == 4  # every contact has a value for the new field
    assert made_by(world, export=world.export(fields=wider))[0][FIELDS] == 0
