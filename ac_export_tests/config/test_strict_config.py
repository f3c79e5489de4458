"""Strict configuration: loose scalars, duplicate keys, deep nesting, unreadable CSV options, odd paths.

Each case fails at load time with one message starting with the file and saying what to change;
none raises anything but ConfigError (no RecursionError, no DuckDB error at read time).
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ac_export.config.loading import ConfigError
from ac_export.config.yaml_strict import MAX_DEPTH
from ac_export.project import load_project_config
from ac_export_tests.support.project import SOURCES, export_config, write_project

EXPORT = "testers_to_activecampaign"


def exports(**changes: Any) -> tuple[str, Any]:
    """`exports.yaml` whose one export has these keys changed."""
    content = export_config(1)
    content["exports"][EXPORT].update(changes)
    return "exports.yaml", content


def people(**changes: Any) -> tuple[str, Any]:
    """`sources.yaml` whose one source has these keys changed."""
    content = copy.deepcopy(SOURCES)
    content["profile_sources"]["people"].update(changes)
    return "sources.yaml", content


DUPLICATE_KEY = b"exports:\n  a:\n    segment: testers\n    list_id: 1\n    list_id: 2\n"
DEEP = b"dedup: " + b"[" * (MAX_DEPTH * 40) + b"]" * (MAX_DEPTH * 40) + b"\n"

CASES: dict[str, tuple[str, Any, str]] = {
    "a boolean for removal_guard": (
        *exports(removal_guard=True),
        "removal_guard: expected a number, got a boolean",
    ),
    "a boolean for a list id": (*exports(list_id=True), "list_id: expected a number, got a boolean"),
    "a quoted list id": (*exports(list_id="12"), "list_id: expected a number, got it quoted as text"),
    "a quoted removal_guard": (*exports(removal_guard="0.5"), "removal_guard: expected a number"),
    "yes in quotes for a boolean": (
        *exports(run_automations="yes"),
        "run_automations: expected true or false",
    ),
    "a number for a boolean": (*exports(create_missing_fields=1), "expected true or false, got the number 1"),
    "a boolean for a priority": (*people(priority=False), "priority: expected a number, got a boolean"),
    "a boolean for max_row_drop": (*people(max_row_drop=True), "max_row_drop: expected a number"),
    "a key twice": ("exports.yaml", DUPLICATE_KEY, "line 5, column 5: the key 'list_id' appears twice"),
    "nesting thousands deep": ("unify.yaml", DEEP, f"nested more than {MAX_DEPTH} levels deep"),
    "quote equal to the delimiter": (*people(quote=";", delimiter=";"), "delimiter and quote are both ';'"),
    "a line break as delimiter": (*people(delimiter="\n"), "delimiter is a line break"),
    "a letter as quote": (*people(quote="q"), "quote 'q' is a letter or digit"),
}


@pytest.mark.parametrize(("file_name", "content", "says"), list(CASES.values()), ids=list(CASES))
def test_strict_configuration(tmp_path: Path, file_name: str, content: Any, says: str) -> None:
    project = write_project(tmp_path, 3, 1)
    target = project.config_dir / file_name
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        load_project_config(project.config_dir)

    assert str(error.value).startswith(f"{target}:")
    assert says in str(error.value)


def test_the_same_values_written_plainly_load(tmp_path: Path) -> None:
    project = write_project(tmp_path, 3, 12, removal_guard=0.5, run_automations=True)
    (project.config_dir / "sources.yaml").write_text(yaml.safe_dump(people(priority=3, max_row_drop=0.25)[1]))

    loaded = load_project_config(project.config_dir)

    assert (
        loaded.exports.exports[EXPORT].removal_guard == 0.5 and loaded.exports.exports[EXPORT].list_id == 12
    )
    assert loaded.sources.profile_sources["people"].max_row_drop == 0.25


def test_a_config_file_that_is_a_folder_is_named(tmp_path: Path) -> None:
    project = write_project(tmp_path, 3, 1)
    (project.config_dir / "exports.yaml").unlink()
    (project.config_dir / "exports.yaml").mkdir()

    with pytest.raises(ConfigError, match=r"exports.yaml: is a folder, not a file"):
        load_project_config(project.config_dir)


@pytest.mark.parametrize("bad", ["duplicate", "deep", "boolean"])
def test_commands_print_a_message_not_a_traceback(tmp_path: Path, bad: str) -> None:
    project = write_project(tmp_path, 3, 1)
    contents = {
        "duplicate": DUPLICATE_KEY,
        "deep": DEEP,
        "boolean": yaml.safe_dump(exports(removal_guard=True)[1]),
    }
    target = project.config_dir / ("unify.yaml" if bad == "deep" else "exports.yaml")
    target.write_bytes(contents[bad] if isinstance(contents[bad], bytes) else contents[bad].encode())
    env = {"AC_EXPORT_CONFIG_DIR": str(project.config_dir), "PATH": "/usr/bin:/bin"}
    for command in (["check-connection", "test"], ["export", "testers"]):
        done = subprocess.run(
            [sys.executable, "-m", "ac_export.cli", *command],
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, "PYTHONPATH": str(Path.cwd())},
        )
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and str(target) in done.stderr
