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
    """The query of a segment's current members (`customer_id`, each once).

    `profiles` and `measures` are DuckDB table expressions (`Warehouse.scan`). Segments named in
    set operations are evaluated from their rules in the same query, not from their stored members,
    so every segment of a run sees the same profiles.
    """
    return compile_segment_over(
        config, segment, f"{profiles} AS p LEFT JOIN {measures} AS m USING (customer_id)"
    )


def compile_segment_over(config: SegmentsConfig, segment: str, source: str) -> CompiledQuery:
    """The query of a segment's current members over `source`, a table expression with every attribute.

    `source` has one row per customer (unified_profiles' contract, checked by its blocking
    `customer_id_unique_not_null`), so a filter returns each member once.
    """
    params = Parameters()
    predicate = compile_membership(
        config, segment, RuleContext(config.attribute_types(), config.as_of, params)
    )
    return CompiledQuery(sql=f"SELECT customer_id FROM {source} WHERE {predicate}", params=params.values)


def compile_membership(config: SegmentsConfig, segment: str, context: RuleContext) -> str:
    """Whether a customer's row is a member of `segment`: a predicate that is never NULL.

    Over one row per customer, set operations are boolean ones: union is OR, intersect AND,
    except AND NOT. Members = (rules ∪ union…) ∩ intersect… − except…, in that order; each operand
    is parenthesised, so SQL's precedence never reorders what the YAML says.
    """
    definition = config.segments[segment]
    terms: list[str] = []
    if definition.rules is not None:
        # A comparison with no value is NULL; a customer it leaves undecided is not a member.
        terms.append(f"coalesce({compile_rule(definition.rules, context)}, false)")
    terms += [compile_membership(config, other, context) for other in definition.union]
    intersected = [compile_membership(config, other, context) for other in definition.intersect]
    factors = [_joined(" OR ", terms)] if terms else []
    factors += intersected
    factors += [f"NOT {compile_membership(config, other, context)}" for other in definition.except_]
    return _joined(" AND ", factors)


def _joined(operator: str, predicates: list[str]) -> str:
    return predicates[0] if len(predicates) == 1 else "(" + operator.join(predicates) + ")"
