"""Measures → one DuckDB query producing `customer_measures`: every customer, one column per measure.

An activity row belongs to the customer whose profile was formed by the record it names
(`profile_source`, `profile_key` ⋈ `profile_sources`). A measure over several activities
aggregates their rows together (total spend = online + in-store). Customers without matching
rows get 0 for count and sum, NULL for average, min, max, first and last.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from ac_export.config.segments import Measure, SegmentsConfig
from ac_export.profiles.schema import DUCKDB_TYPES
from ac_export.segments.rules import RuleContext, compile_rule
from ac_export.segments.sql import CompiledQuery, Parameters, quote_identifier

_ZERO_WHEN_ABSENT = frozenset({"count", "sum"})


def compile_measures(
    config: SegmentsConfig, profiles: str, links: str, activities: Mapping[str, str]
) -> CompiledQuery:
    """The `customer_measures` query; arguments are DuckDB table expressions (`Warehouse.scan`).

    `activities` maps each activity source name to its table; `links` is `profile_sources`.
    """
    params = Parameters()
    ctes: list[str] = []
    columns = ["p.customer_id"]
    joins: list[str] = []
    for index, (name, measure) in enumerate(config.measures.items(), start=1):
        alias = f"m{index}"
        ctes.append(f"{alias} AS ({_aggregate_sql(config, measure, links, activities, params)})")
        value = (
            f"coalesce({alias}.value, 0)" if measure.aggregation in _ZERO_WHEN_ABSENT else f"{alias}.value"
        )
        kind = DUCKDB_TYPES[config.measure_types[name]]
        columns.append(f"CAST({value} AS {kind}) AS {quote_identifier(name, config.measure_types)}")
        joins.append(f"LEFT JOIN {alias} ON {alias}.customer_id = p.customer_id")
    with_clause = f"WITH {', '.join(ctes)} " if ctes else ""
    joined = " ".join(joins)
    sql = f"{with_clause}SELECT {', '.join(columns)} FROM {profiles} AS p {joined} ORDER BY p.customer_id"
    return CompiledQuery(sql=sql, params=params.values)


def _aggregate_sql(
    config: SegmentsConfig, measure: Measure, links: str, activities: Mapping[str, str], params: Parameters
) -> str:
    events = " UNION ALL ".join(
        _events_sql(config, measure, name, activities[name], params) for name in measure.activity
    )
    return (
        f"SELECT l.customer_id, {_aggregation(measure)} AS value FROM ({events}) AS e "
        f"JOIN {links} AS l ON CAST(l.source AS VARCHAR) = e.profile_source "
        f"AND CAST(l.source_key AS VARCHAR) = e.profile_key GROUP BY l.customer_id"
    )


def _events_sql(
    config: SegmentsConfig, measure: Measure, activity: str, table: str, params: Parameters
) -> str:
    types = config.activity_types[activity]
    value = quote_identifier(measure.column, types) if measure.column else "NULL"
    at = quote_identifier(measure.date_column, types) if measure.date_column else "NULL"
    conditions = ["TRUE"]
    if measure.filter is not None:
        conditions.append(
            compile_rule(measure.filter, RuleContext(types=types, as_of=config.as_of, params=params))
        )
    if measure.window is not None:
        window = measure.window
        day = f"CAST({at} AS DATE)"
        if window.last_days is not None:
            since = config.as_of - timedelta(days=window.last_days)
            conditions.append(f"{day} > {params.bind(since)} AND {day} <= {params.bind(config.as_of)}")
        if window.since is not None:
            conditions.append(f"{day} >= {params.bind(window.since)}")
        if window.until is not None:
            conditions.append(f"{day} <= {params.bind(window.until)}")
    return (
        "SELECT CAST(profile_source AS VARCHAR) AS profile_source, "
        "CAST(profile_key AS VARCHAR) AS profile_key, CAST(activity_id AS VARCHAR) AS activity_id, "
        f"{value} AS value, {at} AS at "
        f"FROM {table} WHERE {' AND '.join(conditions)}"
    )


def _aggregation(measure: Measure) -> str:
    # first/last order by date, then activity id, so ties give the same answer on every run.
    known = "FILTER (WHERE e.value IS NOT NULL AND e.at IS NOT NULL)"
    return {
        "count": "count(e.value)" if measure.column else "count(*)",
        "sum": "sum(e.value)",
        "average": "avg(e.value)",
        "min": "min(e.value)",
        "max": "max(e.value)",
        "first": f"first(e.value ORDER BY e.at, e.activity_id) {known}",
        "last": f"first(e.value ORDER BY e.at DESC, e.activity_id DESC) {known}",
    }[measure.aggregation]
