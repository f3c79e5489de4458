"""The exporter under every reading of ActiveCampaign's ambiguous points (the `reading` fixture).

Each test here runs once per reading in `READINGS`; the automations test also under the third
reading of `exclude_automations` (either place honoured).
"""

from __future__ import annotations

import httpx
import pytest

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError, ActiveCampaignUnavailable
from ac_export.activecampaign.errors import ExportStopped
from ac_export_tests.support.emulator import READINGS, EmulatorHandle
from ac_export_tests.support.export_world import ExportWorld


@pytest.mark.parametrize("flag", ["per-contact", "top-level", "both"])
@pytest.mark.parametrize("run_automations", [False, True])
def test_automations_start_only_when_the_export_asks(
    world: ExportWorld, flag: str, run_automations: bool
) -> None:
    world.emulator.configure(automations_flag=flag)
    world.people(3)

    world.run(world.export(run_automations=run_automations))

    started = world.emulator.stats()["automations_started"]
    assert started == (3 if run_automations else 0)
    assert world.emulator.contact("person1@example.com")["automations_started"] == (
        1 if run_automations else 0
    )


def test_created_fields_are_related_to_every_list_so_their_values_are_kept(world: ExportWorld) -> None:
    world.people(2)

    world.run(world.export(fields=world.export().fields.model_copy(update={"custom": {"NEWTIER": "tier"}})))

    assert world.emulator.contact("person1@example.com")["field_values"]
    assert world.emulator.stats()["field_values_ignored"] == 0


def test_an_existing_field_not_on_the_list_stops_the_export_with_the_fix(world: ExportWorld) -> None:
    with world.emulator.api() as api:
        api.post("/fields", json={"field": {"title": "Region", "type": "text", "perstag": "REGION"}})
    world.people(2)
    mapping = world.export().fields.model_copy(update={"custom": {"REGION": "tier"}})

    with pytest.raises(ExportStopped, match=r"REGION are not available on list .*create_missing_fields"):
        world.run(world.export(fields=mapping, create_missing_fields=False))
    assert world.subscribed() == set()

    world.run(world.export(fields=mapping, create_missing_fields=True))
    assert world.emulator.contact("person0@example.com")["field_values"]


def test_an_invalid_contact_is_refused_and_none_of_its_neighbours(world: ExportWorld) -> None:
    world.people(5)
    # ActiveCampaign's own check refuses an address the validator accepts: a digit in the top level.
    world.profiles["c00002"]["email"] = "odd@example.c0m"

    result = world.run()

    assert result.counts.rejected_by_activecampaign == 1
    assert world.subscribed() == world.expected() - {"odd@example.c0m"}


def test_lists_are_paged_by_offset_and_the_loop_ends(emulator: EmulatorHandle, reading: str) -> None:
    emulator.configure(rate_limit=False, **READINGS[reading])
    for n in range(250):
        emulator.create_list(f"list {n}")
    with ActiveCampaignClient(emulator.base_url, emulator.api_key) as client:
        lists = client.lists()
        requests = client.stats.requests
    assert len({item.id for item in lists}) == 250
    assert requests == 3


def test_an_intermittent_403_is_retried_and_the_export_completes(world: ExportWorld) -> None:
    world.people(20)
    world.emulator.configure(fault_rate=0.1, fault_kinds=["403"], seed=11)

    result = world.run()

    assert world.subscribed() == world.expected()
    assert result.counts.retries > 0


def test_empty_and_non_json_answers_are_asked_again(world: ExportWorld) -> None:
    world.people(20)
    world.emulator.configure(fault_rate=0.2, fault_kinds=["empty", "not_json"], seed=3)

    world.run()

    assert world.subscribed() == world.expected()


@pytest.mark.parametrize("body", [b"", b"<html>gateway</html>", b"[]", b'{"list": "nope"}'])
def test_an_answer_that_is_no_object_gives_a_clear_error_never_a_key_error(body: bytes) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    client = ActiveCampaignClient(
        "https://acme.api-us1.com", "key", max_retries=1, backoff_base_s=0.0, transport=transport
    )
    with pytest.raises(ActiveCampaignError) as caught:
        client.get_list(1)
    assert isinstance(caught.value, ActiveCampaignUnavailable) or "no 'list' object" in str(caught.value)
    assert not isinstance(caught.value, KeyError)
