"""End to end in a real headless browser: what the Dagster UI shows of exports.

The latest counts of a segment, a dry run's plan table, a list's history picture and the rejections
table, then an operator's journey (a run stopped for approval, its preview, a wrong approval refused and the
right one run from the launchpad, its
rejections two clicks from the asset); each view is saved as a screenshot in `test-artefacts/browser/`
(or $AC_EXPORT_TEST_ARTEFACTS).
Uses Debian's chromium (never a downloaded browser). Without it the tests are skipped, unless
AC_EXPORT_REQUIRE_BROWSER=1 (set by .ci/run, which installs chromium) makes that a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ac_export.automation.tags import DRY_RUN_TAG, SEGMENT_TAG
from ac_export.settings import PROJECT_ROOT
from ac_export_tests.e2e.conftest import RUN_TIMEOUT_S, World
from ac_export_tests.e2e.stack import FINISHED, LOCATION, REPOSITORY, wait_for
from ac_export_tests.e2e.world import export_name

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(900)]

CHROMIUM = Path("/usr/bin/chromium")
MISSING = f"{CHROMIUM} is missing (apt-get install chromium)"
if not CHROMIUM.exists() and os.environ.get("AC_EXPORT_REQUIRE_BROWSER") != "1":
    # Skipped before the shared Dagster stack is started for nothing.
    pytest.skip(MISSING, allow_module_level=True)

SEGMENT = "california_email_subscribers"
SHOWN_COUNTS = ("members", "added", "updated", "unchanged", "removed", "batches")
UI_TIMEOUT_MS = 120_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LATEST = """
query Latest($partition: String!) {
  assetOrError(assetKey: {path: ["activecampaign_list"]}) {
    ... on Asset {
      assetMaterializations(partitions: [$partition], limit: 1) {
        runId metadataEntries { label ... on IntMetadataEntry { intValue } }
      }
    }
  }
}
"""


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    """A page of a fresh headless chromium profile."""
    if not CHROMIUM.exists():
        pytest.fail(f"AC_EXPORT_REQUIRE_BROWSER=1 but {MISSING}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context.new_page()
        finally:
            context.close()
            shutil.rmtree(tmp_path / "profile", ignore_errors=True)


ARTEFACTS = Path(os.environ.get("AC_EXPORT_TEST_ARTEFACTS", PROJECT_ROOT / "test-artefacts")) / "browser"
# A segment of its own (so no other test's list changes): Californians, one of them on the account's
# exclusion list, so that ActiveCampaign refuses them and the export has a rejection to show.
VIEW_SEGMENT = "browser_view"
VIEW_RULES = [{"attribute": "state", "operator": "equals", "value": "California"}]


def _screenshot(page: Any, name: str, element: Any = None) -> Path:
    """Save the page as a test artefact (and again with `element` at the top, if given)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    if element is not None:
        element.evaluate("row => row.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(ARTEFACTS / f"{name}-table.png"))
    return path


def _add_view_segment(world: World) -> str:
    """Add VIEW_SEGMENT and its export to a new list, with one member excluded; returns that email."""
    list_id = world.emulator.create_list(VIEW_SEGMENT)
    profiles = world.warehouse.read_frame("profiles/unified_profiles")
    excluded = sorted(
        str(e).strip().lower() for e in profiles.filter(profiles["state"] == "California")["email"]
    )
    world.emulator.exclude(excluded[0])
    config = world.root / "data" / "config"
    segments = yaml.safe_load((config / "segments.yaml").read_text())
    segments["segments"][VIEW_SEGMENT] = {"description": "the browser test's own", "rules": VIEW_RULES}
    exports = yaml.safe_load((config / "exports.yaml").read_text())
    exports["exports"][export_name(VIEW_SEGMENT)] = {
        "segment": VIEW_SEGMENT,
        "list_id": list_id,
        "tags": ["contoso", VIEW_SEGMENT],
    }
    # Exports first: a segment without its export would be run (and exported) without it.
    (config / "exports.yaml").write_text(yaml.safe_dump(exports, sort_keys=False))
    (config / "segments.yaml").write_text(yaml.safe_dump(segments, sort_keys=False))
    return excluded[0]


def _preview_with_a_new_tag(world: World) -> str:
    """Give the view's export one more tag (every contact changes), then preview it; returns the run id."""
    path = world.root / "data" / "config" / "exports.yaml"
    exports = yaml.safe_load(path.read_text())
    exports["exports"][export_name(VIEW_SEGMENT)]["tags"].append("previewed")
    path.write_text(yaml.safe_dump(exports, sort_keys=False))
    return world.stack.client().submit_job_execution(
        "preview_segment",
        repository_location_name=LOCATION,
        repository_name=REPOSITORY,
        tags={"dagster/partition": VIEW_SEGMENT},
    )


@pytest.fixture(scope="module")
def views(world: World) -> dict[str, str]:
    """The view segment's first run (by the new-segment sensor) and a preview after it."""
    excluded = _add_view_segment(world)
    [first] = world.stack.wait_for_runs(1, RUN_TIMEOUT_S, tags={SEGMENT_TAG: VIEW_SEGMENT})
    assert first["status"] == "SUCCESS", world.stack.logs()[-4000:]
    preview_id = _preview_with_a_new_tag(world)
    runs = world.stack.wait_for_runs(1, RUN_TIMEOUT_S, tags={SEGMENT_TAG: VIEW_SEGMENT, DRY_RUN_TAG: "true"})
    assert [(r["runId"], r["status"]) for r in runs] == [(preview_id, "SUCCESS")]
    return {"excluded": excluded, "preview": preview_id, "first": first["runId"]}


def _open_partition(world: World, page: Any, segment: str) -> None:
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(f"{world.stack.url}/assets/activecampaign_list?view=partitions")
    page.get_by_text(segment, exact=True).first.click()
    page.get_by_text("Latest materialization", exact=True).wait_for()


def _metadata_row(page: Any, label: str, showing: str | None = None) -> Any:
    """The metadata row `label` (the one showing `showing`: a partition shows several events' rows)."""
    rows = page.locator("tr", has=page.get_by_text(label, exact=True))
    row = (rows.filter(has_text=showing) if showing else rows).last
    row.wait_for()
    row.scroll_into_view_if_needed()
    return row


def test_a_dry_run_shows_who_would_change_and_why(world: World, views: dict[str, str], page: Any) -> None:
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(f"{world.stack.url}/assets/activecampaign_list?view=events&partition={VIEW_SEGMENT}")
    page.get_by_text("Dry run (preview)", exact=False).first.wait_for()
    plan = _metadata_row(page, "preview/plan", showing="fields changed since the last export")
    text = plan.inner_text()
    _screenshot(page, "dry_run_plan", plan)
    assert "update" in text and "tags" in text
    # The run's plan is the operator's: who changes, in full.
    assert views["excluded"] in text and "***@" not in text
    assert "/plan.v" in _metadata_row(page, f"preview/plan_path/{export_name(VIEW_SEGMENT)}").inner_text()


def test_a_list_history_is_a_picture(world: World, views: dict[str, str], page: Any) -> None:
    _open_partition(world, page, VIEW_SEGMENT)
    _metadata_row(page, "history").get_by_text("Show Markdown").click()
    picture = page.locator(f"img[alt='history of {export_name(VIEW_SEGMENT)}']")
    picture.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    _screenshot(page, "list_history")
    assert (picture.get_attribute("src") or "").startswith("data:image/png;base64,")


def test_rejections_are_a_table_two_clicks_away(world: World, views: dict[str, str], page: Any) -> None:
    _open_partition(world, page, VIEW_SEGMENT)
    rejections = _metadata_row(page, "rejections", showing="rejected_by_activecampaign")
    text = rejections.inner_text()
    _screenshot(page, "rejections", rejections)
    masked = views["excluded"][:2] + "***@" + views["excluded"].split("@")[1]
    assert masked in text and views["excluded"] not in text
    path = _metadata_row(page, f"rejections_path/{export_name(VIEW_SEGMENT)}").inner_text()
    assert "/rejections.v" in path


def _latest_counts(world: World) -> tuple[str, dict[str, int]]:
    asset = world.stack.graphql(LATEST, {"partition": SEGMENT})["assetOrError"]
    [latest] = asset["assetMaterializations"]
    return latest["runId"], {e["label"]: e["intValue"] for e in latest["metadataEntries"] if "intValue" in e}


def test_the_ui_shows_the_latest_export_counts_of_a_segment(world: World, page: Any, tmp_path: Path) -> None:
    run_id, counts = _latest_counts(world)
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(f"{world.stack.url}/assets/activecampaign_list?view=partitions")
    page.get_by_text(SEGMENT, exact=True).first.click()
    page.get_by_text("Latest materialization", exact=True).wait_for()
    page.get_by_text(run_id[:8], exact=True).wait_for()
    shown = {}
    for label in SHOWN_COUNTS:
        row = page.locator("tr", has=page.get_by_text(label, exact=True))
        shown[label] = int(row.locator("td").nth(1).inner_text().strip())
    _screenshot(page, "latest_counts")
    assert shown == {label: counts[label] for label in SHOWN_COUNTS}
    assert shown["members"] > 0


# The operator's journey, last: it narrows the view segment to one member (the excluded one).
APPROVAL_LIMIT = 10
LAUNCHPAD = f"/locations/{LOCATION}/jobs/export_segment/playground"


def _submit(world: World, job: str, run_config: dict[str, Any] | None = None) -> str:
    return world.stack.client().submit_job_execution(
        job,
        repository_location_name=LOCATION,
        repository_name=REPOSITORY,
        run_config=run_config or {},
        tags={"dagster/partition": VIEW_SEGMENT},
    )


def _finished(world: World, run_id: str) -> str:
    """Wait for one run of the view segment to finish; returns its status."""

    def status() -> str | None:
        runs = {r["runId"]: r["status"] for r in world.stack.runs({SEGMENT_TAG: VIEW_SEGMENT})}
        return runs[run_id] if runs.get(run_id) in FINISHED else None

    return wait_for(f"run {run_id}", status, RUN_TIMEOUT_S)


def _narrow_to(world: World, customer_id: str) -> None:
    """Keep one member in the view segment (a large removal), with the guards before the approval opened.

    The segment's membership guard (max_change_fraction 0.5) would otherwise hold the narrowing
    before the export runs, and the export's removal_guard stop it: the approval is the subject here.
    """
    config = world.root / "data" / "config"
    segments = yaml.safe_load((config / "segments.yaml").read_text())
    rule = {"attribute": "customer_id", "operator": "equals", "value": customer_id}
    segments["segments"][VIEW_SEGMENT]["rules"] = [*VIEW_RULES, rule]
    segments["segments"][VIEW_SEGMENT]["guard"] = {"max_change_fraction": 1.0}
    exports = yaml.safe_load((config / "exports.yaml").read_text())
    exports["exports"][export_name(VIEW_SEGMENT)]["removal_guard"] = 1.0
    (config / "exports.yaml").write_text(yaml.safe_dump(exports, sort_keys=False))
    (config / "segments.yaml").write_text(yaml.safe_dump(segments, sort_keys=False))


def _launch_approving(world: World, page: Any, removals: int) -> str:
    """Launch export_segment from the launchpad as an operator does, approving `removals`; its run id."""
    page.goto(f"{world.stack.url}{LAUNCHPAD}")
    # The launchpad keeps the last session's edits in the browser: each launch starts from the default.
    page.evaluate("localStorage.clear()")
    page.reload()
    partition = page.get_by_placeholder("Partition")
    partition.click()
    partition.fill(VIEW_SEGMENT)
    page.get_by_text(VIEW_SEGMENT, exact=True).first.click()
    page.get_by_text(f"partition: {VIEW_SEGMENT}").wait_for()
    # The launchpad starts from the job's default config (resources included, as the deployment
    # sets them): the operator adds one line under activecampaign_list's config.
    page.locator(".CodeMirror-line", has_text="full_reconcile").first.click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type(f"approve_removals: {removals}")
    page.get_by_role("button", name="Launch Run").click()
    page.wait_for_url("**/runs/*")
    return str(page.url.rsplit("/", 1)[1])


def _run_page_shows(page: Any, status: str, text: str) -> None:
    """The open run page reaches `status` and shows `text` in its log."""
    page.get_by_text(status, exact=True).first.wait_for(timeout=RUN_TIMEOUT_S * 1000)
    page.get_by_text(text, exact=False).first.wait_for()


def test_an_operator_previews_approves_a_large_removal_and_finds_its_rejections(
    world: World, views: dict[str, str], page: Any
) -> None:
    page.set_default_timeout(UI_TIMEOUT_MS)
    profiles = world.warehouse.read_frame("profiles/unified_profiles")
    californians = profiles.filter(profiles["state"] == "California").select("customer_id", "email")
    emails = {str(e).strip().lower(): str(c) for c, e in californians.iter_rows()}
    subscribed = world.emulator.list_members(int(_view_list_id(world)))
    leavers = subscribed - {views["excluded"]}
    automation = world.root / "data" / "config" / "automation.yaml"
    original = automation.read_text()
    settings = yaml.safe_load(original)
    settings["approval"] = {"removals_above": APPROVAL_LIMIT}
    automation.write_text(yaml.safe_dump(settings, sort_keys=False))
    try:
        _narrow_to(world, emails[views["excluded"]])

        # 1. A run that would remove more than the limit stops, naming the number to approve.
        stopped = _submit(world, "export_segment")
        assert _finished(world, stopped) == "FAILURE", _run_messages(world, stopped)[-5:]
        page.goto(f"{world.stack.url}/runs/{stopped}")
        page.get_by_text("would remove", exact=False).first.wait_for()
        # The number to approve is the plan's own (the ledger's view of the list), read as a person would.
        found = re.search(r"would remove (\d+) contacts", page.locator("body").inner_text())
        assert found, _run_messages(world, stopped)[-5:]
        removals = int(found.group(1))
        assert APPROVAL_LIMIT < removals <= len(leavers)
        page.get_by_text(f"approve_removals: {removals}", exact=False).first.wait_for()
        _screenshot(page, "journey_1_waiting_for_approval")
        assert len(world.emulator.list_members(int(_view_list_id(world)))) == len(subscribed)

        # 2. The preview shows who would be removed, in full, removals first.
        preview = _submit(world, "preview_segment")
        assert _finished(world, preview) == "SUCCESS", _run_messages(world, preview)[-5:]
        page.goto(f"{world.stack.url}/assets/activecampaign_list?view=events&partition={VIEW_SEGMENT}")
        plan = _metadata_row(page, "preview/plan", showing="left the segment")
        text = plan.inner_text()
        _screenshot(page, "journey_2_preview", plan)
        shown = [email for email in leavers if email in text]
        assert shown and "***@" not in text  # who would be removed, in full
        assert text.index("remove") < min(text.index(email) for email in shown)
        assert "waits for approval" in _metadata_row(page, "preview/would_stop").inner_text()

        # 3. From the launchpad: a wrong number is refused, the plan's own number removes them.
        refused = _launch_approving(world, page, removals - 1)
        _run_page_shows(
            page, "Failure", f"the approval given was for {removals - 1}, not this plan's {removals}"
        )
        _screenshot(page, "journey_3_a_wrong_number_refused")
        assert _finished(world, refused) == "FAILURE"
        assert len(world.emulator.list_members(int(_view_list_id(world)))) == len(subscribed)
        approved = _launch_approving(world, page, removals)
        _run_page_shows(page, "Success", f"remove {removals}")
        _screenshot(page, "journey_3_approved")
        assert _finished(world, approved) == "SUCCESS", _run_messages(world, approved)[-5:]
        assert len(world.emulator.list_members(int(_view_list_id(world)))) == len(subscribed) - removals

        # 4. Its rejections, two clicks from the asset: the Partitions tab, then the segment.
        page.goto(f"{world.stack.url}/assets/activecampaign_list")
        page.get_by_text("Partitions", exact=True).first.click()
        page.get_by_text(VIEW_SEGMENT, exact=True).first.click()
        page.get_by_text(approved[:8], exact=True).first.wait_for()
        rejections = _metadata_row(page, "rejections", showing="rejected_by_activecampaign")
        text = rejections.inner_text()
        _screenshot(page, "journey_4_rejections", rejections)
        masked = views["excluded"][:2] + "***@" + views["excluded"].split("@")[1]
        assert masked in text and views["excluded"] not in text
        removed = page.locator("tr", has=page.get_by_text("removed", exact=True)).first
        assert int(removed.locator("td").nth(1).inner_text().strip()) == removals
    finally:
        automation.write_text(original)


RUN_MESSAGES = """
query Messages($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run { eventConnection(limit: 1000) { events {
      ... on MessageEvent { message }
      ... on ExecutionStepFailureEvent { error { message } }
    } } }
  }
}
"""


def _run_messages(world: World, run_id: str) -> list[str]:
    run = world.stack.graphql(RUN_MESSAGES, {"runId": run_id})["runOrError"]
    events = run["eventConnection"]["events"]
    return [f"{e.get('message') or ''} {(e.get('error') or {}).get('message') or ''}".strip() for e in events]


def _view_list_id(world: World) -> int:
    exports = yaml.safe_load((world.root / "data" / "config" / "exports.yaml").read_text())
    return int(exports["exports"][export_name(VIEW_SEGMENT)]["list_id"])
