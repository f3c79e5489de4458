"""Scalars taken as written: no boolean where a number is meant, no number or text where a boolean is.

Pydantic's lax mode turns `true` into 1.0 (so `removal_guard: true` switched the guard off), `"yes"`
and `1` into True and `"12"` into 12. Configuration is typed by hand, so each of these is more
likely a slip than an intent; refusing them with a message costs the user one edit.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

_NUMBERS = frozenset({int, float})
_SCALARS = frozenset({bool, int, float, str, type(None)})


def scalar_kinds(annotation: Any) -> set[type] | None:
    """The scalar types an annotation accepts, or None when it also accepts anything else."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return scalar_kinds(get_args(annotation)[0])
    if origin is Literal:
        return {type(value) for value in get_args(annotation)}
    if origin in (Union, types.UnionType):
        kinds: set[type] = set()
        for arm in get_args(annotation):
            arm_kinds = scalar_kinds(arm)
            if arm_kinds is None:
                return None
            kinds |= arm_kinds
        return kinds
    return {annotation} if annotation in _SCALARS else None


def scalar_problem(annotation: Any, value: Any) -> str | None:
    """Why a YAML value does not fit a scalar field strictly, or None when it fits (or is not scalar)."""
    kinds = scalar_kinds(annotation)
    if not kinds or value is None:
        return None
    numbers = bool(kinds & _NUMBERS)
    if isinstance(value, bool):
        if bool not in kinds and numbers:
            return "expected a number, got a boolean (true/false); write the number, e.g. 0.1"
        return None
    if isinstance(value, int | float) and bool in kinds and not numbers and str not in kinds:
        return f"expected true or false, got the number {value!r}"
    if isinstance(value, str) and str not in kinds and _lax_would_convert(value, numbers, bool in kinds):
        wanted = "a number" if numbers else "true or false"
        return f"expected {wanted}, got it quoted as text; write it without quotes"
    return None


# The texts pydantic's lax mode reads as booleans.
_BOOLEAN_TEXTS = frozenset({"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"})


def _lax_would_convert(text: str, numbers: bool, booleans: bool) -> bool:
    """Whether lax mode would quietly turn this text into the field's type (other texts fail anyway)."""
    if booleans and text.strip().lower() in _BOOLEAN_TEXTS:
        return True
    if not numbers:
        return False
    try:
        float(text)
    except ValueError:
        return False
    return True
