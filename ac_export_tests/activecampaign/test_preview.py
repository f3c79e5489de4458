"""A dry run's plan table: who would be added, updated, removed or rejected, why, and which fields changed.

Its emails are in full for the operator, removals first; masked only with `mask_emails` (everywhere).
"""

from __future__ import annotations

import logging
import re

import pytest

from ac_export.activecampaign import progress
from ac_export.activecampaign.history import RunRecord, read_history, record_run
from ac_export.activecampaign.rejections import read_rejections
from ac_export.contracts import ExportCounts, plan_table
from ac_export_tests.support.export_world import ExportWorld


@pytest.fixture
def reading() -> str:
    """One reading is enough: the plan table reads the plan, which no reading changes."""
    return "documented"


def _plan(world: ExportWorld) -> list[tuple[str, str, str, str | None]]:
    frame = world.warehouse.read_frame(plan_table("test_export"))
    return [
        (row["customer_id"], row["action"], row["reason"], row["changed_fields"])
        for row in frame.iter_rows(named=True)
    ]


def _changes_to_preview(world: ExportWorld) -> None:
    """An exported segment, then: one leaver, one newcomer, one changed field, a moved and a lost email."""
    world.people(10)
    world.run()
    world.members.discard("c00000")
    world.people(1, start=50)
    world.profiles["c00003"]["tier"] = "platinum"
    world.profiles["c00004"]["email"] = "Moved4@example.com"
    world.profiles["c00005"]["email"] = None


def test_a_dry_run_writes_who_changes_and_why_removals_first(world: ExportWorld) -> None:
    _changes_to_preview(world)
    before = world.emulator.stats()["bulk_import_requests"]

    result = world.run(dry_run=True)

    new_in, changed, left = "new in the segment", "fields changed since the last export", "left the segment"
    moved_in = "email changed from person4@example.com"
    moved_out = (
        "email changed to moved4@example.com: the old address is unsubscribed, the person stays a member"
    )
    unusable = (
        "still a member, but the profile's email is now unusable (see its rejection); "
        "the old address is unsubscribed"
    )
    assert [row[:3] for row in _plan(world)] == [
        ("c00000", "remove", f"{left}; this project subscribed it"),
        ("c00004", "remove", moved_out),
        ("c00005", "remove", unusable),
        ("c00004", "add", moved_in),
        ("c00050", "add", new_in),
        ("c00003", "update", changed),
        ("c00005", "reject", "no email address in the profile"),
    ]
    assert _plan(world)[5][3] == "TIER"
    assert result.counts.email_changed == 1
    assert result.preview is not None and result.preview.rows == 7 and not result.preview.masked
    shown = [(action, email) for _, email, action, *_ in result.preview.sample]
    assert shown[:4] == [
        ("remove", "person0@example.com"),
        ("remove", "person4@example.com"),
        ("remove", "person5@example.com"),
        ("add", "moved4@example.com"),
    ]
    assert world.emulator.stats()["bulk_import_requests"] == before


def test_masking_everywhere_masks_the_plan_and_its_table(world: ExportWorld) -> None:
    _changes_to_preview(world)

    result = world.run(dry_run=True, mask_emails=True)

    assert result.preview is not None and result.preview.masked
    frame = world.warehouse.read_frame(plan_table("test_export"))
    emails = [e for e in frame["email"].to_list() if e is not None]
    assert emails and all("***@" in e for e in emails)
    assert all("@" not in reason or "***@" in reason for reason in frame["reason"].to_list())
    assert [email for _, email, *_ in result.preview.sample][:2] == ["pe***@example.com", "pe***@example.com"]


def test_a_dry_run_over_the_removal_guard_previews_and_warns(world: ExportWorld) -> None:
    world.people(10)
    world.run()
    world.members.clear()
    world.people(1, start=50)

    result = world.run(world.export(removal_guard=0.2), dry_run=True)

    assert result.counts.removed == 10
    assert result.warnings and "removal_guard" in result.warnings[0]
    assert result.preview is not None and result.preview.rows == 11


def test_progress_counts_refusals_apart_from_confirmations(
    world: ExportWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world.people(3)
    world.emulator.exclude(str(world.profiles["c00001"]["email"]).lower())
    seen: list[progress.Progress] = []

    with progress.listening(seen.append), caplog.at_level(logging.INFO, logger="test-export"):
        result = world.run()

    done = seen[-1]
    assert (done.stage, done.total, done.confirmed, done.refused) == ("done", 3, 2, 1)
    lines = [r.getMessage() for r in caplog.records if "confirmed by ActiveCampaign" in r.getMessage()]
    assert lines and "2 of 3 contacts confirmed by ActiveCampaign, 1 refused" in lines[-1]
    assert result.counts.contacts_per_s == round(2 / result.counts.duration_s, 1)
    rejections = read_rejections(world.warehouse, "test_export")
    assert rejections is not None and rejections.by_kind == {"rejected_by_activecampaign": 1}
    assert rejections.rows[0][1].startswith("pe***@")  # as shared metadata shows it
    unmasked = read_rejections(world.warehouse, "test_export", mask=False)
    assert unmasked is not None and unmasked.rows[0][1] == "person1@example.com"  # the operator's terminal
    again = world.run(dry_run=True)
    assert again.preview is not None
    [(_, _, action, reason, _)] = again.preview.sample
    # Remembered: not sent again while its data is unchanged.
    assert (action, reason[:40]) == ("skip", "refused by ActiveCampaign on an earlier ")
    retried = world.run(dry_run=True, full_reconcile=True)  # a full reconcile tries it once more
    assert retried.preview is not None
    [(_, _, action, reason, _)] = retried.preview.sample
    assert (action, reason[:50]) == ("add", "sent again: ActiveCampaign refused it last time (r")


def test_history_keeps_one_row_per_run_with_every_count(world: ExportWorld) -> None:
    for run_id, added in (("r1", 3), ("r2", 1), ("r1", 4)):
        counts = ExportCounts(members=5, added=added)
        record_run(world.warehouse, RunRecord("test_export", "testers", 1, run_id, counts, 5))

    history = read_history(world.warehouse, "test_export")

    assert history["run_id"].to_list() == ["r2", "r1"]
    assert history["added"].to_list() == [1, 4]
    assert set(ExportCounts.names()) <= set(history.columns)


def test_log_lines_never_carry_an_email(world: ExportWorld, caplog: pytest.LogCaptureFixture) -> None:
    _changes_to_preview(world)
    world.emulator.exclude("person50@example.com")

    with caplog.at_level(logging.DEBUG):
        world.run(dry_run=True)
        world.run()

    lines = [record.getMessage() for record in caplog.records]
    assert lines and not [line for line in lines if re.search(r"[\w.+-]{3,}@", line)]
