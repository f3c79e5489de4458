"""End to end in a real headless browser: the export asset's latest counts, as the Dagster UI shows them.

Uses Debian's chromium (never a downloaded browser). Without it the test is skipped, unless
AC_EXPORT_REQUIRE_BROWSER=1 (set by .ci/run, which installs chromium) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ac_export_tests.e2e.conftest import World

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
    page.screenshot(path=str(tmp_path / "activecampaign_list.png"), full_page=True)
    assert shown == {label: counts[label] for label in SHOWN_COUNTS}
    assert shown["members"] > 0
