"""Evaluating several segments over one snapshot of profiles and measures, in one DuckDB connection.

One scan of profiles (joined to measures only when a rule reads a measure) computes every
segment's membership at once, as a boolean column per segment, into an in-memory table
(`segment_source`: `customer_id` and `_s1`, `_s2`...); each segment's members are then a filter
of that narrow table. A run over every segment (a backfill, the refresh) pays the scan and the
join once, not once per segment, and every segment of the run sees the same profiles.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb

from ac_export.segments.config import SegmentsConfig, iter_conditions
from ac_export.segments.membership import MembershipChange, commit_membership, stage_membership
from ac_export.segments.rules import RuleContext, compile_membership
from ac_export.segments.sql import CompiledQuery, Parameters
from ac_export.warehouse import Warehouse

SOURCE_TABLE = "segment_source"


def segments_with_dependencies(config: SegmentsConfig, segments: Iterable[str]) -> list[str]:
    """The segments and every segment their set operations name, transitively, each once."""
    seen: dict[str, None] = {}

    def visit(name: str) -> None:
        if name in seen:
            return
        seen[name] = None
        for _, other in config.segments[name].references():
            visit(other)

    for name in segments:
        visit(name)
    return list(seen)


def rule_attributes(config: SegmentsConfig, segments: Iterable[str]) -> list[str]:
    """Attributes read by the rules of `segments` and of the segments they build on, in catalogue order."""
    read = {
        condition.subject()[0]
        for name in segments_with_dependencies(config, segments)
        if (rules := config.segments[name].rules) is not None
        for _, condition in iter_conditions(rules, "rules")
    }
    return [name for name in config.attribute_types() if name in read and name != "customer_id"]


def _reads_measures(config: SegmentsConfig, segments: Iterable[str]) -> bool:
    return any(name in config.measure_types for name in rule_attributes(config, segments))


class SegmentEvaluator:
    """Stages and commits the memberships of several segments over one scan of profiles and measures."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        warehouse: Warehouse,
        config: SegmentsConfig,
        segments: Iterable[str],
        tables: tuple[str, str],
    ) -> None:
        """Compute the membership of every one of `segments` over `tables` (profiles, measures) in `con`."""
        self.con, self.warehouse, self.config = con, warehouse, config
        self.columns = {name: f"_s{index}" for index, name in enumerate(dict.fromkeys(segments), start=1)}
        # Spells and the source table are sets: nothing reads them in insertion order, and keeping
        # it would serialise the writes.
        con.execute("SET preserve_insertion_order = false")
        profiles, measures = (warehouse.scan(table) for table in tables)
        source = f"{profiles} AS p"
        if _reads_measures(config, self.columns):
            source += f" LEFT JOIN {measures} AS m USING (customer_id)"
        params = Parameters()
        context = RuleContext(config.attribute_types(), config.as_of, params)
        flags = "".join(
            f", {compile_membership(config, name, context)} AS {column}"
            for name, column in self.columns.items()
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {SOURCE_TABLE} AS SELECT customer_id{flags} FROM {source}",
            params.values,
        )

    def members_query(self, segment: str) -> CompiledQuery:
        """The members of one of the evaluator's segments, each once, from the computed memberships."""
        return CompiledQuery(f"SELECT customer_id FROM {SOURCE_TABLE} WHERE {self.columns[segment]}", {})

    def stage(self, segment: str) -> MembershipChange:
        """Evaluate one segment into the connection's `candidate` and `history` and count the change."""
        return stage_membership(self.con, self.warehouse, segment, self.members_query(segment), unique=True)

    def commit(self, segment: str, now: datetime) -> int:
        """Write the segment staged last as its new spells table; returns its row count."""
        rows, _ = commit_membership(self.con, self.warehouse, segment, now)
        return rows
