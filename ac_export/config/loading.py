"""Reading one YAML configuration file into a pydantic model, with errors a person can act on."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from ac_export.config.strict_values import scalar_problem
from ac_export.config.yaml_strict import strict_load
from ac_export.errors import UserError

ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)
# Fields whose values are never repeated in messages: an API key pasted where its variable's name
# belongs must not reach logs, the terminal or the Dagster UI.
_SECRET_FIELD = re.compile(r"api_key|token|secret|password|credential", re.IGNORECASE)


# Validation context key: scalars in YAML are taken as written (see strict_values).
STRICT_SCALARS = "strict_scalars"
# Names users give sources, attributes, measures, connections and exports become table paths, asset
# keys and SQL identifiers, so they are kept to what all three accept unquoted.
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
NAME_RULE = "lower case, digits, _"


class ConfigError(UserError):
    """A configuration file is missing or invalid; the message names the file, the field and the fix."""


class StrictModel(pydantic.BaseModel):
    """Base of every configuration model: unknown keys are errors, so typos never pass silently."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _scalars_as_written(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        # Only for YAML: models filled from command-line text (bench options) convert it on purpose.
        if not (info.context or {}).get(STRICT_SCALARS):
            return value
        field = cls.model_fields.get(info.field_name or "")
        problem = scalar_problem(field.annotation, value) if field is not None else None
        if problem:
            raise ValueError(problem)
        return value


def check_names(names: Iterable[str], what: str, pattern: str = NAME_PATTERN, rule: str = NAME_RULE) -> None:
    """Raise a ValueError naming the first of `names` that does not match `pattern` (`what`: its kind)."""
    for name in names:
        if not re.match(pattern, name):
            raise ValueError(f"{what} name {name!r} must match {pattern} ({rule})")


def format_location(loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as `segments[2].rules.all[0].attribute`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def describe_validation_error(
    path: Path, error: pydantic.ValidationError, model: type[pydantic.BaseModel] | None = None
) -> str:
    """One message listing every problem in a file, each with its field and what is wrong."""
    lines = [f"{path}: {error.error_count()} problem(s):"]
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if not _is_union_tag(part))
        field = format_location(loc)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden" and model is not None:
            message = _unknown_key_message(model, loc)
        got = item.get("input")
        shown = f" (got {got!r})" if _is_scalar(got) and _may_echo(item) else ""
        lines.append(f"  - {field}: {message}{shown}")
    return "\n".join(lines)


def _unknown_key_message(model: type[pydantic.BaseModel], loc: tuple[int | str, ...]) -> str:
    """`unknown key; did you mean 'dedup'?` — the closest keys the model allows at that place."""
    allowed = _keys_at(model, loc[:-1])
    if not allowed:
        return "unknown key; remove it"
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown key; {hint}known keys here: {', '.join(allowed)}"


def _keys_at(model: type[pydantic.BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model allows at a location, walking fields, list items and mapping values."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    models = _models_in(current)
    return sorted({name for m in models for name in m.model_fields})


def _step(annotation: Any, part: int | str) -> Any:
    for candidate in _unwrapped(annotation):
        if isinstance(candidate, type) and issubclass(candidate, pydantic.BaseModel):
            if isinstance(part, str) and part in candidate.model_fields:
                return candidate.model_fields[part].annotation
            continue
        origin, args = typing.get_origin(candidate), typing.get_args(candidate)
        if origin is list and isinstance(part, int) and args:
            return args[0]
        if origin is dict and isinstance(part, str) and len(args) == 2:
            return args[1]
    return None


def _unwrapped(annotation: Any) -> list[Any]:
    """The alternatives of a union (X | None), or the annotation alone."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _models_in(annotation: Any) -> list[type[pydantic.BaseModel]]:
    return [a for a in _unwrapped(annotation) if isinstance(a, type) and issubclass(a, pydantic.BaseModel)]


def _may_echo(item: Any) -> bool:
    """Whether a wrong value may be repeated: not for missing or unknown keys, never for secrets."""
    if item["type"] in ("missing", "extra_forbidden"):
        return False
    return not any(_SECRET_FIELD.search(str(part)) for part in item["loc"])


def _is_union_tag(part: int | str) -> bool:
    return isinstance(part, str) and (part.startswith("function-") or "[" in part)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(str(value)) <= 120


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning syntax errors into a ConfigError with line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found; create it or set AC_EXPORT_CONFIG_DIR") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a file; put the YAML file there") from None
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot be read ({exc.strerror}); check the file and its permissions"
        ) from None
    try:
        return strict_load(text)
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read; flatten the structure") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None


def load_model(path: Path, model: type[ModelT], *, optional: bool = False) -> ModelT:
    """Load and validate one YAML file; an optional missing file yields the model's defaults."""
    if optional and not path.exists():
        return model()
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return model.model_validate(data, context={STRICT_SCALARS: True})
    except pydantic.ValidationError as exc:
        raise ConfigError(describe_validation_error(path, exc, model)) from None
