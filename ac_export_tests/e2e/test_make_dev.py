"""End to end: `ac-export dev` (run by `make dev`) serves the assets, schedule and sensors, then stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ac_export_tests.automation.conftest import copy_demo_config
from ac_export_tests.e2e.stack import free_port, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

OVERVIEW = """
{
  assetNodes { assetKey { path } }
  workspaceOrError { ... on Workspace { locationEntries { loadStatus locationOrLoadError {
    ... on RepositoryLocation { repositories {
      schedules { name scheduleState { status } }
      sensors { name sensorState { status } }
    } }
  } } } }
}
"""


def _overview(url: str) -> dict[str, object] | None:
    try:
        response = httpx.post(f"{url}/graphql", json={"query": OVERVIEW}, timeout=30)
    except httpx.HTTPError:
        return None
    data = response.json().get("data") if response.status_code == 200 else None
    entries = data["workspaceOrError"]["locationEntries"] if data else []
    return data if entries and all(e["loadStatus"] == "LOADED" for e in entries) else None


def test_make_dev_serves_assets_schedule_and_sensors_then_stops_with_its_emulator(tmp_path: Path) -> None:
    config_dir = copy_demo_config(tmp_path)
    ui_port, emulator_port = free_port(), free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "AC_EXPORT_CONFIG_DIR": str(config_dir),
        "AC_EXPORT_WAREHOUSE": str(tmp_path / "warehouse"),
        "AC_EXPORT_PACING_DIR": str(tmp_path / "pacing"),
    }
    (tmp_path / "dagster_home").mkdir()
    command = [str(Path(sys.executable).with_name("ac-export")), "dev", "--port", str(ui_port)]
    log = (tmp_path / "dev.log").open("wb")
    process = subprocess.Popen(
        [*command, "--emulator-port", str(emulator_port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        data = wait_for("make dev's UI", lambda: _overview(f"http://127.0.0.1:{ui_port}"), 240, 2)
        emulator = httpx.get(f"http://127.0.0.1:{emulator_port}/_emulator/stats", timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        log.close()
    output = (tmp_path / "dev.log").read_text(errors="replace")
    assert emulator.status_code == 200
    assets = {"/".join(node["assetKey"]["path"]) for node in data["assetNodes"]}
    assert {"sources/crm_records", "unified_profiles", "segment_members", "activecampaign_list"} <= assets
    [location] = data["workspaceOrError"]["locationEntries"]
    [repository] = location["locationOrLoadError"]["repositories"]
    assert {s["name"]: s["scheduleState"]["status"] for s in repository["schedules"]} == {
        "refresh_schedule": "RUNNING"
    }
    assert {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]} == {
        "segment_partitions_sensor": "RUNNING",
        "segment_refresh_sensor": "RUNNING",
        "source_files_sensor": "RUNNING",
        "run_failure_sensor": "RUNNING",
    }
    assert f"Dagster UI:            http://127.0.0.1:{ui_port}" in output
    assert code == 0, output[-3000:]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{emulator_port}/_emulator/stats", timeout=5)
