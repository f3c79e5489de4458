"""The only ways configuration text reaches SQL: bound parameters and catalogue-checked identifiers."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def quote_identifier(name: str, known: Collection[str]) -> str:
    """A column name as a quoted SQL identifier; only names already validated against `known` pass."""
    if name not in known or not _IDENTIFIER.match(name):
        # A programming error, not a user one: the loader rejects unknown names before compiling.
        raise ValueError(f"identifier {name!r} is not in the validated catalogue")
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Parameters:
    """Named parameters of one query; every value from configuration is bound through here."""

    values: dict[str, object] = field(default_factory=dict)

    def bind(self, value: object) -> str:
        """Register a value and return its placeholder (`$p1`, `$p2`, ...)."""
        name = f"p{len(self.values) + 1}"
        self.values[name] = value
        return f"${name}"


@dataclass(frozen=True)
class CompiledQuery:
    """A SELECT statement and the named parameters it binds."""

    sql: str
    params: dict[str, object]
