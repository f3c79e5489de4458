"""A strict YAML reader: a key given twice in one mapping and very deep nesting are errors, not surprises.

PyYAML's safe loader keeps the last of two equal keys without a word, and composes nested nodes
recursively, so a few thousand `[` end in a RecursionError instead of a message.
"""

from __future__ import annotations

from typing import Any

import yaml

# Deeper than any real configuration (segment rules nest `all`/`any` a handful of levels), far
# below where Python's recursion limit would stop the composer or pydantic.
MAX_DEPTH = 64


class StrictYamlError(yaml.MarkedYAMLError):
    """A YAML document that parses but is refused: a duplicate key or nesting deeper than MAX_DEPTH."""


class StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys and bounds the nesting depth."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose one node, counting how deep inside collections it sits."""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise StrictYamlError(
                    problem=f"nested more than {MAX_DEPTH} levels deep; flatten the structure",
                    problem_mark=self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping, refusing a key that appears twice (YAML says keys are unique)."""
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key; construct_mapping below says so
                continue
            if first is not None:
                raise StrictYamlError(
                    problem=(
                        f"the key {str(key)[:80]!r} appears twice in one mapping (first at line "
                        f"{first.start_mark.line + 1}); keep one"
                    ),
                    problem_mark=key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def strict_load(text: str) -> Any:
    """Parse one YAML document with StrictSafeLoader."""
    loader = StrictSafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
