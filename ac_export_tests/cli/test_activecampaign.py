"""`ac-export check-connection` and `ac-export export`, run as users run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from ac_export.settings import PROJECT_ROOT
from ac_export_tests.support.export_world import ExportWorld
from ac_export_tests.support.hostile import hostile_server

DATA_CONFIG = PROJECT_ROOT / "data" / "config"


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ac_export.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def config_folder(tmp_path: Path, consent: bool = True) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    for name in ("sources.yaml", "unify.yaml", "measures.yaml", "segments.yaml"):
        (folder / name).write_text((DATA_CONFIG / name).read_text())
    connection = {"display_name": "Emulated", "api_host_env": "T_HOST", "api_key_env": "T_KEY"}
    connection["data_privacy_consent"] = consent
    connection["usable_by"] = "contributors"
    (folder / "connections.yaml").write_text(yaml.safe_dump({"connections": {"emu": connection}}))
    return folder


def test_check_connection_prints_the_lists(world: ExportWorld, tmp_path: Path) -> None:
    env = {
        "AC_EXPORT_CONFIG_DIR": str(config_folder(tmp_path)),
        "T_HOST": world.emulator.base_url,
        "T_KEY": world.emulator.api_key,
    }
    done = run_cli("check-connection", "emu", env=env)

    assert done.returncode == 0, done.stderr
    assert f"{world.list_id}  testers" in done.stdout
    assert "data-privacy consent: given" in done.stdout
    assert world.emulator.api_key not in done.stdout + done.stderr


def test_check_connection_with_a_wrong_key_says_so_in_one_line(world: ExportWorld, tmp_path: Path) -> None:
    env = {"AC_EXPORT_CONFIG_DIR": str(config_folder(tmp_path)), "T_HOST": world.emulator.base_url}
    done = run_cli("check-connection", "emu", env={**env, "T_KEY": "not-the-key-42"})

    assert done.returncode == 2
    assert done.stderr.startswith("error: ActiveCampaign refused the API key (HTTP 403)")
    assert "Traceback" not in done.stderr and "not-the-key-42" not in done.stderr


def test_check_connection_names_the_missing_variable(tmp_path: Path) -> None:
    done = run_cli("check-connection", "emu", env={"AC_EXPORT_CONFIG_DIR": str(config_folder(tmp_path))})
    assert done.returncode == 2
    assert "set the environment variable T_HOST" in done.stderr


def test_unknown_connection_lists_the_known_ones(tmp_path: Path) -> None:
    done = run_cli("check-connection", "nope", env={"AC_EXPORT_CONFIG_DIR": str(config_folder(tmp_path))})
    assert done.returncode == 2
    assert "no connection named 'nope' in connections.yaml (known: emu)" in done.stderr


def test_an_unreachable_state_database_is_one_line_without_its_password(
    world: ExportWorld, tmp_path: Path
) -> None:
    env = {
        "AC_EXPORT_CONFIG_DIR": str(config_folder(tmp_path)),
        "T_HOST": world.emulator.base_url,
        "T_KEY": world.emulator.api_key,
        "AC_EXPORT_STATE": "postgres",
        "AC_EXPORT_STATE_DSN": "postgresql://ac:pw-never-shown@127.0.0.1:1/state",
    }
    done = run_cli("check-connection", "emu", env=env)

    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot connect to the state database ac@127.0.0.1:1/state")
    assert "Traceback" not in done.stderr and "pw-never-shown" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_check_connection_never_prints_part_of_the_account_from_a_server_that_repeats_a_page(
    world: ExportWorld, tmp_path: Path
) -> None:
    for n in range(150):  # two pages of lists
        world.emulator.create_list(f"list {n}")
    with hostile_server(world.emulator.base_url) as hostile:
        hostile.state.strike("repeated_page", lambda request: request.url.path == "/api/3/lists")
        env = {
            "AC_EXPORT_CONFIG_DIR": str(config_folder(tmp_path)),
            "T_HOST": hostile.base_url,
            "T_KEY": world.emulator.api_key,
        }
        done = run_cli("check-connection", "emu", env=env)

    assert done.returncode == 2
    assert done.stderr.startswith("error: ActiveCampaign's read of GET /lists is inconsistent: the page at")
    assert "repeated the page before it" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "list(s):" not in done.stdout
