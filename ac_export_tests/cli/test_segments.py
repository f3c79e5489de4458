"""`ac-export segments`: check, attributes, list, sql and changes, and their exit codes."""

from __future__ import annotations

from contextlib import closing
from datetime import datetime
from pathlib import Path

import pytest

from ac_export.cli import main
from ac_export.segments.membership import commit_membership, stage_membership
from ac_export.segments.sql import CompiledQuery
from ac_export.warehouse import Warehouse
from ac_export_tests.segments.fixtures import HOSTILE_NAME, rule, segment, write_config, write_world


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Warehouse]:
    warehouse = Warehouse(tmp_path / "warehouse")
    write_world(warehouse)
    config = write_config(
        tmp_path / "config", {"named": segment([rule("first_name", "equals", HOSTILE_NAME)])}
    )
    return config, warehouse


def run(
    capsys: pytest.CaptureFixture[str], folders: tuple[Path, Warehouse], *args: str
) -> tuple[int, str, str]:
    config, warehouse = folders
    code = main(["segments", *args, "--config-dir", str(config), "--warehouse", str(warehouse.root)])
    out, err = capsys.readouterr()
    return code, out, err


def test_check(capsys: pytest.CaptureFixture[str], folders: tuple[Path, Warehouse]) -> None:
    assert run(capsys, folders, "check") == (0, "OK: 1 segments and 14 measures, as of 2019-06-30\n", "")


def test_invalid_config_exits_2_with_the_problem(
    capsys: pytest.CaptureFixture[str], folders: tuple[Path, Warehouse]
) -> None:
    write_config(folders[0], {"named": segment([rule("nmae", "equals", "x")])})
    code, out, err = run(capsys, folders, "check")
    assert code == 2
    assert out == ""
    assert err.startswith("ac-export segments check: ")
    assert "segment 'named', rule rules.all[0] (nmae equals 'x'): unknown attribute or measure 'nmae'" in err


def test_attributes_lists_profile_attributes_and_measures(
    capsys: pytest.CaptureFixture[str], folders: tuple[Path, Warehouse]
) -> None:
    code, out, _ = run(capsys, folders, "attributes")
    assert code == 0
    assert "income                 float      profile" in out
    assert "total_spend            float      measure: All spend" in out


def test_sql_binds_the_value(capsys: pytest.CaptureFixture[str], folders: tuple[Path, Warehouse]) -> None:
    code, out, _ = run(capsys, folders, "sql", "named")
    assert code == 0
    query, parameter = out.strip().splitlines()
    assert '("first_name" = $p1)' in query
    assert HOSTILE_NAME not in query
    assert parameter == f"-- $p1 = {HOSTILE_NAME!r}"


def test_unknown_segment_exits_2(capsys: pytest.CaptureFixture[str], folders: tuple[Path, Warehouse]) -> None:
    code, _, err = run(capsys, folders, "changes", "nope")
    assert code == 2
    assert "unknown segment 'nope'; segments: named" in err


def test_list_and_changes_after_two_runs(
    capsys: pytest.CaptureFixture[str], folders: tuple[Path, Warehouse]
) -> None:
    warehouse = folders[1]
    assert "named          -  test segment" in run(capsys, folders, "list")[1]
    for ids, at in ((["c1", "c2"], datetime(2024, 1, 1)), (["c2", "c3", "c4"], datetime(2024, 1, 2))):
        query = CompiledQuery(
            " UNION ALL ".join(f"SELECT $p{i} AS customer_id" for i in range(len(ids))),
            {f"p{i}": value for i, value in enumerate(ids)},
        )
        with closing(warehouse.connect()) as con:
            stage_membership(con, warehouse, "named", query)
            commit_membership(con, warehouse, "named", at)
    assert "named          3  test segment" in run(capsys, folders, "list")[1]
    code, out, _ = run(capsys, folders, "changes", "named")
    assert code == 0
    assert out.splitlines() == [
        "named: 2 joined and 1 left in the run of 2024-01-02 00:00:00",
        "joined  c3",
        "joined  c4",
        "left    c1",
    ]
