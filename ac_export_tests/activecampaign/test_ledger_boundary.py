"""Only `ac_export/state/` reads and writes the ledger's tables (issue 25, point 2).

The engine reads and changes a list's ledger through the named operations of
`ac_export.state.ledger_api.Ledger`. An import contract cannot see SQL in strings, so this scans
the source of every module outside `state/` for SQL that names a ledger table (the embedded
names and PostgreSQL's `ac_export_` ones, from `state.schema`), and for a string that is a
table's bare name (a constant spliced into SQL). Each finding names its file and line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ac_export.state.schema import POSTGRES_PREFIX, TABLES
from ac_export_tests.support.source_scan import PACKAGE, Finding, docstring_ids

STATE = PACKAGE / "state"
NAMES = sorted({table.name for table in TABLES} | {POSTGRES_PREFIX + table.name for table in TABLES})
# SQL keywords a table name follows, optionally schema-qualified (`temp.main.ledger`).
SQL_NAMING = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE|USING)\s+(?:[\w\"]+\.)*\"?(" + "|".join(NAMES) + r")\b",
    re.IGNORECASE,
)


def _text_findings(text: str) -> list[str]:
    found = [f"ledger table in SQL {m.group(0)!r}" for m in SQL_NAMING.finditer(text)]
    if text.strip().strip('"').lower() in NAMES:
        found.append(f"ledger table name {text!r}")
    return found


def scan_source(source: str, path: Path) -> list[Finding]:
    """Every mention of a ledger table in one module's code (f-strings' literal parts included)."""
    tree = ast.parse(source)
    prose = docstring_ids(tree)
    findings: list[Finding] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            findings += [Finding(path, node.lineno, what) for what in _text_findings(node.value)]
    return findings


def scanned_modules() -> list[Path]:
    """Every module of the product outside the state layer."""
    return sorted(path for path in PACKAGE.rglob("*.py") if not path.is_relative_to(STATE))


def test_only_the_state_layer_reads_or_writes_the_ledgers_tables() -> None:
    findings = [f for path in scanned_modules() for f in scan_source(path.read_text("utf-8"), path)]

    assert not findings, (
        "ledger tables named outside ac_export/state/ (add a named operation to state.ledger_api.Ledger):\n"
        + "\n".join(sorted(str(f) for f in findings))
    )


def test_the_scan_covers_the_engine_and_not_the_state_layer() -> None:
    scanned = {path.relative_to(PACKAGE).as_posix() for path in scanned_modules()}

    assert {
        "activecampaign/reconcile.py",
        "activecampaign/plan.py",
        "activecampaign/verify.py",
        "activecampaign/preview.py",
        "activecampaign/list_checks.py",
        "activecampaign/list_export.py",
        "activecampaign/optouts.py",
        "activecampaign/rejections.py",
    } <= scanned
    assert not any(name.startswith("state/") for name in scanned)
    assert {"ledger", "inflight", "facts", "sent_payloads", "ac_export_ledger"} <= set(NAMES)


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("SQL = \"SELECT count(*) FROM ledger WHERE status = 'subscribed'\"", "FROM ledger"),
        ('SQL = f"UPDATE ledger SET {assignment}, updated_at = now() WHERE {where}"', "UPDATE ledger"),
        ('SQL = "INSERT INTO ledger (email, status) SELECT email, ? FROM ac_on"', "INTO ledger"),
        ('SQL = "SELECT * FROM plan_ops o LEFT JOIN ledger l USING (email)"', "JOIN ledger"),
        ('SQL = "delete from ledger where email = ?"', "from ledger"),
        ('SQL = "SELECT value FROM facts WHERE starts_with(name, ?)"', "FROM facts"),
        ('SQL = "INSERT OR REPLACE INTO sent_payloads SELECT 1"', "INTO sent_payloads"),
        ('SQL = "SELECT max(batch_no) FROM inflight"', "FROM inflight"),
        ('SQL = "SELECT * FROM temp.main.ledger"', "temp.main.ledger"),
        ('SQL = "SELECT * FROM ac_export_ledger WHERE host = %s"', "ac_export_ledger"),
        ('SENT_PAYLOADS = "sent_payloads"', "table name"),
    ],
)
def test_the_scan_finds_each_kind_of_ledger_sql(source: str, what: str) -> None:
    findings = scan_source(source, PACKAGE / "activecampaign" / "example.py")

    assert any(what in f.what for f in findings), findings


def test_the_scan_leaves_prose_and_the_interfaces_relations_alone() -> None:
    source = (
        '"""Diffs the plan against the ledger: `SELECT ... FROM ledger` is the state layer\'s."""\n'
        "def diff(ledger):\n"
        '    """Rows the ledger holds, from ledger.plan_inputs()."""\n'
        '    return f"SELECT * FROM valid v LEFT JOIN {ledger.plan_inputs()} l ON l.email = v.ac_email"\n'
        "MESSAGE = 'the ledger holds no opt-out for this email'\n"
        "SQL = \"SELECT email FROM plan_ops WHERE op IN ('add')\"\n"
    )

    assert scan_source(source, PACKAGE / "activecampaign" / "example.py") == []
