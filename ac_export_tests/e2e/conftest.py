"""One Dagster webserver, daemon and emulator for every end-to-end test, driven to a refreshed state once.

The scenario runs here, once: the file sensor records the source files, a held-back file arrives,
the sensor requests a refresh, when it succeeds the refresh sensor requests one run evaluating every
segment, and the exports sensor one export run per segment it accepted.
The tests then check what each part did, and add backfills and UI checks of their own.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from ac_export.automation.tags import REFRESH_RUN_TAG
from ac_export.defs.automation.sensors import SOURCE_FILES_SENSOR
from ac_export.settings import PROJECT_ROOT
from ac_export.warehouse import Warehouse
from ac_export_tests.automation.webhook import WebhookReceiver, webhook_receiver
from ac_export_tests.e2e.stack import LOCATION, REPOSITORY, DagsterStack, running_stack, wait_for
from ac_export_tests.e2e.world import (
    GOOD_SEGMENTS,
    WEBHOOK_ENV,
    deliver_late_source,
    write_project,
)
from ac_export_tests.support.emulator import EmulatorHandle, running_emulator

SENSOR_NAME_TAG = "dagster/sensor_name"
RUN_TIMEOUT_S = 240
SENSOR_TICKS = """
query Ticks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { status ticks(limit: 5) { status cursor skipReason } } }
  }
}
"""


@dataclass
class World:
    """Everything the end-to-end tests look at."""

    root: Path
    stack: DagsterStack
    emulator: EmulatorHandle
    webhook: WebhookReceiver
    warehouse: Warehouse
    refresh_run: dict[str, Any] = field(default_factory=dict)
    segment_runs: list[dict[str, Any]] = field(default_factory=list)

    def sensor_ticks(self, name: str) -> list[dict[str, Any]]:
        """The sensor's latest ticks, newest first."""
        selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": name}
        state = self.stack.graphql(SENSOR_TICKS, {"selector": selector})["sensorOrError"]["sensorState"]
        return state["ticks"]

    def refresh_on_new_file(self) -> None:
        """Let the file sensor record the files, deliver the held-back one, follow what it starts."""
        wait_for(
            "the file sensor's first tick",
            lambda: any(tick["cursor"] for tick in self.sensor_ticks(SOURCE_FILES_SENSOR)),
            RUN_TIMEOUT_S,
        )
        deliver_late_source(self.root)
        [self.refresh_run] = self.stack.wait_for_runs(
            1, RUN_TIMEOUT_S, tags={SENSOR_NAME_TAG: SOURCE_FILES_SENSOR}
        )
        # One evaluate_segments run over every segment, then one export_lists run per segment.
        runs = len(GOOD_SEGMENTS) + 1 + 1
        refresh_tag = {REFRESH_RUN_TAG: self.refresh_run["runId"]}
        self.segment_runs = self.stack.wait_for_runs(runs, RUN_TIMEOUT_S, tags=refresh_tag)
        wait_for("the failure alert", lambda: self.webhook.received.is_set(), 60)


MATERIALIZATIONS = """
query Materializations($key: [String!]!) {
  assetOrError(assetKey: {path: $key}) {
    ... on Asset {
      assetMaterializations {
        runId partition
        metadataEntries { label ... on IntMetadataEntry { intValue } }
      }
    }
  }
}
"""


def materializations(world: World, asset: str, run_id: str) -> dict[str, dict[str, int]]:
    """One run's materializations of an asset: each partition's integer metadata (one per partition)."""
    records = world.stack.graphql(MATERIALIZATIONS, {"key": [asset]})["assetOrError"]["assetMaterializations"]
    mine = [r for r in records if r["runId"] == run_id]
    assert len({r["partition"] for r in mine}) == len(mine), f"one materialization per partition: {mine}"
    return {
        r["partition"]: {e["label"]: e["intValue"] for e in r["metadataEntries"] if "intValue" in e}
        for r in mine
    }


def members_of(world: World, segment: str) -> int:
    """A segment's current members in the warehouse."""
    frame = world.warehouse.read_frame(f"segments/members/{segment}")
    return int(frame["left_at"].is_null().sum())


def _environment(
    root: Path, home: Path, config_dir: Path, emulator: EmulatorHandle, webhook_url: str
) -> dict[str, str]:
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "AC_EXPORT_CONFIG_DIR": str(config_dir),
        "AC_EXPORT_WAREHOUSE": str(root / "warehouse"),
        "AC_EXPORT_PACING_DIR": str(root / "pacing"),
        "ACTIVECAMPAIGN_API_HOST": emulator.base_url,
        "ACTIVECAMPAIGN_API_KEY": emulator.api_key,
        WEBHOOK_ENV: webhook_url,
    }


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The stack after one file-triggered refresh and the segment runs it led to."""
    root = tmp_path_factory.mktemp("e2e")
    config_dir = write_project(root)
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)):
        pass  # creates the SQLite storages once, before webserver and daemon would race to migrate them
    (root / "logs").mkdir()
    with running_emulator(api_key=secrets.token_hex(16)) as emulator, webhook_receiver() as webhook:
        for segment in GOOD_SEGMENTS:
            emulator.create_list(segment)
        env = _environment(root, home, config_dir, emulator, webhook.url)
        with running_stack(root / "logs", env) as stack:
            world = World(root, stack, emulator, webhook, Warehouse(root / "warehouse"))
            try:
                world.refresh_on_new_file()
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n--- Dagster logs (tail) ---\n{stack.logs()[-6000:]}") from None
            yield world
