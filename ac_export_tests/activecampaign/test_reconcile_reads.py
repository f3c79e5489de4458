"""Why a full reconcile reads both sides of the list: no date filter can name who left since a watermark.

`filters[updated_after]` (*list-all-contacts*) bounds the contact's own `udate`. A membership change
(someone unsubscribing themselves, or an account user unsubscribing them) is not documented to touch
it, and under the emulator's stricter reading it does not; `GET /contactLists`, which holds the
memberships' own stamps, has no documented date filter. So a watermark read misses exactly what a
full reconcile exists to find, under either bound reading (`date_bounds`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from ac_export_tests.support.export_world import ExportWorld


def unsubscribed_updated_after(world: ExportWorld, watermark: datetime) -> set[str]:
    """The list's unsubscribed contacts that a watermark read (`filters[updated_after]`) returns."""
    params = {
        "listid": world.list_id,
        "status": 2,
        "limit": 100,
        "filters[updated_after]": watermark.isoformat(timespec="seconds"),
    }
    with world.emulator.api() as api:
        return {c["email"] for c in api.get("/contacts", params=params).json()["contacts"]}


def last_updated(world: ExportWorld, email: str, when: datetime) -> None:
    """Set when the contact itself was last changed (the emulator's test endpoint)."""
    stamp = when.isoformat(timespec="seconds")
    url = f"{world.emulator.base_url}/_emulator/contacts/{email}/dates"
    httpx.post(url, json={"cdate": stamp, "udate": stamp}).raise_for_status()


def test_an_opt_out_after_the_watermark_is_missed_by_a_date_filtered_read(world: ExportWorld) -> None:
    world.people(30)
    world.run()
    now = datetime.now(UTC)
    last_updated(world, "person4@example.com", now - timedelta(days=3))  # untouched since then
    # The last full reconcile's watermark, with a day's margin for clock skew and the time zone.
    watermark = now - timedelta(days=2)
    world.emulator.optout("person4@example.com", world.list_id)

    assert "person4@example.com" in world.emulator.list_members(world.list_id, 2)
    assert unsubscribed_updated_after(world, watermark) == set()


def test_the_full_reconcile_names_every_opt_out_under_each_reading(world: ExportWorld) -> None:
    world.people(30)
    world.run()
    world.emulator.optout("person4@example.com", world.list_id)
    world.emulator.unsubscribe_by_account("person5@example.com", world.list_id)

    result = world.run(full_reconcile=True)

    assert result.reconciliation is not None
    assert result.reconciliation.opted_out + result.reconciliation.unsubscribed_in_activecampaign == 2
    assert world.subscribed() == world.expected() - {"person4@example.com", "person5@example.com"}
    assert result.tally.in_sync
