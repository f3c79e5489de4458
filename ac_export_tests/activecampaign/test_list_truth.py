"""The list as ActiveCampaign holds it: verified every run, reconciled and repaired when it differs."""

from __future__ import annotations

import contextlib
import threading
import time

import duckdb
import psycopg
import pytest

from ac_export.activecampaign.api.errors import ActiveCampaignError
from ac_export.activecampaign.errors import ExportStopped
from ac_export.activecampaign.optouts import ForgottenOptOut, NotOptedOut, forget_opt_out, forgotten_opt_outs
from ac_export.state.backend import StateBackend
from ac_export.state.ledger import ledger_path
from ac_export_tests.support.export_world import SEGMENT, ExportWorld

# An unchanged run: the list's two counts (which also check the key). They are the ledger's, so the list
# is not read; nothing is sent a field value, so the field is not looked up.
UNCHANGED_RUN_REQUESTS = 2
# What a run adds when the counts differ from the ledger's (the list read), and when it sends a field
# value (the field looked up).
LIST_READ = FIELD_LOOKUP = 1


@pytest.fixture(params=["embedded", "postgres"])
def backend(request: pytest.FixtureRequest) -> StateBackend:
    """Each state backend in turn: the list's truth must hold wherever the ledger lives."""
    if request.param == "embedded":
        return StateBackend()
    return StateBackend("postgres", request.getfixturevalue("postgres_dsn"))


@pytest.fixture(autouse=True)
def _world_on_backend(world: ExportWorld, backend: StateBackend) -> None:
    world.state = backend


def statuses(world: ExportWorld) -> dict[str, str]:
    """email → ledger status of the world's list, read where the backend keeps it."""
    if world.state.kind == "postgres":
        with psycopg.connect(str(world.state.dsn)) as conn:
            rows = conn.execute(
                "SELECT email, status FROM ac_export_ledger WHERE host = %s AND list_id = %s",
                [world.emulator.host, world.list_id],
            ).fetchall()
        return dict(rows)
    path = ledger_path(world.warehouse.root, world.emulator.host, world.list_id)
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute("SELECT email, status FROM ledger").fetchall())


def requests_of(world: ExportWorld, **request: object) -> tuple[int, object]:
    """API requests one run makes, as the emulator counted them, and the run's result."""
    before = int(world.emulator.stats()["requests"])
    result = world.run(**request)
    return int(world.emulator.stats()["requests"]) - before, result


def recreate_list(world: ExportWorld) -> None:
    """After an account reset: the list is made again, and gets the same id back."""
    assert world.emulator.create_list(SEGMENT) == world.list_id


def test_account_reset_between_runs_is_found_and_repaired(world: ExportWorld) -> None:
    world.people(30)
    world.run()
    world.emulator.reset()
    world.emulator.configure(rate_limit=False, processing_delay=0.0)
    recreate_list(world)

    result = world.run()

    assert world.subscribed() == world.expected()
    assert result.reconciliation is not None and result.reconciliation.missing == 30
    assert result.counts.repaired == 30
    assert result.counts.added == result.counts.unchanged == 0
    assert result.tally.in_sync
    again = world.run()
    assert again.reconciliation is None and again.counts.unchanged == 30


def test_account_reset_during_a_run_converges_on_the_next_run(world: ExportWorld) -> None:
    world.people(600)
    world.emulator.configure(processing_delay=0.3)

    def reset_once_a_batch_is_queued() -> None:
        deadline = time.monotonic() + 20
        while world.emulator.stats()["bulk_import_requests"] < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        world.emulator.reset()
        world.emulator.configure(rate_limit=False, processing_delay=0.3)
        recreate_list(world)

    resetter = threading.Thread(target=reset_once_a_batch_is_queued)
    resetter.start()
    # The interrupted run may fail or finish; either way the next one must put the list right.
    with contextlib.suppress(ActiveCampaignError, ExportStopped):
        world.run()
    resetter.join()
    world.emulator.configure(processing_delay=0.0)

    result = world.run()

    assert world.subscribed() == world.expected()
    assert result.tally.in_sync and result.tally.missing == 0


def test_list_emptied_by_hand_is_repaired_not_counted_as_opt_outs(world: ExportWorld) -> None:
    world.people(40)
    world.run()
    assert world.emulator.empty_list(world.list_id) == 40

    result = world.run()

    assert world.subscribed() == world.expected()
    assert result.counts.repaired == 40
    assert result.counts.opted_out == result.counts.unsubscribed_in_activecampaign == 0
    assert set(statuses(world).values()) == {"subscribed"}


def test_contact_unsubscribed_in_activecampaign_while_ours_is_never_put_back(world: ExportWorld) -> None:
    world.people(6)
    world.run()
    world.emulator.unsubscribe_by_account("person2@example.com", world.list_id)  # by whom, AC won't say
    world.profiles["c00002"]["first_name"] = "Changed"

    result = world.run()
    again = world.run(full_reconcile=True)

    assert "person2@example.com" not in world.subscribed()
    assert statuses(world)["person2@example.com"] == "opted_out"
    assert result.reconciliation is None  # a leaver explains the count; the one sent is looked up
    assert result.counts.opted_out == again.counts.opted_out == 1
    assert again.counts.updated == again.counts.added == 0


def test_pre_existing_subscriber_is_updated_while_a_member_and_never_removed(world: ExportWorld) -> None:
    world.people(5)
    world.emulator.subscribe_by_account("person3@example.com", world.list_id)
    world.emulator.subscribe_by_account("outsider@example.com", world.list_id)

    first = world.run()
    world.members.discard("c00003")
    world.members.discard("c00004")
    second = world.run()

    assert first.counts.added == 4 and first.counts.updated == 1
    assert first.counts.pre_existing == 2
    assert second.counts.removed == 1  # only c00004, which we subscribed
    assert {"person3@example.com", "outsider@example.com"} <= world.subscribed()
    assert "person4@example.com" not in world.subscribed()
    assert statuses(world)["person3@example.com"] == "pre_existing"
    with world.emulator.api() as api:
        found = api.get("/contacts", params={"email": "person3@example.com"}).json()["contacts"][0]
    assert found["firstName"] == "First3"  # updated while it was a member


def test_removal_guard_counts_only_the_contacts_we_subscribed(world: ExportWorld) -> None:
    world.emulator.subscribe_by_account([f"outsider{n}@example.com" for n in range(20)], world.list_id)
    world.people(10)
    world.run()
    world.members.difference_update({"c00000", "c00001", "c00002"})  # 3 of our 10: 30%, not 3 of 30

    with pytest.raises(ExportStopped, match="would remove 3 of the 10 contacts it subscribed"):
        world.run(export=world.export(removal_guard=0.2))


def test_same_count_different_people_is_caught_by_the_full_reconcile(world: ExportWorld) -> None:
    world.people(8)
    world.run()
    world.emulator.unsubscribe_by_account("person1@example.com", world.list_id)
    world.emulator.subscribe_by_account("newcomer@example.com", world.list_id)  # the count is unchanged

    quick = world.run()
    assert quick.reconciliation is None  # the counts cannot tell
    time.sleep(0.05)
    full = world.run(export=world.export(full_reconcile_every_days=0.0000001))

    assert full.reconciliation is not None and full.reconciliation.full
    assert (full.reconciliation.opted_out, full.reconciliation.pre_existing) == (1, 1)
    assert statuses(world)["newcomer@example.com"] == "pre_existing"
    assert full.tally.in_sync


def test_unchanged_run_costs_the_same_whatever_the_list_has_seen(world: ExportWorld) -> None:
    world.people(1_550)
    world.run()
    world.members.difference_update({f"c{n:05d}" for n in range(50, 1_550)})
    world.run()  # 1,500 leavers: 15 pages of unsubscribed contacts, were they read every run

    cost, result = requests_of(world)
    assert cost == UNCHANGED_RUN_REQUESTS
    assert result.counts.unchanged == 50  # type: ignore[attr-defined]

    world.people(3, start=5_000)
    cost, _ = requests_of(world)
    # The field (the new members have values), a bulk import, its confirmation polls, a count after.
    assert cost <= UNCHANGED_RUN_REQUESTS + FIELD_LOOKUP + 4


def test_history_from_before_us_is_read_at_most_once_and_nobody_in_it_is_subscribed(
    world: ExportWorld,
) -> None:
    history = [f"person{n}@example.com" for n in range(250)]
    world.emulator.subscribe_by_account(history, world.list_id)
    world.emulator.unsubscribe_by_account(history, world.list_id)
    world.people(300)

    first = world.run()
    cost, again = requests_of(world)

    assert world.subscribed() == {f"person{n}@example.com" for n in range(250, 300)}
    assert first.counts.unsubscribed_in_activecampaign == 250
    assert first.counts.added == 50
    assert cost == UNCHANGED_RUN_REQUESTS
    assert again.counts.unsubscribed_in_activecampaign == 250  # type: ignore[attr-defined]


def test_a_few_new_members_on_a_list_with_unknown_history_are_looked_up_one_by_one(
    world: ExportWorld,
) -> None:
    world.people(10)
    world.run()
    history = [f"old{n}@example.com" for n in range(300)]  # unseen by the ledger: 3 pages of leavers
    world.emulator.subscribe_by_account(history, world.list_id)
    world.emulator.unsubscribe_by_account(history, world.list_id)
    world.people(2, start=900)
    world.profiles["c00900"]["email"] = "old7@example.com"

    cost, result = requests_of(world)

    assert "old7@example.com" not in world.subscribed()
    assert "person901@example.com" in world.subscribed()
    assert result.counts.unsubscribed_in_activecampaign == 1  # type: ignore[attr-defined]
    # A lookup each (is either on the list at all?), one more for the one it has: not three pages.
    assert cost <= UNCHANGED_RUN_REQUESTS + LIST_READ + 3 + FIELD_LOOKUP + 4


def test_dry_run_reconciles_in_memory_and_leaves_the_ledger_untouched(world: ExportWorld) -> None:
    world.people(12)
    world.run()
    world.emulator.empty_list(world.list_id)
    before = statuses(world)

    dry = world.run(dry_run=True)

    assert dry.counts.repaired == 12 and dry.tally.missing == 12
    assert statuses(world) == before
    assert world.subscribed() == set()
    assert world.run().counts.repaired == 12


def test_a_list_id_that_now_names_another_list_is_read_whole(world: ExportWorld) -> None:
    world.people(10)
    world.run()
    world.members.discard("c00009")
    world.run()  # c00009 removed by us from the old list
    world.emulator.reset()
    world.emulator.configure(rate_limit=False, processing_delay=0.0)
    assert world.emulator.create_list("someone else's list") == world.list_id
    world.members.add("c00009")

    result = world.run()

    assert result.reconciliation is not None and result.reconciliation.full
    assert 'now names "someone else\'s list"' in result.reconciliation.reason
    assert world.subscribed() == world.expected()
    assert (result.counts.repaired, result.counts.added, result.counts.resubscribed) == (9, 1, 0)


def test_people_leaving_cost_a_lookup_per_contact_sent_not_a_read_of_the_list(world: ExportWorld) -> None:
    world.people(1_200)
    world.run()
    leavers = [f"person{n}@example.com" for n in (10, 11, 12)]
    for email in leavers:
        world.emulator.optout(email, world.list_id)
    world.profiles["c00010"]["first_name"] = "Changed"  # one of them would be sent an update

    cost, result = requests_of(world)

    assert result.reconciliation is None  # type: ignore[attr-defined]
    # The list (its counts differ) and one lookup instead of twelve pages of subscribers.
    assert cost <= UNCHANGED_RUN_REQUESTS + LIST_READ + 1
    assert result.counts.opted_out == 1 and result.counts.updated == 0  # type: ignore[attr-defined]
    assert result.tally.left_unidentified == 2 and result.tally.missing == 0  # type: ignore[attr-defined]
    cost, quiet = requests_of(world)
    # The two who left still count as ours until the full reconcile names them: the counts differ, so
    # the list is read; nothing more.
    assert cost == UNCHANGED_RUN_REQUESTS + LIST_READ and quiet.reconciliation is None  # type: ignore[attr-defined]

    full = world.run(full_reconcile=True)

    assert full.reconciliation is not None and full.reconciliation.opted_out == 2
    assert full.tally.in_sync and full.counts.opted_out == 3
    assert not set(leavers) & world.subscribed()


def test_people_leaving_do_not_hide_a_list_that_lost_members(world: ExportWorld) -> None:
    world.people(30)
    world.run()
    world.emulator.empty_list(world.list_id)
    world.emulator.optout("person1@example.com", world.list_id)  # one new unsubscribe, 30 short

    result = world.run()

    assert result.reconciliation is not None
    assert world.subscribed() == world.expected() - {"person1@example.com"}
    assert result.counts.repaired == 29 and result.counts.opted_out == 1


# Issue 23, point 4: what the ledger knows outlives ActiveCampaign's memory.


def opt_two_out(world: ExportWorld) -> tuple[str, str]:
    """Ten members exported; one opts out, another is unsubscribed by the account; both recorded."""
    world.people(10)
    world.run()
    world.emulator.optout("person2@example.com", world.list_id)
    world.emulator.unsubscribe_by_account("person3@example.com", world.list_id)
    world.run(full_reconcile=True)
    assert statuses(world)["person2@example.com"] == statuses(world)["person3@example.com"] == "opted_out"
    return "person2@example.com", "person3@example.com"


def test_opt_outs_outlive_an_account_reset(world: ExportWorld) -> None:
    left = set(opt_two_out(world))
    world.emulator.reset()
    world.emulator.configure(rate_limit=False, processing_delay=0.0)
    recreate_list(world)

    result = world.run()
    again = world.run(full_reconcile=True)

    assert not left & world.subscribed()
    assert world.subscribed() == world.expected() - left
    assert result.counts.repaired == 8 and result.counts.added == 0
    assert result.counts.opted_out == again.counts.opted_out == 2
    assert {statuses(world)[email] for email in left} == {"opted_out_remembered"}
    assert again.tally.in_sync


def test_opt_outs_outlive_a_list_emptied_by_hand(world: ExportWorld) -> None:
    left = set(opt_two_out(world))
    world.emulator.empty_list(world.list_id)

    result = world.run()
    world.profiles["c00002"]["first_name"] = "Changed"  # a change to send does not bring them back
    later = world.run(full_reconcile=True)

    assert not left & world.subscribed()
    assert result.counts.repaired == 8
    assert result.counts.opted_out == later.counts.opted_out == 2
    assert later.counts.added == later.counts.updated == 0


def test_a_pre_existing_subscriber_stays_pre_existing_through_a_repair(world: ExportWorld) -> None:
    world.people(6)
    world.emulator.subscribe_by_account("person3@example.com", world.list_id)
    world.run()
    world.emulator.empty_list(world.list_id)

    repaired = world.run()
    assert repaired.counts.repaired == 6 and "person3@example.com" in world.subscribed()
    assert statuses(world)["person3@example.com"] == "pre_existing"
    world.members.discard("c00003")
    world.members.discard("c00004")
    after = world.run(full_reconcile=True)

    assert after.counts.removed == 1  # c00004, ours; never c00003
    assert "person3@example.com" in world.subscribed()
    assert statuses(world)["person3@example.com"] == "pre_existing"


def test_a_pre_existing_subscriber_lost_by_a_reset_is_never_made_ours(world: ExportWorld) -> None:
    world.people(4)
    world.emulator.subscribe_by_account("person1@example.com", world.list_id)
    world.run()
    world.emulator.reset()
    world.emulator.configure(rate_limit=False, processing_delay=0.0)
    recreate_list(world)
    world.members.discard("c00001")  # not a member while the list is repaired: not put back

    world.run()
    assert statuses(world)["person1@example.com"] == "pre_existing_missing"
    world.members.add("c00001")
    back = world.run()
    world.members.discard("c00001")
    world.run(full_reconcile=True)

    assert back.counts.repaired == 1 and back.counts.added == 0
    assert "person1@example.com" in world.subscribed()
    assert statuses(world)["person1@example.com"] == "pre_existing"


def test_a_stranger_in_a_same_count_swap_is_never_ours_to_remove(world: ExportWorld) -> None:
    world.people(8)
    world.run()
    world.emulator.unsubscribe_by_account("person1@example.com", world.list_id)
    world.emulator.subscribe_by_account("person900@example.com", world.list_id)  # the count is unchanged
    world.people(1, start=900)  # the stranger joins the segment before any reconcile saw them

    joined = world.run()
    assert joined.reconciliation is None  # the counts cannot tell
    assert statuses(world)["person900@example.com"] == "pre_existing"
    world.members.discard("c00900")
    left = world.run()
    full = world.run(full_reconcile=True)

    assert joined.counts.added == 0 and joined.counts.updated == 1
    assert left.counts.removed == full.counts.removed == 0
    assert "person900@example.com" in world.subscribed()
    assert "person1@example.com" not in world.subscribed()
    assert statuses(world)["person900@example.com"] == "pre_existing"


def forget(world: ExportWorld, email: str) -> ForgottenOptOut:
    """The operator forgets one opt-out, as `ac-export forget-opt-out` does."""
    store = world.state.open_ledger(world.warehouse.ledger_root, world.emulator.host, world.list_id)
    try:
        return forget_opt_out(store, email, "ops@example.com", "asked to come back (ticket 42)")
    finally:
        store.close()


def forgotten(world: ExportWorld) -> list[ForgottenOptOut]:
    store = world.state.open_ledger(world.warehouse.ledger_root, world.emulator.host, world.list_id)
    try:
        return forgotten_opt_outs(store)
    finally:
        store.close()


def test_an_opt_out_comes_back_only_by_their_own_action_and_is_never_ours(world: ExportWorld) -> None:
    came_back, stayed_out = opt_two_out(world)
    world.emulator.subscribe_by_account(came_back, world.list_id)  # a sign-up form: not our doing

    seen = world.run()
    world.members.discard("c00002")
    world.members.discard("c00003")
    left = world.run(full_reconcile=True)

    assert seen.reconciliation is not None and seen.reconciliation.pre_existing == 1
    assert statuses(world)[came_back] == "pre_existing"
    assert left.counts.removed == 0
    assert came_back in world.subscribed() and stayed_out not in world.subscribed()


def test_forgetting_an_opt_out_lets_the_next_run_subscribe_them_again(world: ExportWorld) -> None:
    asked, other = opt_two_out(world)

    record = forget(world, asked)
    result = world.run()

    assert asked in world.subscribed() and other not in world.subscribed()
    assert result.counts.resubscribed == 1 and result.counts.opted_out == 1
    assert statuses(world)[asked] == "subscribed"
    assert (record.email, record.status_before, record.by) == (asked, "opted_out", "ops@example.com")
    assert forgotten(world) == [record]
    with pytest.raises(NotOptedOut, match="holds status 'subscribed'"):
        forget(world, "Person5@Example.com")


def test_forgetting_an_opt_out_only_the_ledger_remembers(world: ExportWorld) -> None:
    asked, other = opt_two_out(world)
    world.emulator.empty_list(world.list_id)
    world.run()

    record = forget(world, asked)
    result = world.run()

    assert record.status_before == "opted_out_remembered"
    assert result.counts.added == 1 and result.counts.opted_out == 1
    assert asked in world.subscribed() and other not in world.subscribed()
    assert statuses(world)[asked] == "subscribed"
