"""Segment membership as spells: who is in, who joined and who left, and when, in one table per segment.

`segments/members/<segment>` holds one row per spell: `customer_id`, `joined_at`, `left_at`
(NULL while the customer is a member) and `evaluated_at` (the last accepted run, the same on every
row). Current members are `left_at IS NULL`; the last run's joiners are `joined_at = evaluated_at`
and its leavers `left_at = evaluated_at`. The table is rewritten whole and atomically, so the
members and their history never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from ac_export.contracts import members_table
from ac_export.segments.sql import CompiledQuery
from ac_export.warehouse import Warehouse

SPELL_COLUMNS = "customer_id VARCHAR, joined_at TIMESTAMP, left_at TIMESTAMP, evaluated_at TIMESTAMP"


@dataclass(frozen=True)
class MembershipChange:
    """How a fresh evaluation differs from the last accepted membership."""

    previous_members: int | None  # None: the segment has no history yet
    members: int
    joined: int
    left: int

    @property
    def change_fraction(self) -> float | None:
        """Joiners plus leavers as a share of the previous members; None when there were none."""
        if not self.previous_members:
            return None
        return (self.joined + self.left) / self.previous_members


def stage_membership(
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    segment: str,
    members: CompiledQuery,
    *,
    unique: bool = False,
) -> MembershipChange:
    """Evaluate a segment into temp tables `history` and `changes` of `con`, and count the change.

    `changes` has one row per customer who is a member before or after this run (`was`, `now`),
    so the counts and the commit both read one join of current spells and fresh members.
    `unique` says the members query already returns each customer once (no DISTINCT needed).
    """
    table = members_table(segment)
    exists = warehouse.exists(table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE history ({SPELL_COLUMNS})")
    fresh = (
        f"SELECT customer_id FROM ({members.sql})"
        if unique
        else f"SELECT DISTINCT customer_id FROM ({members.sql})"
    )
    if exists:
        con.execute(f"INSERT INTO history BY NAME SELECT * FROM {warehouse.scan(table)}")
        changes = f"""
            SELECT coalesce(h.customer_id, c.customer_id) AS customer_id, h.joined_at,
                   h.customer_id IS NOT NULL AS was, c.customer_id IS NOT NULL AS now
            FROM (SELECT customer_id, joined_at FROM history WHERE left_at IS NULL) AS h
            FULL JOIN ({fresh}) AS c USING (customer_id)
        """
    else:
        # No history: everyone is a joiner, so the join with empty spells is skipped.
        changes = (
            f"SELECT customer_id, NULL::TIMESTAMP AS joined_at, false AS was, true AS now FROM ({fresh})"
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE changes AS {changes}", members.params)
    (row,) = con.execute(
        "SELECT count(*) FILTER (was), count(*) FILTER (now), count(*) FILTER (now AND NOT was), "
        "count(*) FILTER (was AND NOT now) FROM changes"
    ).fetchall()
    previous, current, joined, left = (int(value) for value in row)
    return MembershipChange(
        previous_members=previous if exists else None, members=current, joined=joined, left=left
    )


def commit_membership(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, segment: str, now: datetime
) -> tuple[int, datetime]:
    """Write the staged evaluation as the new spells table; returns its row count and the run time used."""
    ((previous_run,),) = con.execute("SELECT max(evaluated_at) FROM history").fetchall()
    # Spells are told apart by run time, so a clock that went backwards must not reuse an old one.
    run_at = max(now, previous_run + timedelta(microseconds=1)) if previous_run else now
    # Unsorted: every reader filters or joins by customer_id, and sorting the spells cost more than
    # the rest of the commit.
    sql = """
        SELECT customer_id, joined_at, left_at, $run_at AS evaluated_at FROM history WHERE left_at IS NOT NULL
        UNION ALL
        SELECT customer_id, CASE WHEN was THEN joined_at ELSE $run_at END,
               CASE WHEN now THEN NULL ELSE $run_at END, $run_at
        FROM changes
    """
    rows = warehouse.write_query(members_table(segment), con, sql, {"run_at": run_at})
    return rows, run_at


def last_run_changes_sql(table: str) -> str:
    """Who joined or left in the last accepted run: `customer_id`, `change` ('joined'/'left'), `at`.

    `table` is a DuckDB table expression of a members table (`Warehouse.scan(members_table(s))`).
    """
    return (
        "SELECT customer_id, CASE WHEN left_at = evaluated_at THEN 'left' ELSE 'joined' END AS change, "
        f"evaluated_at AS at FROM {table} WHERE joined_at = evaluated_at OR left_at = evaluated_at"
    )
