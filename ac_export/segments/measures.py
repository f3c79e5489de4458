"""Measures → one DuckDB query producing `customer_measures`: every customer, one column per measure.

An activity row belongs to the customer whose profile was formed by the record it names
(`profile_source`, `profile_key` ⋈ `profile_sources`). A measure over several activities
aggregates their rows together (total spend = online + in-store). Customers without matching
rows get 0 for count and sum, NULL for average, min, max, first and last.

Cost: each activity is joined to its customers once (a materialized CTE with only the columns
the measures read), and measures over the same activities share one GROUP BY, each aggregate
taking only its own rows (`FILTER (WHERE ...)`), so a dozen measures cost a handful of passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from ac_export.profiles.schema import DUCKDB_TYPES
from ac_export.segments.config import Measure, SegmentsConfig, iter_conditions
from ac_export.segments.rules import RuleContext, compile_rule
from ac_export.segments.sql import CompiledQuery, Parameters, quote_identifier

_ZERO_WHEN_ABSENT = frozenset({"count", "sum"})
# Only these order rows by (date, activity id); the others never read the id, so it is not carried.
_ORDERED = frozenset({"first", "last"})


@dataclass(frozen=True)
class _Slot:
    """A measure's place in the query: its position, and the group (CTE) that aggregates it."""

    index: int
    group: str


def compile_measures(
    config: SegmentsConfig, profiles: str, links: str, activities: Mapping[str, str]
) -> CompiledQuery:
    """The `customer_measures` query; arguments are DuckDB table expressions (`Warehouse.scan`).

    `activities` maps each activity source name to its table; `links` is `profile_sources`.
    """
    params = Parameters()
    used = list(dict.fromkeys(name for measure in config.measures.values() for name in measure.activity))
    aliases = {name: f"a{index}" for index, name in enumerate(used, start=1)}
    ctes = [
        f"{aliases[name]} AS MATERIALIZED ({_linked_sql(config, name, activities[name], links, params)})"
        for name in used
    ]
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, measure in config.measures.items():
        groups.setdefault(tuple(measure.activity), []).append(name)
    positions = {name: index for index, name in enumerate(config.measures, start=1)}
    slots: dict[str, _Slot] = {}
    for number, (group_activities, names) in enumerate(groups.items(), start=1):
        group = f"g{number}"
        slots.update({name: _Slot(positions[name], group) for name in names})
        ctes.append(f"{group} AS ({_group_sql(config, group_activities, names, slots, aliases, params)})")
    columns = ["p.customer_id", *(_output_column(config, name, slots[name]) for name in config.measures)]
    joins = "".join(
        f" LEFT JOIN {g} ON {g}.customer_id = p.customer_id"
        for g in sorted({s.group for s in slots.values()})
    )
    with_clause = f"WITH {', '.join(ctes)} " if ctes else ""
    # No ORDER BY: sorting a million wide rows cost a third of the query, and every reader joins by id.
    sql = f"{with_clause}SELECT {', '.join(columns)} FROM {profiles} AS p{joins}"
    return CompiledQuery(sql=sql, params=params.values)


def _output_column(config: SegmentsConfig, name: str, slot: _Slot) -> str:
    value = f"{slot.group}.v{slot.index}"
    if config.measures[name].aggregation in _ZERO_WHEN_ABSENT:
        value = f"coalesce({value}, 0)"
    kind = DUCKDB_TYPES[config.measure_types[name]]
    return f"CAST({value} AS {kind}) AS {quote_identifier(name, config.measure_types)}"


def _value_columns(measure: Measure) -> list[str]:
    """The activity columns a measure aggregates or orders by."""
    return [column for column in (measure.column, measure.date_column) if column]


def _read_columns(measure: Measure) -> list[str]:
    """The activity columns a measure reads: its value, its date and its filter's attributes."""
    columns = _value_columns(measure)
    if measure.filter is not None:
        columns += [condition.subject()[0] for _, condition in iter_conditions(measure.filter, "filter")]
    return columns


def _linked_sql(config: SegmentsConfig, activity: str, table: str, links: str, params: Parameters) -> str:
    """An activity's rows with their customer, keeping only the columns some measure reads."""
    types = config.activity_types[activity]
    needed = dict.fromkeys(
        column
        for measure in config.measures.values()
        if activity in measure.activity
        for column in _read_columns(measure)
    )
    kept = "".join(f", a.{quote_identifier(column, types)}" for column in needed)
    ordered = any(m.aggregation in _ORDERED for m in config.measures.values() if activity in m.activity)
    identifier = ", a.activity_id AS _activity_id" if ordered else ""
    # Narrowing the links to the activity's profile source first makes the join's build side smaller;
    # the source is known from sources.yaml, so no pass over the activity is needed to find it.
    linked = config.activity_links.get(activity)
    where = (
        f"source = {params.bind(linked)}"
        if linked
        else f"source IN (SELECT DISTINCT profile_source FROM {table})"
    )
    narrowed = f"SELECT * FROM {links} WHERE {where}"
    # Activity attributes match [a-z]..., so the leading underscore cannot clash with one of them.
    return (
        f"SELECT l.customer_id AS _customer_id{identifier}{kept} FROM {table} AS a "
        f"JOIN ({narrowed}) AS l ON l.source = a.profile_source AND l.source_key = a.profile_key"
    )


def _group_sql(
    config: SegmentsConfig,
    activities: tuple[str, ...],
    names: list[str],
    slots: Mapping[str, _Slot],
    aliases: Mapping[str, str],
    params: Parameters,
) -> str:
    """One GROUP BY for the measures over the same activities; each aggregate keeps its own rows."""
    read = list(dict.fromkeys(column for name in names for column in _value_columns(config.measures[name])))
    ordered = any(config.measures[name].aggregation in _ORDERED for name in names)
    identifier = ", _activity_id" if ordered else ""
    conditions = {
        activity: {name: _condition(config, config.measures[name], activity, params) for name in names}
        for activity in activities
    }
    # A measure that counts every row gets no flag and no FILTER: a constant TRUE would still be
    # evaluated for each of millions of rows and each aggregate. Having a condition depends on the
    # measure alone, so the first activity tells for all of them.
    filtered = {name for name, condition in conditions[activities[0]].items() if condition}
    branches = []
    for activity in activities:
        types = config.activity_types[activity]
        values = "".join(f", {quote_identifier(column, types)}" for column in read)
        flags = "".join(f", ({c}) AS _k{slots[name].index}" for name, c in conditions[activity].items() if c)
        branches.append(f"SELECT _customer_id{identifier}{values}{flags} FROM {aliases[activity]}")
    types = config.activity_types[activities[0]]
    aggregates = "".join(
        f", {_aggregation(config.measures[name], types, slots[name].index, name in filtered)}"
        f" AS v{slots[name].index}"
        for name in names
    )
    return f"SELECT _customer_id AS customer_id{aggregates} FROM ({' UNION ALL '.join(branches)}) GROUP BY 1"


def _condition(config: SegmentsConfig, measure: Measure, activity: str, params: Parameters) -> str:
    """Which rows of one activity a measure counts (its filter and its window); empty for every row.

    Whether it is empty depends on the measure alone, so it is the same for each of its activities.
    """
    types = config.activity_types[activity]
    conditions: list[str] = []
    if measure.filter is not None:
        conditions.append(compile_rule(measure.filter, RuleContext(types, config.as_of, params)))
    window = measure.window
    if window is not None and measure.date_column is not None:
        on = f"CAST({quote_identifier(measure.date_column, types)} AS DATE)"
        if window.last_days is not None:
            since = config.as_of - timedelta(days=window.last_days)
            conditions.append(f"{on} > {params.bind(since)} AND {on} <= {params.bind(config.as_of)}")
        if window.since is not None:
            conditions.append(f"{on} >= {params.bind(window.since)}")
        if window.until is not None:
            conditions.append(f"{on} <= {params.bind(window.until)}")
    return " AND ".join(conditions)


def _aggregation(measure: Measure, types: Mapping[str, object], index: int, filtered: bool) -> str:
    rows = [f"_k{index}"] if filtered else []
    if measure.aggregation == "count":
        counted = quote_identifier(measure.column, types) if measure.column else "*"
        return _only(f"count({counted})", rows)
    value = quote_identifier(measure.column or "", types)
    if measure.aggregation in _ORDERED:
        day = quote_identifier(measure.date_column or "", types)
        # Ordered by date, then activity id, so ties give the same answer on every run.
        function = "arg_min" if measure.aggregation == "first" else "arg_max"
        known = [*rows, f"{value} IS NOT NULL", f"{day} IS NOT NULL"]
        return _only(f"{function}({value}, struct_pack(d := {day}, i := _activity_id))", known)
    function = {"sum": "sum", "average": "avg", "min": "min", "max": "max"}[measure.aggregation]
    return _only(f"{function}({value})", rows)


def _only(aggregate: str, rows: list[str]) -> str:
    """An aggregate over the rows meeting every condition, or over all rows when there is none."""
    return f"{aggregate} FILTER (WHERE {' AND '.join(rows)})" if rows else aggregate
