"""Evaluating several segments over one snapshot of profiles and measures, in one DuckDB connection.

Profiles and measures are joined once, keeping only the columns the segments' rules read, into an
in-memory table (`segment_source`); each segment's members are then a filter of that table instead
of a fresh join of two Parquet files. A run over every segment (a backfill, the refresh) pays the
join once, not once per segment, and every segment of the run sees the same profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

import duckdb

from ac_export.segments.config import SegmentsConfig, iter_conditions
from ac_export.segments.membership import MembershipChange, commit_membership, stage_membership
from ac_export.segments.rules import compile_segment_over
from ac_export.segments.sql import quote_identifier
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


def _iter_columns(config: SegmentsConfig, attributes: list[str]) -> Iterator[str]:
    types = config.attribute_types()
    for name in attributes:
        side = "m" if name in config.measure_types else "p"
        yield f"{side}.{quote_identifier(name, types)}"


class SegmentEvaluator:
    """Stages and commits the memberships of several segments over one join of profiles and measures."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        warehouse: Warehouse,
        config: SegmentsConfig,
        segments: Iterable[str],
        tables: tuple[str, str],
    ) -> None:
        """Join `tables` (profiles, measures: warehouse table names) once for `segments` into `con`."""
        self.con, self.warehouse, self.config = con, warehouse, config
        profiles, measures = (warehouse.scan(table) for table in tables)
        columns = "".join(
            f", {column}" for column in _iter_columns(config, rule_attributes(config, segments))
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {SOURCE_TABLE} AS SELECT p.customer_id{columns} "
            f"FROM {profiles} AS p LEFT JOIN {measures} AS m USING (customer_id)"
        )

    def stage(self, segment: str) -> MembershipChange:
        """Evaluate one segment into the connection's `candidate` and `history` and count the change."""
        query = compile_segment_over(self.config, segment, SOURCE_TABLE)
        return stage_membership(self.con, self.warehouse, segment, query)

    def commit(self, segment: str, now: datetime) -> int:
        """Write the segment staged last as its new spells table; returns its row count."""
        rows, _ = commit_membership(self.con, self.warehouse, segment, now)
        return rows
