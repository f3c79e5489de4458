"""Scanning the product's source for what a boundary forbids: findings and the docstrings to skip."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ac_export"


@dataclass(frozen=True)
class Finding:
    """One place in the product's source that crosses a boundary."""

    path: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(PACKAGE.parent)}:{self.line}: {self.what}"


def docstring_ids(tree: ast.AST) -> set[int]:
    """Ids of docstring nodes: prose may name what the boundary keeps out, code may not."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found
