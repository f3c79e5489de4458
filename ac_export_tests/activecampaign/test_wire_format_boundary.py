"""Only `activecampaign/api/` knows ActiveCampaign's wire format (issue 25).

An import contract cannot see string literals or numbers, so this scans the source of everything
outside `api/` (and the emulator, which is ActiveCampaign's stand-in) for the spellings of the wire
format: payload keys, endpoint paths, JSON paths into payloads, list-status numbers, HTTP status
codes, and the bulk-import request kinds. Each finding names its file and line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ac_export_tests.support.source_scan import PACKAGE, Finding, docstring_ids

# ActiveCampaign's wire format lives here, and in the emulator that plays ActiveCampaign.
EXEMPT = (PACKAGE / "activecampaign" / "api", PACKAGE / "emulator")

WIRE_TEXT = re.compile(
    r"\bfieldValues?\b|\blistid\b|/api/3|bulk_import|/import/|\bcontactLists?\b|exclude_automations"
    r"|\bbatchId\b|failureReasons|\bfieldRels?\b|['\"](?:un)?subscribe['\"]|\$\.(?:un)?subscribe\b"
    r"|\$\.fields\b|['\"]fields['\"]\s*:|'\|\|'"
)
WIRE_WORDS = frozenset({"subscribe", "unsubscribe", "fields", "bulk_multi", "bulk_single"})
# SQL that writes or reads a payload's JSON is the wire format too (the engine's tables are not JSON).
PAYLOAD_SQL = re.compile(r"\bto_json\s*\(|\bjson_extract\w*\s*\(|\bjson_merge_patch\s*\(|'\$\.")
PAYLOAD_SQL_SCOPE = (PACKAGE / "activecampaign", PACKAGE / "state")
LIST_STATUS_CALLS = frozenset({"count_list_contacts", "has_list_status", "list_contact_emails"})


def _is_int(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def _ints_in(node: ast.AST) -> bool:
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_int(item) for item in node.elts)
    return _is_int(node)


def _text_findings(node: ast.Constant, path: Path) -> list[str]:
    text = node.value
    if not isinstance(text, str):
        return []
    found = [f"wire spelling {m.group(0)!r}" for m in WIRE_TEXT.finditer(text)]
    if text in WIRE_WORDS:
        found.append(f"wire key {text!r}")
    if any(path.is_relative_to(scope) for scope in PAYLOAD_SQL_SCOPE):
        found += [f"payload JSON in SQL {m.group(0)!r}" for m in PAYLOAD_SQL.finditer(text)]
    return found


def _code_findings(node: ast.AST) -> list[str]:
    """Numbers and names only `api/` may interpret: HTTP and list statuses, request kinds."""
    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        if any(isinstance(s, ast.Attribute) and s.attr == "status_code" for s in sides) and any(
            _ints_in(s) for s in sides
        ):
            return ["HTTP status code interpreted"]
    if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None and _is_int(node.value):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Name) and "STATUS" in t.id.upper() for t in targets):
            return ["list status number defined"]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        args = [*node.args, *(k.value for k in node.keywords)]
        if node.func.attr in LIST_STATUS_CALLS and any(_is_int(a) for a in args):
            return [f"list status number passed to {node.func.attr}"]
    if isinstance(node, ast.ClassDef) and node.name == "RequestKind":
        return ["ActiveCampaign's request kinds defined"]
    if isinstance(node, ast.Name) and node.id == "RequestKind":
        return ["ActiveCampaign's request kinds used"]
    return []


def scan_source(source: str, path: Path) -> list[Finding]:
    """Every spelling of the wire format in one module's source."""
    tree = ast.parse(source)
    prose = docstring_ids(tree)
    findings: list[Finding] = []
    for node in ast.walk(tree):
        whats = _code_findings(node)
        if isinstance(node, ast.Constant) and id(node) not in prose:
            whats += _text_findings(node, path)
        findings += [Finding(path, getattr(node, "lineno", 0), what) for what in whats]
    return findings


def engine_modules() -> list[Path]:
    """Every module of the product outside `api/` and the emulator."""
    return sorted(
        path for path in PACKAGE.rglob("*.py") if not any(path.is_relative_to(exempt) for exempt in EXEMPT)
    )


def test_only_the_api_layer_spells_activecampaigns_wire_format() -> None:
    findings = [f for path in engine_modules() for f in scan_source(path.read_text("utf-8"), path)]

    assert not findings, "ActiveCampaign's wire format outside activecampaign/api/ (move it there):\n" + (
        "\n".join(sorted(str(f) for f in findings))
    )


def test_the_scan_covers_the_engine_and_the_state_layer() -> None:
    scanned = {path.relative_to(PACKAGE).as_posix() for path in engine_modules()}

    assert {"activecampaign/plan.py", "activecampaign/upload.py", "state/pacer.py"} <= scanned
    assert not any(name.startswith(("activecampaign/api/", "emulator/")) for name in scanned)


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("SQL = \"to_json({'email': e, 'subscribe': [{'listid': 3}]})\"", "'subscribe'"),
        ('BODY = {"fieldValues": []}', "fieldValues"),
        ('PATH = "/api/3/contacts"', "/api/3"),
        ("SQL = \"json_extract(payload, '$.subscribe[0].listid')\"", "json_extract"),
        ("SUBSCRIBED_STATUS = 1", "list status number"),
        ("client.count_list_contacts(list_id, 2)", "count_list_contacts"),
        ("ok = exc.status_code in (None, 401, 403)", "HTTP status"),
        ("class RequestKind:\n    pass", "request kinds"),
        ("pacer.ready_in(RequestKind.BULK_MULTI)", "request kinds"),
        ('KEY = "unsubscribe"', "wire key"),
        ("SQL = \"'||' || array_to_string(tags, '||') || '||'\"", "'||'"),
    ],
)
def test_the_scan_finds_each_kind_of_wire_spelling(source: str, what: str) -> None:
    findings = scan_source(source, PACKAGE / "activecampaign" / "example.py")

    assert any(what in f.what for f in findings), findings


def test_the_scan_leaves_prose_and_the_engines_own_words_alone() -> None:
    source = (
        '"""Subscribes contacts with bulk_import and `fieldValues` (the API says so)."""\n'
        'OPS = ("add", "remove", "resubscribe")\n'
        "REASON = 'unsubscribed in ActiveCampaign, not by us'\n"
        "SQL = \"SELECT status FROM ledger WHERE status = 'subscribed'\"\n"
    )

    assert scan_source(source, PACKAGE / "activecampaign" / "example.py") == []
