"""The docs, docstrings and comments point at things that exist: file paths and dotted module names.

The scan is static (paths on disk, names read with `ast`), so it imports nothing and runs in well
under a second. Strings in code are not read: a logger's name or a help text is not a pointer.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ac_export", "benchmarks", "ac_export_tests")
TOP_DOCS = ("README.md", "RELIABILITY.md", "BENCHMARKS.md")
# A file path with a folder in it, of the kinds a reader follows: code and docs.
PATH_REF = re.compile(r"(?<![\w./<{*-])((?:\.\./)*[\w.-]+(?:/[\w.-]+)+\.(?:py|md))(?![\w/])")
# What is not in a fresh clone on purpose: what the harness writes (its `--out` folder, OUT in its
# help), the shared API reference beside the repository, and files of other projects' repositories.
OUTSIDE = ("bench_out/", "OUT/", "reference/", "tap_activecampaign/")
DOTTED_REF = re.compile(r"(?<![\w./])((?:ac_export|ac_export_tests|benchmarks)(?:\.\w+)+)")


def documents() -> list[Path]:
    """The top-level docs, every README under the packages, and every Python file of them."""
    docs = [ROOT / name for name in TOP_DOCS]
    for package in PACKAGES:
        docs += sorted((ROOT / package).rglob("README.md"))
        docs += sorted((ROOT / package).rglob("*.py"))
    return docs


def stale_paths(text: str, where: Path) -> list[str]:
    """Paths in `text` found neither from the repository root, beside `where`, nor under a package."""
    bases = [ROOT, where.parent, *(ROOT / package for package in PACKAGES)]
    refs = [ref for ref in PATH_REF.findall(text) if not ref.startswith(OUTSIDE)]
    return [ref for ref in refs if not any((base / ref).exists() for base in bases)]


def stale_names(text: str) -> list[str]:
    """Dotted references to modules, or names in them, that do not exist."""
    return [ref for ref in DOTTED_REF.findall(text) if not resolves(ref.rstrip("."))]


@functools.cache
def resolves(dotted: str) -> bool:
    """Whether `a.b.c` is a module (or package), or a name defined in one (one attribute deep at most)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = module_file(parts[:cut])
        if module is not None:
            rest = parts[cut:]
            return not rest or (len(rest) <= 2 and rest[0] in defined_names(module, rest[1:]))
    return False


def module_file(parts: list[str]) -> Path | None:
    """The file of a module or package named by `parts`, when there is one."""
    base = ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _tree(module: Path) -> ast.Module:
    return ast.parse(module.read_text(encoding="utf-8"))


def defined_names(module: Path, member: list[str]) -> set[str]:
    """Top-level names of a module; with `member`, only classes that define that attribute."""
    names: set[str] = set()
    for node in _tree(module).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if not member or (isinstance(node, ast.ClassDef) and member[0] in _class_names(node)):
                names.add(node.name)
        elif member:
            continue
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def _class_names(node: ast.ClassDef) -> set[str]:
    names = {n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names.add(item.target.id)
        elif isinstance(item, ast.Assign):
            names |= {t.id for t in item.targets if isinstance(t, ast.Name)}
    return names


def prose(doc: Path) -> str:
    """What a reader reads of a file: all of a doc; a Python file's docstrings and comments."""
    text = doc.read_text(encoding="utf-8")
    if doc.suffix != ".py":
        return text
    nodes = [node for node in ast.walk(ast.parse(text)) if isinstance(node, DOCUMENTED)]
    docstrings = [ast.get_docstring(node, clean=False) or "" for node in nodes]
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    comments = [token.string for token in tokens if token.type == tokenize.COMMENT]
    return "\n".join([*docstrings, *comments])


DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def stale_pointers() -> list[str]:
    """Every stale pointer of the tree, as `file: reference`."""
    found: list[str] = []
    for doc in documents():
        text = prose(doc)
        where = doc.relative_to(ROOT)
        found += [f"{where}: {ref}" for ref in [*stale_paths(text, doc), *stale_names(text)]]
    return found


def test_every_pointer_in_the_docs_and_docstrings_exists() -> None:
    stale = stale_pointers()
    assert not stale, "pointers to files or names that do not exist:\n" + "\n".join(stale)


@pytest.mark.parametrize(
    "text",
    [
        "see `ac_export/profiles/no_such_module.py` for the rules",
        "the matcher (`../benchmarks/gone.py`)",
        "`ac_export.profiles.match.no_such_function` links records",
        "`ac_export.no_such_package` does it",
        "`ac_export.contracts.ExportCounts.no_such_field` counts it",
    ],
)
def test_a_planted_stale_pointer_is_named(text: str) -> None:
    where = ROOT / "README.md"
    assert [*stale_paths(text, where), *stale_names(text)], text


@pytest.mark.parametrize(
    "text",
    [
        "`ac_export/profiles/match.py` and `profiles/match.py` (beside the package)",
        "`ac_export.profiles.match.link_records`, `ac_export.contracts.ExportCounts.members`",
        "`python -m benchmarks`, `ac_export_tests.support.export_world`",
    ],
)
def test_pointers_that_exist_pass(text: str) -> None:
    where = ROOT / "ac_export" / "README.md"
    assert not [*stale_paths(text, where), *stale_names(text)]


def test_docstrings_and_comments_are_read_and_code_strings_are_not(tmp_path: Path) -> None:
    module = tmp_path / "planted.py"
    module.write_text(
        '"""Reads `ac_export/gone.py`."""\n\n'
        "# and `ac_export.contracts.NO_SUCH_TABLE`\n"
        'LOGGER = "ac_export.not_a_module"\n',
        encoding="utf-8",
    )
    text = prose(module)
    assert stale_paths(text, module) == ["ac_export/gone.py"]
    assert stale_names(text) == ["ac_export.contracts.NO_SUCH_TABLE"]


def test_the_scan_sees_the_pointers_of_the_tree() -> None:
    texts = [prose(doc) for doc in documents()]
    assert sum(len(PATH_REF.findall(text)) for text in texts) > 50
    assert sum(len(DOTTED_REF.findall(text)) for text in texts) > 20
