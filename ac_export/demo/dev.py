"""`make dev`: the local ActiveCampaign emulator plus `dagster dev` on 127.0.0.1, with the demo's lists.

The emulator listens on port 8787 with ActiveCampaign's real limits and keeps its account in the
warehouse folder, as `make demo` does (when 8787 or the UI's 3000 is taken, the next free port,
said in the banner; see `ports.py`); its address and a fresh key are handed to Dagster
through ACTIVECAMPAIGN_API_HOST and ACTIVECAMPAIGN_API_KEY. Dagster uses the committed instance in
`.dagster_home` (run queue, pools, run monitoring) unless DAGSTER_HOME says otherwise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ac_export import settings
from ac_export.config.loading import ConfigError
from ac_export.demo.ports import (
    DAGSTER_UI_PORT,
    DEMO_EMULATOR_PORT,
    PortBusy,
    choose_port,
    emulator_state_file,
)
from ac_export.demo.run import demo_client, demo_emulator, ensure_lists
from ac_export.emulator.process import EmulatorStartError
from ac_export.project import ProjectConfig, load_project_config

DAGSTER_HOME = settings.PROJECT_ROOT / ".dagster_home"
WORKSPACE = settings.PROJECT_ROOT / "workspace.yaml"


def dagster_dev_command(port: int) -> list[str]:
    """`dagster dev` on 127.0.0.1 with the project's workspace, from this interpreter's environment."""
    dagster = Path(sys.executable).with_name("dagster")
    return [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port), "-w", str(WORKSPACE)]


def dev_environment(base: dict[str, str], api_host: str, api_key: str) -> dict[str, str]:
    """The environment of `dagster dev`: the emulator's address and key, and a persistent DAGSTER_HOME."""
    env = dict(base)
    env["ACTIVECAMPAIGN_API_HOST"] = api_host
    env["ACTIVECAMPAIGN_API_KEY"] = api_key
    # Without DAGSTER_HOME, dagster dev keeps runs in a temporary folder and ignores dagster.yaml.
    env.setdefault("DAGSTER_HOME", str(DAGSTER_HOME))
    return env


def banner(port: int, emulator_url: str, project: ProjectConfig) -> str:
    """What `make dev` prints before Dagster starts: where things are and what runs by itself."""
    automation = project.automation
    refresh = automation.refresh
    schedule = "RUNNING" if refresh.enabled else "STOPPED"
    files = "RUNNING" if automation.source_files.enabled else "STOPPED"
    webhook = automation.alerts.webhook_url_env
    return "\n".join(
        [
            f"Dagster UI:            http://127.0.0.1:{port}",
            f"ActiveCampaign:        {emulator_url} (local emulator with real limits and the demo's lists)",
            "Default states (automation.yaml; a toggle in the UI wins once used):",
            f"  refresh_schedule           {schedule} ('{refresh.cron}' {refresh.timezone})",
            f"  source_files_sensor        {files}",
            "  segment_refresh_sensor     RUNNING (every segment in one run after each refresh)",
            "  segment_exports_sensor     RUNNING (then one export run per accepted segment)",
            "  segment_partitions_sensor  RUNNING (partitions follow segments.yaml)",
            f"  run_failure_sensor         RUNNING (run log{f', and ${webhook} if set' if webhook else ''})",
            "Stop with Ctrl+C.",
        ]
    )


def run_dev(port: int | None = None, emulator_port: int | None = None) -> int:
    """Run the emulator and `dagster dev` until interrupted; returns the process exit code.

    A port given is used or refused; without one, the default (3000, 8787) or the next free port.
    """
    try:
        project = load_project_config(settings.config_dir())
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        ui = choose_port("the Dagster UI", port, DAGSTER_UI_PORT, "--port")
        emulator_at = choose_port("the emulator", emulator_port, DEMO_EMULATOR_PORT, "--emulator-port")
    except PortBusy as exc:
        print(str(exc), file=sys.stderr)
        return 2
    state_file = emulator_state_file(settings.warehouse_dir(), emulator_at.port)
    try:
        with demo_emulator(state_file, port=emulator_at.port) as (emulator, api_key):
            ensure_lists(demo_client(emulator.base_url, api_key), project)
            notes = [note for note in (ui.note, emulator_at.note) if note]
            print("\n".join([*notes, banner(ui.port, emulator.base_url, project)]), flush=True)
            return _run_dagster(ui.port, dev_environment(dict(os.environ), emulator.base_url, api_key))
    except EmulatorStartError:
        print(
            f"the emulator could not listen on 127.0.0.1:{emulator_at.port} (in use?); "
            "stop what holds it or pass --emulator-port",
            file=sys.stderr,
        )
        return 2


def _run_dagster(port: int, env: dict[str, str]) -> int:
    process = subprocess.Popen(dagster_dev_command(port), env=env, cwd=settings.PROJECT_ROOT)
    # A SIGTERM to us (a supervisor, `timeout`) must stop dagster dev and its daemon too, not orphan them.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: process.terminate())
    try:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:
                # Ctrl+C reached dagster dev too (same process group): wait while it stops cleanly.
                continue
    finally:
        signal.signal(signal.SIGTERM, previous)
