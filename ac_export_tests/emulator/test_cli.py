"""The `ac-export emulator` command: flags, the listening line, and user errors on one line."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys

import pytest

from ac_export.cli import COMMAND_MODULES
from ac_export.emulator import commands as emulator_commands
from ac_export.emulator.commands import register, run, startup_spec
from ac_export.emulator.readings import Readings
from ac_export_tests.support.emulator import running_emulator

CONTRACT_FLAGS = (
    "--host", "--port", "--api-key", "--time-scale", "--no-rate-limit", "--processing-delay",
    "--contact-limit", "--state", "--fault-rate", "--seed", "--list", "--field",
    "--resubscribe", "--automations-flag", "--failure-index", "--success-key", "--lists-id-greater",
    "--fieldrels",
)  # fmt: skip


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ac_export.emulator", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=30, env=env)


def _ac_export_parser() -> argparse.ArgumentParser:
    """`ac-export` with only the emulator's sub-command (the other areas' imports are slow and not ours)."""
    parser = argparse.ArgumentParser(prog="ac-export")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_ac_export_has_the_emulator_command_with_the_contract_flags(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert emulator_commands in COMMAND_MODULES
    parser = _ac_export_parser()
    args = parser.parse_args(
        ["emulator", "--api-key", "k", "--port", "0", "--time-scale", "60", "--list", "A"]
    )
    assert args.handler is run
    assert (args.host, args.port, args.time_scale, args.lists) == ("127.0.0.1", 0, 60.0, ["A"])
    with pytest.raises(SystemExit):
        parser.parse_args(["emulator", "--help"])
    help_text = capsys.readouterr().out
    for flag in CONTRACT_FLAGS:
        assert flag in help_text


def test_defaults_bind_localhost_8787() -> None:
    args = _ac_export_parser().parse_args(["emulator", "--api-key", "k"])
    assert (args.host, args.port) == ("127.0.0.1", 8787)
    spec = startup_spec(args)
    assert spec.knobs.rate_limit and spec.knobs.time_scale == 1.0 and spec.state_file is None


def test_listening_line_names_the_real_port() -> None:
    with running_emulator() as handle:
        host, port = handle.host.split(":")
        assert host == "127.0.0.1" and int(port) > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "no API key"),
        (("--api-key", "k", "--time-scale", "0"), "time-scale must be > 0"),
        (("--api-key", "k", "--fault-rate", "2"), "fault-rate must be between 0 and 1"),
        (("--api-key", "k", "--field", "TIER:colour"), "--field 'TIER:colour'"),
        (("--api-key", "k", "--fault-kinds", "500,meteor"), "fault-kinds must be a non-empty subset"),
    ],
)
def test_user_errors_exit_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    result = _run("--port", "0", *args, env={"PATH": "/usr/bin"})
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_port_in_use_is_a_user_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = _run("--api-key", "k", "--port", str(taken.getsockname()[1]))
    assert result.returncode == 2
    assert "cannot listen on 127.0.0.1" in result.stderr and "Traceback" not in result.stderr


def test_startup_lists_and_fields_exist_with_ids_in_order() -> None:
    flags = (
        "--list",
        "Newsletter",
        "--list",
        "Customers",
        "--field",
        "LOYALTY_TIER",
        "--field",
        "BIRTHDAY:date",
    )
    with running_emulator(*flags, "--no-rate-limit") as handle, handle.api() as api:
        lists = api.get("/lists").json()["lists"]
        assert [(item["id"], item["name"]) for item in lists] == [("1", "Newsletter"), ("2", "Customers")]
        fields = api.get("/fields").json()["fields"]
        assert [(f["id"], f["perstag"], f["type"]) for f in fields] == [
            ("1", "LOYALTY_TIER", "text"),
            ("2", "BIRTHDAY", "date"),
        ]
        assert api.post("/lists", json={"list": {"name": "Third"}}).json()["list"]["id"] == "3"


def test_readings_default_to_the_documented_ones_and_flags_select_the_others() -> None:
    parser = _ac_export_parser()
    assert startup_spec(parser.parse_args(["emulator", "--api-key", "k"])).knobs.readings == Readings()
    lenient = [
        "--resubscribe", "lenient", "--automations-flag", "both", "--failure-index", "1",
        "--success-key", "success", "--lists-id-greater", "honoured", "--fieldrels", "lenient",
    ]  # fmt: skip
    readings = startup_spec(parser.parse_args(["emulator", "--api-key", "k", *lenient])).knobs.readings
    assert readings == Readings("lenient", "both", 1, "success", "honoured", "lenient")


def test_reading_flags_reach_the_running_emulator_and_survive_a_reset() -> None:
    with running_emulator("--failure-index", "1", "--success-key", "success") as handle:
        handle.reset()
        assert (handle.stats()["readings"]["failure_index"], handle.stats()["readings"]["success_key"]) == (
            1,
            "success",
        )


@pytest.mark.parametrize("args", [("--failure-index", "2"), ("--resubscribe", "always")])
def test_a_reading_flag_outside_its_choices_exits_2(args: tuple[str, ...]) -> None:
    result = _run("--api-key", "k", "--port", "0", *args)
    assert result.returncode == 2
    assert args[0] in result.stderr and "invalid choice" in result.stderr and "Traceback" not in result.stderr
