"""`ac-export dev` (what `make dev` runs) with a stand-in for `dagster dev`: emulator, lists, env, stop.

What `dagster dev` then serves (assets, the schedule and sensors in their default states) is the
same workspace the webserver of the other end-to-end tests loads; here a small script takes its
place and records what it was given, so the test stays fast.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ac_export.demo import dev
from ac_export_tests.e2e.stack import free_port
from ac_export_tests.support.demo_config import copy_demo_config

RECORDER = """
import json, os, sys, time
import httpx
host = os.environ["ACTIVECAMPAIGN_API_HOST"]
headers = {"Api-Token": os.environ["ACTIVECAMPAIGN_API_KEY"]}
while (answer := httpx.get(host + "/api/3/lists", headers=headers)).status_code == 429:
    time.sleep(float(answer.headers["Retry-After"]))
lists = answer.json()
record = {"argv": sys.argv[1:], "dagster_home": os.environ["DAGSTER_HOME"], "host": host, "lists": lists}
open(os.environ["RECORD"], "w").write(json.dumps(record))
"""


@contextmanager
def busy_port() -> Iterator[int]:
    """A port that something already listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A demo configuration and warehouse in tmp_path, and no DAGSTER_HOME set."""
    monkeypatch.setenv("AC_EXPORT_CONFIG_DIR", str(copy_demo_config(tmp_path)))
    monkeypatch.setenv("AC_EXPORT_WAREHOUSE", str(tmp_path / "warehouse"))
    monkeypatch.setenv("AC_EXPORT_PACING_DIR", str(tmp_path / "pacing"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return tmp_path


def _stand_in(monkeypatch: pytest.MonkeyPatch, script: str) -> list[str]:
    seen: list[str] = []
    real = dev.dagster_dev_command

    def command(port: int) -> list[str]:
        seen.extend(real(port))
        return [sys.executable, "-c", script]

    monkeypatch.setattr(dev, "dagster_dev_command", command)
    return seen


def test_dev_starts_the_emulator_with_the_demo_lists_and_hands_it_to_dagster(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = project / "record.json"
    monkeypatch.setenv("RECORD", str(record))
    dagster_dev = _stand_in(monkeypatch, RECORDER)
    ui_port, emulator_port = free_port(), free_port()
    assert dev.run_dev(port=ui_port, emulator_port=emulator_port) == 0
    seen = json.loads(record.read_text())
    assert seen["host"] == f"http://127.0.0.1:{emulator_port}"
    assert seen["dagster_home"] == str(dev.DAGSTER_HOME)
    assert len(seen["lists"]["lists"]) == 14
    assert dagster_dev[1:] == ["dev", "-h", "127.0.0.1", "-p", str(ui_port), "-w", str(dev.WORKSPACE)]
    assert Path(dagster_dev[0]).name == "dagster"
    banner = capsys.readouterr().out
    assert f"Dagster UI:            http://127.0.0.1:{ui_port}" in banner
    assert "refresh_schedule           RUNNING ('0 0,6,12,18 * * *' UTC)" in banner
    assert "source_files_sensor        RUNNING" in banner
    assert (project / "warehouse" / f"emulator-state-{emulator_port}.json").exists()  # that port's account
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{emulator_port}/_emulator/stats", timeout=5)


def test_busy_default_ports_give_way_to_free_ones_and_the_banner_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = project / "record.json"
    monkeypatch.setenv("RECORD", str(record))
    dagster_dev = _stand_in(monkeypatch, RECORDER)
    with busy_port() as ui_default, busy_port() as emulator_default:
        # What another clone's `make dev` would hold: the defaults of this one.
        monkeypatch.setattr(dev, "DAGSTER_UI_PORT", ui_default)
        monkeypatch.setattr(dev, "DEMO_EMULATOR_PORT", emulator_default)
        assert dev.run_dev() == 0
    seen = json.loads(record.read_text())
    emulator_port = int(seen["host"].rsplit(":", 1)[1])
    ui_port = int(dagster_dev[dagster_dev.index("-p") + 1])
    assert emulator_port != emulator_default and ui_port != ui_default
    out = capsys.readouterr().out
    assert (
        f"127.0.0.1:{ui_default} is in use (another `make dev`?), so the Dagster UI uses port {ui_port}"
        in out
    )
    busy = f"127.0.0.1:{emulator_default} is in use (another `make dev`?)"
    assert f"{busy}, so the emulator uses port {emulator_port}" in out
    assert f"Dagster UI:            http://127.0.0.1:{ui_port}" in out
    assert f"ActiveCampaign:        http://127.0.0.1:{emulator_port}" in out


def test_sigterm_stops_dagster_dev_and_the_emulator(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The stand-in sends SIGTERM to `ac-export dev` (this process) and waits to be terminated itself.
    _stand_in(monkeypatch, "import os, signal, time; os.kill(os.getppid(), signal.SIGTERM); time.sleep(60)")
    previous = signal.getsignal(signal.SIGTERM)
    emulator_port = free_port()
    assert dev.run_dev(port=free_port(), emulator_port=emulator_port) == -signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is previous
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{emulator_port}/_emulator/stats", timeout=5)


def test_an_invalid_configuration_or_a_busy_port_is_one_line_and_exit_2(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stand_in(monkeypatch, "raise SystemExit(0)")
    config_dir = Path(os.environ["AC_EXPORT_CONFIG_DIR"])
    automation = config_dir / "automation.yaml"
    valid = automation.read_text()
    automation.write_text(valid.replace("timezone: UTC", "timezone: Mars/Olympus"))
    assert dev.run_dev(port=free_port(), emulator_port=free_port()) == 2
    assert "configuration error:" in capsys.readouterr().err
    automation.write_text(valid)
    with busy_port() as port:
        assert dev.run_dev(port=free_port(), emulator_port=port) == 2
    error = capsys.readouterr().err
    assert error.strip() == (
        f"the emulator could not listen on 127.0.0.1:{port} (in use?); "
        "stop what holds it or pass --emulator-port"
    )
