"""`ac-export export` meets the same approval gate and consent rule as a Dagster run, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ac_export_tests.cli.test_activecampaign import run_cli
from ac_export_tests.cli.test_reports import _project
from ac_export_tests.support.export_world import SEGMENT, ExportWorld

LIMIT = 5
LEAVERS = 10


@pytest.fixture
def reading() -> str:
    """One reading: these tests are about the gate, not ActiveCampaign's ambiguities."""
    return "documented"


@pytest.fixture(params=["embedded", "postgres"])
def env(request: pytest.FixtureRequest, world: ExportWorld, tmp_path: Path) -> dict[str, str]:
    """The CLI's environment: the test project with approval above LIMIT, on each state backend."""
    env = _project(tmp_path, world)
    folder = Path(env["AC_EXPORT_CONFIG_DIR"])
    (folder / "automation.yaml").write_text(yaml.safe_dump({"approval": {"removals_above": LIMIT}}))
    exports = yaml.safe_load((folder / "exports.yaml").read_text())
    exports["exports"]["cli_export"]["removal_guard"] = 1.0
    (folder / "exports.yaml").write_text(yaml.safe_dump(exports))
    if request.param == "postgres":
        env |= {"AC_EXPORT_STATE": "postgres", "AC_EXPORT_STATE_DSN": request.getfixturevalue("postgres_dsn")}
    return env


def test_the_cli_waits_for_approval_of_the_plans_own_number(world: ExportWorld, env: dict[str, str]) -> None:
    world.people(12)
    world.write()
    assert run_cli("export", SEGMENT, env=env).returncode == 0
    for customer in sorted(world.members)[:LEAVERS]:
        world.members.discard(customer)
    world.write()

    waiting = run_cli("export", SEGMENT, env=env)
    stale = run_cli("export", SEGMENT, "--approve-removals", str(LEAVERS - 1), env=env)
    after_stale = len(world.subscribed())
    approved = run_cli("export", SEGMENT, "--approve-removals", str(LEAVERS), env=env)

    assert waiting.returncode == 2 and "Traceback" not in waiting.stderr
    assert f"--approve-removals {LEAVERS}" in waiting.stderr
    assert "left the segment" in waiting.stdout  # the plan is shown before the way to approve it
    assert stale.returncode == 2 and after_stale == 12
    assert approved.returncode == 0, approved.stderr
    assert len(world.subscribed()) == 12 - LEAVERS


def test_a_dry_run_without_consent_is_refused_too(world: ExportWorld, env: dict[str, str]) -> None:
    folder = Path(env["AC_EXPORT_CONFIG_DIR"])
    connections = yaml.safe_load((folder / "connections.yaml").read_text())
    connections["connections"]["emu"]["data_privacy_consent"] = False
    (folder / "connections.yaml").write_text(yaml.safe_dump(connections))
    world.people(2)
    world.write()

    done = run_cli("export", SEGMENT, "--dry-run", env=env)

    assert done.returncode == 2 and "no data-privacy consent" in done.stderr
    assert world.emulator.stats()["bulk_import_requests"] == 0 and world.subscribed() == set()
