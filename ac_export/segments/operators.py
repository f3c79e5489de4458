"""The rule language: each operator, the attribute types it applies to, and the operand it expects.

Both the configuration loader (which rejects a rule at load time) and the SQL compiler (which
turns it into a predicate) read this table, so the two can never disagree on what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from ac_export.profiles.schema import AttributeType

OperandShape = Literal["none", "value", "values", "range", "days"]

TEXT: frozenset[AttributeType] = frozenset({"string"})
NUMBERS: frozenset[AttributeType] = frozenset({"integer", "float"})
DATES: frozenset[AttributeType] = frozenset({"date", "timestamp"})
ORDERED = NUMBERS | DATES
EVERY_TYPE: frozenset[AttributeType] = frozenset(
    {"string", "integer", "float", "boolean", "date", "timestamp", "list"}
)


@dataclass(frozen=True)
class OperatorSpec:
    """What one operator accepts: the attribute types it applies to and the shape of its operand."""

    types: frozenset[AttributeType]
    operand: OperandShape
    negated: bool = False


OPERATORS: dict[str, OperatorSpec] = {
    "equals": OperatorSpec(TEXT | ORDERED | {"boolean"}, "value"),
    "not_equals": OperatorSpec(TEXT | ORDERED | {"boolean"}, "value", negated=True),
    "in": OperatorSpec(TEXT | ORDERED, "values"),
    "not_in": OperatorSpec(TEXT | ORDERED, "values", negated=True),
    "contains": OperatorSpec(TEXT | {"list"}, "value"),
    "not_contains": OperatorSpec(TEXT | {"list"}, "value", negated=True),
    "starts_with": OperatorSpec(TEXT, "value"),
    "ends_with": OperatorSpec(TEXT, "value"),
    "is_empty": OperatorSpec(EVERY_TYPE, "none"),
    "is_not_empty": OperatorSpec(EVERY_TYPE, "none"),
    "less_than": OperatorSpec(ORDERED, "value"),
    "at_most": OperatorSpec(ORDERED, "value"),
    "greater_than": OperatorSpec(ORDERED, "value"),
    "at_least": OperatorSpec(ORDERED, "value"),
    "between": OperatorSpec(ORDERED, "range"),
    "in_last_days": OperatorSpec(DATES, "days"),
    "not_in_last_days": OperatorSpec(DATES, "days", negated=True),
}

# Symbols a marketer may type instead of the operator names; `>` must be quoted in YAML.
OPERATOR_ALIASES: dict[str, str] = {
    "=": "equals",
    "==": "equals",
    "!=": "not_equals",
    "<": "less_than",
    "<=": "at_most",
    ">": "greater_than",
    ">=": "at_least",
}

CASE_FOLDING_OPERATORS = frozenset(
    {"equals", "not_equals", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with"}
)


def canonical_operator(name: str) -> str:
    """The operator's canonical name; raises ValueError naming the known operators."""
    resolved = OPERATOR_ALIASES.get(name, name)
    if resolved not in OPERATORS:
        known = ", ".join([*OPERATORS, *OPERATOR_ALIASES])
        raise ValueError(f"unknown operator {name!r}; use one of: {known}")
    return resolved


def operators_for(kind: AttributeType) -> list[str]:
    """The operators that apply to an attribute type, in the language's order."""
    return [name for name, spec in OPERATORS.items() if kind in spec.types]


def normalize_operand(operator: str, kind: AttributeType, operand: object) -> object:
    """Check an operand against its operator and attribute type; returns it in its Python type.

    `in`/`not_in` give a tuple, `between` a (low, high) tuple, the `*_days` operators an int,
    `is_empty`/`is_not_empty` None. Raises ValueError with a message that says what to write.
    """
    spec = OPERATORS[operator]
    if kind not in spec.types:
        raise ValueError(
            f"operator {operator!r} does not apply to a {kind} attribute; "
            f"use one of: {', '.join(operators_for(kind))}"
        )
    if spec.operand == "none":
        if operand is not None:
            raise ValueError(f"operator {operator!r} takes no value; remove 'value'")
        return None
    if spec.operand == "days":
        return _days(operator, operand)
    if spec.operand == "values":
        return _values(operator, kind, operand)
    if spec.operand == "range":
        return _range(kind, operand)
    element: AttributeType = "string" if kind == "list" else kind
    return coerce_scalar(element, operand)


def _days(operator: str, operand: object) -> int:
    if isinstance(operand, bool) or not isinstance(operand, int) or operand < 1:
        raise ValueError(
            f"operator {operator!r} needs a whole number of days of at least 1 (got {operand!r})"
        )
    return operand


def _values(operator: str, kind: AttributeType, operand: object) -> tuple[object, ...]:
    if not isinstance(operand, list) or not operand:
        raise ValueError(f"operator {operator!r} needs a non-empty list of values, e.g. [a, b]")
    return tuple(coerce_scalar(kind, item) for item in operand)


def _range(kind: AttributeType, operand: object) -> tuple[object, object]:
    if not isinstance(operand, list) or len(operand) != 2:
        raise ValueError("operator 'between' needs a list of two values [low, high] (both included)")
    low, high = (coerce_scalar(kind, item) for item in operand)
    if low > high:  # type: ignore[operator]  # both coerced to the attribute's one comparable type
        raise ValueError(f"'between' needs low <= high; swap {low!r} and {high!r}")
    return low, high


def coerce_scalar(kind: AttributeType, value: object) -> object:
    """One value of an attribute type, parsed from YAML; raises ValueError saying how to write it."""
    if value is None or isinstance(value, list | dict):
        raise ValueError(f"needs a single {kind} value (got {value!r})")
    if kind == "string":
        if not isinstance(value, str):
            # YAML reads unquoted yes/no/on/off/true/false as booleans and digits as numbers.
            raise ValueError(f"{value!r} is not text; put the value in quotes, e.g. {_quoted(value)}")
        return value
    if kind in ("integer", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{value!r} is not a number; write it without quotes, e.g. 5000")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not a boolean; write true or false")
        return value
    return _coerce_temporal(kind, value)


def _coerce_temporal(kind: AttributeType, value: object) -> date | datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if kind == "timestamp" else date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a {kind}; write it as YYYY-MM-DD") from None
    if kind == "date" and isinstance(value, datetime):
        raise ValueError(f"{value!r} has a time of day but the attribute is a date; write YYYY-MM-DD")
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day) if kind == "timestamp" else value
    raise ValueError(f"{value!r} is not a {kind}; write it as YYYY-MM-DD")


def _quoted(value: object) -> str:
    if isinstance(value, bool):
        return "'Yes' or 'true'" if value else "'No' or 'false'"
    return f"'{value}'"
