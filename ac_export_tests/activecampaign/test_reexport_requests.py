"""What a re-export reads and sends, request by request, counted by the emulator over a real socket."""

from __future__ import annotations

from collections import Counter

from ac_export_tests.support.export_world import ExportWorld

LIST_READ = "GET /api/3/lists/{id}"
FIELDS = "GET /api/3/fields"
COUNTS = "GET /api/3/contacts"
BULK = "POST /api/3/import/bulk_import"
STATUS = "GET /api/3/import/info"


def requests_by_endpoint(world: ExportWorld) -> Counter[str]:
    """Every API request the emulator has answered so far, by endpoint (all outcomes together)."""
    by_endpoint = world.emulator.stats()["by_endpoint"]
    return Counter({name: sum(outcomes.values()) for name, outcomes in by_endpoint.items()})


def change_one_percent(world: ExportWorld) -> None:
    """Of 1,000 members: 5 change a field, 3 leave, 3 join (the benchmark's mix, at a test's size)."""
    for n in range(5):
        world.profiles[f"c{n:05d}"]["first_name"] = f"Changed{n}"
    world.members -= {f"c{n:05d}" for n in range(10, 13)}
    world.people(3, start=1000)


def test_a_one_percent_re_export_reads_four_times_around_one_batch(world: ExportWorld) -> None:
    world.people(1000)
    world.run()
    change_one_percent(world)
    before = requests_by_endpoint(world)

    result = world.run()

    made = requests_by_endpoint(world) - before
    # Before planning: both counts (which also check the key); they are the ledger's, so the list is
    # not read. Before sending: the mapped field, as the plan sends its values. After the upload: the
    # subscribed count, which also proves the list was not deleted meanwhile.
    assert made[FIELDS] == 1 and made[COUNTS] == 3
    assert made[BULK] == 1  # 11 contacts: subscribe, update and unsubscribe in one import
    assert made[STATUS] >= 1  # each batch counts done only once ActiveCampaign reports it processed
    assert set(made) == {FIELDS, COUNTS, BULK, STATUS}
    assert result.counts.requests == sum(made.values())
    assert (result.counts.updated, result.counts.removed, result.counts.added) == (5, 3, 3)
    assert world.subscribed() == world.expected()


def test_an_unchanged_run_makes_two_requests(world: ExportWorld) -> None:
    world.people(300)
    world.run()
    before = requests_by_endpoint(world)

    result = world.run()

    made = requests_by_endpoint(world) - before
    # The counts are the ledger's: the list exists and holds our people; nothing sends a field value.
    assert made == Counter({COUNTS: 2})
    assert result.counts.requests == 2 and result.tally.in_sync


def test_the_counts_after_a_run_are_the_ones_activecampaign_holds(world: ExportWorld) -> None:
    world.people(400)
    world.run()
    world.emulator.unsubscribe_by_account("person7@example.com", world.list_id)
    world.run()  # reconciles the one unsubscribed by someone else
    change_one_percent(world)

    result = world.run()

    assert result.tally.activecampaign_subscribed == len(world.subscribed())
    assert result.tally.in_sync


def test_a_change_by_someone_else_during_a_run_is_counted_by_the_next_run(world: ExportWorld) -> None:
    world.people(300)
    world.run()
    world.emulator.optout("person5@example.com", world.list_id)

    result = world.run()

    # The verification before planning counts the opt-out; the run's own figures keep it.
    assert result.tally.activecampaign_subscribed == len(world.subscribed()) == 299
    assert world.run().tally.activecampaign_subscribed == 299
