"""Rules → DuckDB predicates, and segments → member queries with union / intersect / except.

Values are always bound parameters and column names always pass `quote_identifier`, so no text
from a configuration file reaches SQL as code. Text operators use DuckDB functions instead of
LIKE, so `%` and `_` in a value are plain characters too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ac_export.profiles.schema import AttributeType
from ac_export.segments.config import Rule, SegmentsConfig
from ac_export.segments.operators import OPERATORS, normalize_operand
from ac_export.segments.sql import CompiledQuery, Parameters, quote_identifier

_COMPARISONS = {"less_than": "<", "at_most": "<=", "greater_than": ">", "at_least": ">="}


@dataclass(frozen=True)
class RuleContext:
    """What a predicate needs besides the rule: column types, the as-of date, the parameter list."""

    types: Mapping[str, AttributeType]
    as_of: date
    params: Parameters


def compile_rule(rule: Rule, context: RuleContext) -> str:
    """A rule (condition or nested group) as a SQL predicate."""
    group = rule.group()
    if group is None:
        return compile_condition(rule, context)
    kind, children = group
    joiner = " AND " if kind == "all" else " OR "
    return "(" + joiner.join(compile_rule(child, context) for child in children) + ")"


def compile_condition(condition: Rule, context: RuleContext) -> str:
    """One condition as a SQL predicate; a `not_*` operator matches exactly what its positive does not."""
    attribute, operator = condition.subject()
    kind = context.types[attribute]
    operand = normalize_operand(operator, kind, condition.value)
    column = quote_identifier(attribute, context.types)
    spec = OPERATORS[operator]
    positive = operator.removeprefix("not_") if spec.negated else operator
    if condition.ignore_case:
        column = f"lower({column})"
        operand = _lower(operand)
    predicate = _predicate(positive, kind, column, operand, context)
    if spec.negated:
        # Negations include empty values: "state not_equals Texas" keeps people with no state.
        return f"({column} IS NULL OR NOT ({predicate}))"
    return predicate


def _predicate(operator: str, kind: AttributeType, column: str, operand: object, context: RuleContext) -> str:
    bind = context.params.bind
    if operator == "equals":
        return f"{column} = {bind(operand)}"
    if operator == "in":
        assert isinstance(operand, tuple)
        return f"{column} IN ({', '.join(bind(item) for item in operand)})"
    if operator == "contains":
        function = "list_contains" if kind == "list" else "contains"
        return f"{function}({column}, {bind(operand)})"
    if operator == "starts_with":
        return f"starts_with({column}, {bind(operand)})"
    if operator == "ends_with":
        return f"ends_with({column}, {bind(operand)})"
    if operator in ("is_empty", "is_not_empty"):
        empty = _empty(kind, column)
        return empty if operator == "is_empty" else f"NOT ({empty})"
    if operator in _COMPARISONS:
        return f"{column} {_COMPARISONS[operator]} {bind(operand)}"
    if operator == "between":
        assert isinstance(operand, tuple)
        return f"{column} BETWEEN {bind(operand[0])} AND {bind(operand[1])}"
    if operator == "in_last_days":
        assert isinstance(operand, int)
        since = context.as_of - timedelta(days=operand)
        return f"CAST({column} AS DATE) > {bind(since)} AND CAST({column} AS DATE) <= {bind(context.as_of)}"
    raise ValueError(f"operator {operator!r} has no SQL form")  # unreachable: OPERATORS is exhaustive


def _empty(kind: AttributeType, column: str) -> str:
    if kind == "string":
        return f"({column} IS NULL OR trim({column}) = '')"
    if kind == "list":
        return f"({column} IS NULL OR len({column}) = 0)"
    return f"({column} IS NULL)"


def _lower(operand: object) -> object:
    if isinstance(operand, tuple):
        return tuple(str(item).lower() for item in operand)
    return str(operand).lower()


def compile_segment(config: SegmentsConfig, segment: str, profiles: str, measures: str) -> CompiledQuery:
    """The query of a segment's current members (`customer_id`, distinct).

    `profiles` and `measures` are DuckDB table expressions (`Warehouse.scan`). Segments named in
    set operations are evaluated from their rules in the same query, not from their stored members,
    so every segment of a run sees the same profiles.
    """
    return compile_segment_over(
        config, segment, f"{profiles} AS p LEFT JOIN {measures} AS m USING (customer_id)"
    )


def compile_segment_over(config: SegmentsConfig, segment: str, source: str) -> CompiledQuery:
    """The query of a segment's current members over `source`, a table expression with every attribute."""
    params = Parameters()
    context = RuleContext(types=config.attribute_types(), as_of=config.as_of, params=params)
    return CompiledQuery(sql=_segment_sql(config, segment, context, source), params=params.values)


def _segment_sql(config: SegmentsConfig, segment: str, context: RuleContext, source: str) -> str:
    definition = config.segments[segment]
    terms: list[str] = []
    if definition.rules is not None:
        terms.append(
            f"SELECT DISTINCT customer_id FROM {source} WHERE {compile_rule(definition.rules, context)}"
        )
    terms += [_segment_sql(config, other, context, source) for other in definition.union]
    query = _combine("UNION", terms)
    intersected = [_segment_sql(config, other, context, source) for other in definition.intersect]
    query = _combine("INTERSECT", [query, *intersected] if query else intersected)
    for other in definition.except_:
        query = _combine("EXCEPT", [query, _segment_sql(config, other, context, source)])
    return query


def _combine(operator: str, queries: list[str]) -> str:
    # Each operand sits in its own subquery so that SQL's precedence (INTERSECT before UNION)
    # never reorders what the YAML says.
    if len(queries) <= 1:
        return queries[0] if queries else ""
    return f" {operator} ".join(f"SELECT customer_id FROM ({query})" for query in queries)
