"""`ac-export export` (quiet: a progress bar, a plan), `history` and `rejections`, as users run them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ac_export_tests.cli.test_activecampaign import config_folder, run_cli
from ac_export_tests.support.export_world import SEGMENT, ExportWorld


@pytest.fixture
def reading() -> str:
    """One reading: these tests are about the terminal, not ActiveCampaign's ambiguities."""
    return "documented"


def _project(tmp_path: Path, world: ExportWorld) -> dict[str, str]:
    folder = config_folder(tmp_path)
    segments = yaml.safe_load((folder / "segments.yaml").read_text())
    segments["segments"][SEGMENT] = {
        "description": "test",
        "rules": [{"attribute": "email", "operator": "is_not_empty"}],
    }
    (folder / "segments.yaml").write_text(yaml.safe_dump(segments))
    export = {"segment": SEGMENT, "connection": "emu", "list_id": world.list_id, "fields": {"email": "email"}}
    (folder / "exports.yaml").write_text(yaml.safe_dump({"exports": {"cli_export": export}}))
    return {
        "AC_EXPORT_CONFIG_DIR": str(folder),
        "AC_EXPORT_WAREHOUSE": str(world.warehouse.root),
        "T_HOST": world.emulator.base_url,
        "T_KEY": world.emulator.api_key,
        "COLUMNS": "200",
    }


def test_export_is_quiet_then_history_and_rejections_read_back(world: ExportWorld, tmp_path: Path) -> None:
    world.people(4)
    world.profiles["c00003"]["email"] = "broken@@example"
    world.write()
    env = _project(tmp_path, world)

    preview = run_cli("export", SEGMENT, "--dry-run", env=env)
    done = run_cli("export", SEGMENT, env=env)
    history = run_cli("history", SEGMENT, "--chart", str(tmp_path / "chart.png"), env=env)
    rejections = run_cli("rejections", SEGMENT, env=env)

    assert preview.returncode == 0, preview.stderr
    assert "dry run of segment testers: nothing was sent" in preview.stdout
    assert "4 contacts would change" in preview.stdout and "new in the segment" in preview.stdout
    assert "person0@example.com" in preview.stdout  # the operator sees who changes
    assert done.returncode == 0, done.stderr
    assert "confirmed by ActiveCampaign" not in done.stdout + done.stderr  # in the log file, not here
    [log] = [line.split("Log: ", 1)[1].split()[0] for line in done.stdout.splitlines() if "Log: " in line]
    assert "3 of 3 contacts confirmed by ActiveCampaign" in Path(log).read_text()
    assert history.returncode == 0, history.stderr
    assert "cli_export: 1 runs" in history.stdout
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert rejections.returncode == 0, rejections.stderr
    assert "1 rejected (rejected_invalid_email 1)" in rejections.stdout
    assert "c00003" in rejections.stdout and "broken@@example" in rejections.stdout


def test_masking_everywhere_masks_the_terminal_too(world: ExportWorld, tmp_path: Path) -> None:
    world.people(2)
    world.profiles["c00001"]["email"] = "broken@@example"
    world.write()
    env = _project(tmp_path, world)
    folder = Path(env["AC_EXPORT_CONFIG_DIR"])
    (folder / "automation.yaml").write_text(yaml.safe_dump({"privacy": {"mask_emails": "everywhere"}}))

    preview = run_cli("export", SEGMENT, "--dry-run", env=env)
    done = run_cli("export", SEGMENT, env=env)
    rejections = run_cli("rejections", SEGMENT, env=env)

    assert preview.returncode == 0, preview.stderr
    assert "pe***@example.com" in preview.stdout and "person0@example.com" not in preview.stdout
    assert done.returncode == 0, done.stderr
    assert rejections.returncode == 0, rejections.stderr
    assert "br***@" in rejections.stdout and "broken@@example" not in rejections.stdout


def test_history_of_an_unknown_segment_says_so(world: ExportWorld, tmp_path: Path) -> None:
    done = run_cli("history", "nope", env=_project(tmp_path, world))
    assert done.returncode == 2
    assert "segment 'nope' has no export in exports.yaml" in done.stderr
