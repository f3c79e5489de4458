"""Every counts table adds up: a run's members are exactly its added, updated, unchanged, re-subscribed,
repaired, opted-out, unsubscribed-in-ActiveCampaign, folded and rejected contacts.

Checked over real runs through the emulator, under each reading, in every scenario that moves a
member from one count to another, and in the three tables that show the counts: the terminal's, the
demo's (the terminal's columns) and Dagster's `exports` table.
"""

from __future__ import annotations

import io
import re

import rich.console

from ac_export.activecampaign.list_export import ExportResult
from ac_export.contracts import MEMBER_PARTS, ExportCounts
from ac_export.defs.activecampaign.assets import EXPORT_ROW_COUNTS, MEMBER_COUNTS, _exports_table
from ac_export.terminal.tables import MEMBER_COLUMNS, counts_table
from ac_export_tests.support.export_world import ExportWorld

NAME = "test_export"


def _terminal_row(counts: ExportCounts) -> dict[str, str]:
    """The terminal's counts table as a reader sees it: heading → cell (cells are two spaces apart)."""
    console = rich.console.Console(file=io.StringIO(), width=400)
    console.print(counts_table([(NAME, counts)]))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    heading, _, row = [line for line in text.splitlines() if line.strip()]
    cells = dict(zip(re.split(r"\s{2,}", heading.strip()), re.split(r"\s{2,}", row.strip()), strict=True))
    assert cells["export"] == NAME
    return cells


def adds_up(result: ExportResult) -> ExportCounts:
    """Assert that the run's counts, and each table of them, add up to its members; returns the counts."""
    counts = result.counts
    parts = {name: getattr(counts, name) for name in MEMBER_PARTS}
    assert counts.members == counts.accounted == sum(parts.values()), parts
    shown = _terminal_row(counts)
    numbers = {heading: int(shown[heading].replace(",", "")) for _, heading in MEMBER_COLUMNS}
    assert sum(numbers.values()) == int(shown["members"].replace(",", "")) == counts.members, shown
    [record] = _exports_table([result]).records
    row = record.data
    assert set(EXPORT_ROW_COUNTS) <= set(row)
    assert sum(row[name] for name in MEMBER_COUNTS) == row["members"] == counts.members, row
    return counts


def test_adds_and_every_kind_of_rejection_add_up(world: ExportWorld) -> None:
    world.people(8)
    world.profiles["c00001"]["email"] = None
    world.profiles["c00002"]["email"] = "broken@@example"
    world.profiles["c00003"]["email"] = "PERSON4@example.com"  # the same person as c00004: folded
    world.emulator.exclude("person5@example.com")

    preview = adds_up(world.run(dry_run=True))
    counts = adds_up(world.run())

    assert (preview.members, preview.added, preview.duplicates_folded) == (8, 5, 1)
    assert counts.members == 8 and counts.added == 4
    assert (counts.rejected_missing_email, counts.rejected_invalid_email) == (1, 1)
    assert (counts.duplicates_folded, counts.rejected_by_activecampaign) == (1, 1)


def test_updates_removals_and_moved_emails_add_up(world: ExportWorld) -> None:
    world.people(10)
    adds_up(world.run())
    world.members -= {"c00000", "c00001"}
    world.profiles["c00002"]["tier"] = "platinum"
    world.profiles["c00003"]["email"] = "Moved3@example.com"

    counts = adds_up(world.run())

    assert (counts.members, counts.removed, counts.updated, counts.email_changed) == (8, 3, 1, 1)
    assert (counts.added, counts.unchanged) == (1, 6)


def test_opt_outs_and_unsubscribes_before_us_add_up(world: ExportWorld) -> None:
    world.people(6)
    adds_up(world.run())
    world.emulator.optout("person1@example.com", world.list_id)
    # Newcomers unsubscribed from the list in ActiveCampaign before this project managed them.
    world.emulator.subscribe_by_account(["person20@example.com", "person21@example.com"], world.list_id)
    world.emulator.unsubscribe_by_account(["person20@example.com", "person21@example.com"], world.list_id)
    world.people(3, start=20)

    counts = adds_up(world.run(full_reconcile=True))

    assert counts.members == 9 and counts.opted_out == 1
    assert (counts.unsubscribed_in_activecampaign, counts.added) == (2, 1)


def test_returning_members_and_repairs_add_up(world: ExportWorld) -> None:
    world.people(6)
    adds_up(world.run())
    world.members.discard("c00000")
    adds_up(world.run())
    world.members.add("c00000")

    returned = adds_up(world.run())
    world.emulator.empty_list(world.list_id)  # a restore from backup: the memberships are gone
    repaired = adds_up(world.run())

    assert (returned.members, returned.resubscribed, returned.unchanged) == (6, 1, 5)
    assert (repaired.members, repaired.repaired) == (6, 6)
    assert world.subscribed() == world.expected()


def test_a_refused_removal_stands_apart_from_the_members(world: ExportWorld) -> None:
    world.people(4)
    adds_up(world.run())
    world.emulator.exclude("person0@example.com")
    world.members.discard("c00000")

    counts = adds_up(world.run())

    assert (counts.members, counts.removed, counts.removals_refused) == (3, 0, 1)
    assert counts.rejected_by_activecampaign == 0  # a leaver is not a rejected member
