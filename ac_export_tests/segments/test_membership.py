"""Membership spells across runs: joins, leaves, rejoins, and the one-query answer to "what changed"."""

from __future__ import annotations

from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ac_export.contracts import members_table
from ac_export.segments.membership import (
    MembershipChange,
    commit_membership,
    last_run_changes_sql,
    stage_membership,
)
from ac_export.segments.sql import CompiledQuery
from ac_export.warehouse import Warehouse

T1 = datetime(2024, 1, 1, 8)
T2 = datetime(2024, 1, 2, 8)
T3 = datetime(2024, 1, 3, 8)


def members(*ids: str) -> CompiledQuery:
    """A members query returning the given ids, bound as parameters."""
    placeholders = ", ".join(f"($p{index})" for index in range(1, len(ids) + 1))
    sql = (
        f"SELECT * FROM (VALUES {placeholders}) AS t(customer_id)"
        if ids
        else "SELECT NULL::VARCHAR AS customer_id LIMIT 0"
    )
    return CompiledQuery(sql=sql, params={f"p{index}": value for index, value in enumerate(ids, start=1)})


def run(warehouse: Warehouse, query: CompiledQuery, at: datetime) -> MembershipChange:
    """Stage and commit one evaluation."""
    with closing(warehouse.connect()) as con:
        change = stage_membership(con, warehouse, "seg", query)
        commit_membership(con, warehouse, "seg", at)
    return change


def spells(warehouse: Warehouse) -> list[tuple[object, ...]]:
    frame = warehouse.read_frame(members_table("seg")).sort("customer_id", "joined_at")
    return list(frame.select("customer_id", "joined_at", "left_at").iter_rows())


def changes(warehouse: Warehouse) -> list[tuple[str, str]]:
    with closing(warehouse.connect()) as con:
        sql = last_run_changes_sql(warehouse.scan(members_table("seg")))
        return [(row[0], row[1]) for row in con.execute(f"{sql} ORDER BY customer_id").fetchall()]


def test_first_run_everyone_joins(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    change = run(warehouse, members("a", "b", "c"), T1)
    assert change == MembershipChange(previous_members=None, members=3, joined=3, left=0)
    assert change.change_fraction is None
    assert spells(warehouse) == [("a", T1, None), ("b", T1, None), ("c", T1, None)]
    assert changes(warehouse) == [("a", "joined"), ("b", "joined"), ("c", "joined")]


def test_history_of_joins_leaves_and_rejoins_across_runs(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    run(warehouse, members("a", "b", "c"), T1)
    second = run(warehouse, members("b", "c", "d"), T2)
    assert second == MembershipChange(previous_members=3, members=3, joined=1, left=1)
    assert second.change_fraction == pytest.approx(2 / 3)
    assert changes(warehouse) == [("a", "left"), ("d", "joined")]
    third = run(warehouse, members("a", "b", "c", "d"), T3)
    assert third == MembershipChange(previous_members=3, members=4, joined=1, left=0)
    assert spells(warehouse) == [
        ("a", T1, T2),
        ("a", T3, None),
        ("b", T1, None),
        ("c", T1, None),
        ("d", T2, None),
    ]
    assert changes(warehouse) == [("a", "joined")]


def test_unchanged_run_reports_no_changes(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    run(warehouse, members("a", "b"), T1)
    assert run(warehouse, members("b", "a"), T2) == MembershipChange(2, 2, 0, 0)
    assert changes(warehouse) == []
    assert spells(warehouse) == [("a", T1, None), ("b", T1, None)]


def test_everyone_leaving_is_recorded(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    run(warehouse, members("a", "b"), T1)
    assert run(warehouse, members(), T2) == MembershipChange(2, 0, 0, 2)
    assert spells(warehouse) == [("a", T1, T2), ("b", T1, T2)]
    assert run(warehouse, members(), T3) == MembershipChange(0, 0, 0, 0)


def test_staging_alone_changes_nothing(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    run(warehouse, members("a"), T1)
    with closing(warehouse.connect()) as con:
        assert stage_membership(con, warehouse, "seg", members("b")) == MembershipChange(1, 1, 1, 1)
    assert spells(warehouse) == [("a", T1, None)]


def test_a_clock_that_went_back_still_gives_a_later_run_time(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    run(warehouse, members("a"), T2)
    with closing(warehouse.connect()) as con:
        stage_membership(con, warehouse, "seg", members("b"))
        _, run_at = commit_membership(con, warehouse, "seg", T1)
    assert run_at == T2 + timedelta(microseconds=1)
    assert changes(warehouse) == [("a", "left"), ("b", "joined")]


def test_hostile_ids_and_warehouse_paths_stay_data(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "it's; DROP --")
    hostile = "x'); DROP TABLE history; --"
    run(warehouse, members(hostile, "b"), T1)
    run(warehouse, members(hostile), T2)
    assert spells(warehouse) == [("b", T1, T2), (hostile, T1, None)]
