"""ActiveCampaign refusing: a full account, a deleted list, a revoked key, exclusions and bounces.

Each ends with a clear message or a counted, explained rejection; the ledger never records as
exported what ActiveCampaign did not accept; a later run after the fix completes the work.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from ac_export.activecampaign.api.errors import ActiveCampaignError, AuthenticationError
from ac_export.state.ledger import ledger_path
from ac_export.warehouse import Warehouse
from ac_export_tests.support.emulator import running_emulator
from ac_export_tests.support.export_world import SEGMENT, ExportWorld

FIRST_KEY, SECOND_KEY = "first-key-of-the-account", "second-key-of-the-account"


def ledger_rows(world: ExportWorld, list_id: int | None = None) -> dict[str, tuple[str, str | None]]:
    """email → (status, reason) of a list's ledger."""
    path = ledger_path(world.warehouse.root, world.emulator.host, list_id or world.list_id)
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT email, status, reason FROM ledger").fetchall()
    return {str(email): (str(status), reason) for email, status, reason in rows}


def subscribed_in_ledger(world: ExportWorld, list_id: int | None = None) -> set[str]:
    """Emails the ledger records as subscribed."""
    return {email for email, (status, _) in ledger_rows(world, list_id).items() if status == "subscribed"}


def inflight_count(world: ExportWorld) -> int:
    """Contacts the ledger still holds in flight."""
    path = ledger_path(world.warehouse.root, world.emulator.host, world.list_id)
    with duckdb.connect(str(path), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM inflight").fetchall()[0][0])


def run_while(world: ExportWorld, event: Callable[[], None], after_batches: int, **run: object) -> Exception:
    """Run the export in a thread, do `event` once `after_batches` imports were queued; return its error."""
    outcome: dict[str, object] = {}

    def export() -> None:
        """Run the export, keeping its result or its error for the test."""
        try:
            outcome["result"] = world.run(**run)  # type: ignore[arg-type]
        except Exception as exc:  # the error is what the test inspects
            outcome["error"] = exc

    thread = threading.Thread(target=export)
    thread.start()
    deadline = time.monotonic() + 60
    while world.emulator.stats()["bulk_imports_queued"] < after_batches and time.monotonic() < deadline:
        time.sleep(0.005)
    event()
    thread.join(60)
    error = outcome.get("error")
    assert isinstance(error, Exception), f"the export did not fail: {outcome.get('result')}"
    return error


def test_contact_limit_refusals_are_counted_explained_remembered_and_sent_again_at_a_full_reconcile(
    world: ExportWorld,
) -> None:
    world.emulator.configure(contact_limit=400)
    world.people(600)

    limited = world.run()

    assert limited.counts.added == 400
    assert limited.counts.rejected_by_activecampaign == 200
    table = world.warehouse.read_frame("exports/test_export/rejections")
    assert table.height == 200 and set(table["kind"]) == {"rejected_by_activecampaign"}
    assert all("contact limit" in reason for reason in table["reason"])
    assert subscribed_in_ledger(world) == world.subscribed()
    assert len(world.subscribed()) == 400

    world.emulator.configure(contact_limit=1000)  # the fix: a bigger plan
    imports = world.emulator.stats()["bulk_imports_queued"]
    remembered = world.run()

    # A refusal is remembered while the contact's data is unchanged: listed again, never re-sent.
    assert (remembered.counts.added, remembered.counts.rejected_by_activecampaign) == (0, 200)
    assert world.emulator.stats()["bulk_imports_queued"] == imports
    table = world.warehouse.read_frame("exports/test_export/rejections")
    assert table.height == 200 and all("not sent again until" in reason for reason in table["reason"])

    fixed = world.run(full_reconcile=True)  # a full reconcile (scheduled, or asked for) tries them again

    assert (fixed.counts.added, fixed.counts.rejected_by_activecampaign) == (200, 0)
    assert world.subscribed() == world.expected() == subscribed_in_ledger(world)


def test_list_deleted_mid_run_stops_with_the_fix_and_a_new_list_gets_the_segment(world: ExportWorld) -> None:
    world.emulator.configure(processing_delay=0.4, latency=0.02)
    world.people(1500)

    def delete_list() -> None:
        """What an ActiveCampaign user does in the middle of the export."""
        with world.emulator.api() as api:
            api.delete(f"/lists/{world.list_id}").raise_for_status()

    error = run_while(world, delete_list, after_batches=2)

    assert isinstance(error, ActiveCampaignError)
    assert f"list {world.list_id} was deleted while the export ran" in str(error)
    assert "set its new id as list_id in exports.yaml" in str(error)
    new_list = world.emulator.create_list("testers again")
    result = world.run(world.export(list_id=new_list))
    assert result.counts.added == 1500
    assert world.emulator.list_members(new_list) == world.expected() == subscribed_in_ledger(world, new_list)


@pytest.fixture
def two_keys(tmp_path: Path) -> Iterator[ExportWorld]:
    """An account with two API keys, so one can be revoked and the other used after."""
    with running_emulator("--api-key", SECOND_KEY, "--no-rate-limit", api_key=FIRST_KEY) as emulator:
        emulator.configure(processing_delay=0.4, latency=0.02)
        yield ExportWorld(Warehouse(tmp_path / "warehouse"), emulator, emulator.create_list(SEGMENT))


def test_key_revoked_mid_run_stops_clearly_and_a_new_key_finishes_the_work(two_keys: ExportWorld) -> None:
    world = two_keys
    world.people(1500)

    error = run_while(world, lambda: world.emulator.revoke(FIRST_KEY), after_batches=2)
    world.emulator.api_key = SECOND_KEY  # the fix: the admin puts a new key in the connection's variable

    assert isinstance(error, AuthenticationError)
    assert "refused the API key (HTTP 403)" in str(error)
    assert FIRST_KEY not in str(error)
    settled = subscribed_in_ledger(world)
    assert settled <= world.subscribed()
    assert len(settled) < 1500 and inflight_count(world) + len(settled) == 1500

    world.run()

    assert world.subscribed() == world.expected() == subscribed_in_ledger(world)
    assert inflight_count(world) == 0


def test_excluded_and_bounced_addresses_are_explained_never_recorded_and_a_fixed_address_is_sent(
    world: ExportWorld,
) -> None:
    world.people(20)
    world.emulator.exclude("person3@example.com")
    world.emulator.bounce("person5@example.com")

    first = world.run()

    rows = ledger_rows(world)
    assert first.counts.rejected_by_activecampaign == 2
    assert {rows["person3@example.com"][0], rows["person5@example.com"][0]} == {"refused"}
    assert "exclusion list" in str(rows["person3@example.com"][1])
    assert "bounce" in str(rows["person5@example.com"][1])
    assert world.subscribed() == world.expected() - {"person3@example.com", "person5@example.com"}
    assert subscribed_in_ledger(world) == world.subscribed()

    world.emulator.bounce("person7@example.com")  # bounces after it was exported
    world.profiles["c00007"]["first_name"] = "Changed"
    world.profiles["c00005"]["email"] = "person5.new@example.com"  # the fix: a working address
    second = world.run()

    assert second.counts.added == 1 and "person5.new@example.com" in world.subscribed()
    # The excluded address is remembered (counted and listed, not sent again); the bounced one's
    # update is refused.
    assert second.counts.rejected_by_activecampaign == 2
    table = world.warehouse.read_frame("exports/test_export/rejections")
    reasons = dict(table.select("email", "reason").rows())
    assert "exclusion list" in reasons["person3@example.com"]
    assert "not sent again until the contact's data changes" in reasons["person3@example.com"]
    assert ledger_rows(world)["person7@example.com"][0] == "refused"
    assert subscribed_in_ledger(world) == world.subscribed()
