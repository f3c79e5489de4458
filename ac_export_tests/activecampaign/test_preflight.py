"""The preflight: the list's counts first, the list read only when they cannot vouch for it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from starlette.requests import Request

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError, AuthenticationError
from ac_export.activecampaign.errors import ExportStopped
from ac_export.activecampaign.list_export import ExportResult
from ac_export_tests.activecampaign.test_reexport_requests import COUNTS, LIST_READ, requests_by_endpoint
from ac_export_tests.support.emulator import EmulatorHandle
from ac_export_tests.support.export_world import ExportWorld
from ac_export_tests.support.hostile import HostileServer, hostile_server

BULK = "POST /api/3/import/bulk_import"


@pytest.fixture
def hostile(emulator: EmulatorHandle) -> Iterator[HostileServer]:
    with hostile_server(emulator.base_url) as server:
        yield server


def made_by(world: ExportWorld, **request: object) -> tuple[Counter[str], ExportResult]:
    """Requests by endpoint that one run makes, and its result."""
    before = requests_by_endpoint(world)
    result = world.run(**request)
    return requests_by_endpoint(world) - before, result


def reset_account(world: ExportWorld, list_name: str) -> None:
    """An account reset: everything gone, and a list made again that gets the same id back."""
    world.emulator.reset()
    world.emulator.configure(rate_limit=False, processing_delay=0.0)
    assert world.emulator.create_list(list_name) == world.list_id


def test_a_first_export_reads_the_list_before_anything_else_is_opened(world: ExportWorld) -> None:
    world.people(5)

    made, _ = made_by(world)

    assert made[LIST_READ] == 1 and made[COUNTS] == 3  # two before planning, one after the upload
    assert world.subscribed() == world.expected()


def test_a_reset_account_with_another_populated_list_at_the_same_id_is_found(world: ExportWorld) -> None:
    world.people(10)
    world.run()
    reset_account(world, "someone else's list")
    world.emulator.subscribe_by_account([f"other{n}@example.com" for n in range(3)], world.list_id)

    result = world.run()

    # 3 subscribers where the ledger has 10: the counts differ, so the list is read and its name
    # shows it is another list.
    assert result.reconciliation is not None and result.reconciliation.full
    assert 'now names "someone else\'s list"' in result.reconciliation.reason
    assert world.subscribed() == world.expected() | {f"other{n}@example.com" for n in range(3)}


def test_a_list_in_its_place_with_as_many_subscribers_is_found_by_the_unsubscribed_count(
    world: ExportWorld,
) -> None:
    world.people(10)
    world.run()
    reset_account(world, "someone else's list")
    others = [f"other{n}@example.com" for n in range(11)]
    world.emulator.subscribe_by_account(others, world.list_id)
    world.emulator.unsubscribe_by_account(others[-1], world.list_id)  # 10 subscribed, as ours were

    made, result = made_by(world)

    # As many subscribers as the ledger has, but one unsubscribed the last run did not leave.
    assert made[LIST_READ] == 1
    assert result.reconciliation is not None and result.reconciliation.full
    assert 'now names "someone else\'s list"' in result.reconciliation.reason
    assert world.subscribed() == world.expected() | set(others[:-1])


def test_a_renamed_list_is_not_read_while_its_counts_hold_and_is_read_once_they_differ(
    world: ExportWorld,
) -> None:
    world.people(10)
    world.run()
    with world.emulator.api() as api:
        api.put(f"/lists/{world.list_id}", json={"list": {"name": "renamed"}}).raise_for_status()

    unchanged, _ = made_by(world)
    world.emulator.optout("person3@example.com", world.list_id)
    made, result = made_by(world)

    assert unchanged[LIST_READ] == 0
    # The counts differ: the list is read, and a list id naming another name is read whole.
    assert made[LIST_READ] == 1
    assert result.reconciliation is not None and result.reconciliation.full
    assert "now names 'renamed'" in result.reconciliation.reason
    assert made_by(world)[0][LIST_READ] == 0  # the new name is the ledger's now


def test_a_full_reconcile_reads_the_list_with_it(world: ExportWorld) -> None:
    world.people(10)
    world.run()

    made, result = made_by(world, full_reconcile=True)

    assert made[LIST_READ] == 1 and result.reconciliation is not None and result.reconciliation.full


def test_a_list_deleted_between_runs_stops_with_the_fix_before_any_write(world: ExportWorld) -> None:
    world.people(10)
    world.run()
    with world.emulator.api() as api:
        api.delete(f"/lists/{world.list_id}").raise_for_status()
    world.profiles["c00001"]["first_name"] = "Changed"
    before = requests_by_endpoint(world)

    with pytest.raises(ExportStopped, match=rf"list {world.list_id} does not exist .*check-connection"):
        world.run()
    assert (requests_by_endpoint(world) - before)[BULK] == 0


def test_a_refused_key_stops_at_the_first_count_with_the_list_reads_message(world: ExportWorld) -> None:
    world.people(10)
    world.run()
    world.emulator.revoke()
    with (
        ActiveCampaignClient(world.emulator.base_url, world.emulator.api_key, max_retries=0) as client,
        pytest.raises(AuthenticationError) as read_refused,
    ):
        client.get_list(world.list_id)
    before = requests_by_endpoint(world)

    with pytest.raises(AuthenticationError) as refused:
        world.run()

    assert str(refused.value) == str(read_refused.value)
    assert "refused the API key (HTTP 403)" in str(refused.value)
    assert set(requests_by_endpoint(world) - before) == {COUNTS}


def _is_count(request: Request) -> bool:
    return request.url.path == "/api/3/contacts" and request.query_params.get("limit") == "1"


def test_a_404_on_a_count_reads_the_list_and_stops_with_its_fix(
    world: ExportWorld, hostile: HostileServer
) -> None:
    world.people(3)
    through = world.resource(api_host=hostile.base_url)
    hostile.state.strike("not_found", _is_count)

    with pytest.raises(ActiveCampaignError, match=r"404 to counting list .* although the list exists"):
        world.run(resource=through)
    with world.emulator.api() as api:
        api.delete(f"/lists/{world.list_id}").raise_for_status()
    with pytest.raises(ExportStopped, match=rf"list {world.list_id} does not exist .*check-connection"):
        world.run(resource=through)

    assert hostile.state.writes() == []
    assert world.emulator.stats()["bulk_imports_queued"] == 0
