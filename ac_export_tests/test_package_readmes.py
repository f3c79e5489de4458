"""Each package's README names every module in it, and README.md's layout matches the tree.

A package's README has a `## Modules` section whose table rows start with a module (`name.py`) or a
subpackage (`name/`): the rows must be exactly the package's files and subpackages.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Entry points the package's own name already says; a README may list them, need not.
OPTIONAL = frozenset({"__init__.py", "__main__.py"})
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|", re.MULTILINE)
LAYOUT_ENTRY = re.compile(r"^( *)(\S+)", re.MULTILINE)


def packages() -> list[Path]:
    """Every package of the product, the benchmark harness and the tests' root.

    `ac_export/` itself is README.md's layout (checked below), so it needs no README of its own.
    """
    found = sorted(init.parent for init in (ROOT / "ac_export").rglob("*/__init__.py"))
    return [*found, ROOT / "benchmarks", ROOT / "ac_export_tests"]


def contents(package: Path) -> set[str]:
    """What a package's README must name: its modules and its subpackages (as `name/`)."""
    modules = {path.name for path in package.glob("*.py")}
    subpackages = {f"{path.parent.name}/" for path in package.glob("*/__init__.py")}
    return modules | subpackages


def listed(readme: str) -> set[str] | None:
    """The rows of the README's `## Modules` table, or None when it has no such section."""
    match = re.search(r"^## Modules\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    return None if match is None else set(ROW.findall(match.group(1))) - {"module"}


def problems(package: Path) -> list[str]:
    """What the README of one package misses or names in vain."""
    readme = package / "README.md"
    where = readme.relative_to(ROOT)
    if not readme.is_file():
        return [f"{where} is missing: add one with a `## Modules` table"]
    names = listed(readme.read_text(encoding="utf-8"))
    if names is None:
        return [f"{where} has no `## Modules` section"]
    present = contents(package)
    missing = sorted(present - names - OPTIONAL)
    extra = sorted(names - present)
    return [f"{where} does not name {name}" for name in missing] + [
        f"{where} names {name}, which is not in {package.relative_to(ROOT)}/" for name in extra
    ]


@pytest.mark.parametrize("package", packages(), ids=lambda path: str(path.relative_to(ROOT)))
def test_the_package_readme_names_every_module(package: Path) -> None:
    assert not problems(package), "\n".join(problems(package))


def test_a_readme_missing_a_module_or_naming_a_gone_one_is_refused(tmp_path: Path) -> None:
    global ROOT
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    for name in ("__init__.py", "kept.py", "new.py", "sub/__init__.py"):
        (package / name).write_text("", encoding="utf-8")
    (package / "README.md").write_text(
        "# pkg\n\n## Modules\n\n| module | what |\n| --- | --- |\n"
        "| `kept.py` | kept |\n| `gone.py` | moved away |\n\n## Tests\n| `sub/` | not a module row |\n",
        encoding="utf-8",
    )
    saved, ROOT = ROOT, tmp_path
    try:
        found = problems(package)
    finally:
        ROOT = saved
    assert found == [
        "pkg/README.md does not name new.py",
        "pkg/README.md does not name sub/",
        "pkg/README.md names gone.py, which is not in pkg/",
    ]


def layout(readme: str) -> list[str]:
    """The paths of README.md's layout block (`ac_export/…` and its siblings), as written."""
    block = re.search(r"### Layout: where a change goes\n```\n(.*?)```", readme, re.DOTALL)
    assert block is not None, "README.md has no layout block under 'Layout: where a change goes'"
    paths: list[str] = []
    parent = ""
    for indent, entry in LAYOUT_ENTRY.findall(block.group(1)):
        if not entry.endswith((".py", "/")):
            continue  # a wrapped description line
        if not indent:
            parent = entry if entry.endswith("/") else ""
            paths.append(entry)
        else:
            paths.append(parent + entry)
    return paths


def test_the_development_layout_matches_the_tree() -> None:
    paths = layout((ROOT / "README.md").read_text(encoding="utf-8"))
    # `defs/<area>/` stands for every area's folder: it names `defs/`.
    paths = [path.split("<")[0] for path in paths]
    gone = [path for path in paths if not (ROOT / path).exists()]
    assert not gone, f"README.md's layout names what is not in the tree: {gone}"
    product = ROOT / "ac_export"
    top = contents(product) - OPTIONAL
    unnamed = sorted(name for name in top if f"ac_export/{name}" not in paths)
    assert not unnamed, f"README.md's layout does not name ac_export/{unnamed}"
