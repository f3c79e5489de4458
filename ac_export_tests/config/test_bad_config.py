"""Bad configuration: every case fails at load time with one message naming the file, the field and the fix.

Each case starts from a valid tiny project and replaces one file. API keys pasted where they do
not belong are refused without being repeated in the message (which reaches logs and the UI).
"""

from __future__ import annotations

import copy
from contextlib import closing
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from ac_export.config.loading import ConfigError
from ac_export.project import load_project_config
from ac_export.segments.rules import compile_segment
from ac_export.warehouse import Warehouse
from ac_export_tests.support.project import CONNECTIONS, SEGMENT, export_config, write_project

PASTED_KEY = "0c4f9e1d2b3a59687f6e5d4c3b2a19080f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"
ANY_RULE = [{"attribute": "email", "operator": "is_not_empty"}]
HOSTILE_TEXT = "x'); DROP TABLE p; --"
MEASURES = "segments/customer_measures"


def segments(definitions: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """`segments.yaml` with these segment definitions."""
    return "segments.yaml", {"as_of": "2019-03-31", "segments": definitions}


def exports(**changes: Any) -> tuple[str, dict[str, Any]]:
    """`exports.yaml` whose one export has these keys changed (None removes a key)."""
    content = export_config(1)
    export = content["exports"]["testers_to_activecampaign"]
    for key, value in changes.items():
        if value is None:
            export.pop(key)
        else:
            export[key] = value
    return "exports.yaml", content


def custom_fields(mapping: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """`exports.yaml` mapping these extra custom fields."""
    name, content = exports()
    content["exports"]["testers_to_activecampaign"]["fields"]["custom"].update(mapping)
    return name, content


def connection(**changes: Any) -> tuple[str, dict[str, Any]]:
    """`connections.yaml` whose test connection has these keys changed (None removes a key)."""
    content = copy.deepcopy(CONNECTIONS)
    entry = content["connections"]["test"]
    for key, value in changes.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    return "connections.yaml", content


def host(value: str) -> tuple[str, dict[str, Any]]:
    """`connections.yaml` with the API host written into it."""
    return connection(api_host_env=None, api_host=value)


# case → (file name, YAML content as data or raw bytes, text the message must hold)
CASES: dict[str, tuple[str, Any, str]] = {
    "YAML that never closes a bracket": ("segments.yaml", b"segments:\n  a: [x\n", "invalid YAML at line 3"),
    "YAML indented with a tab": ("exports.yaml", b"exports:\n\tx: 1\n", "invalid YAML at line 2, column 1"),
    "YAML that is not UTF-8": ("segments.yaml", b"segments:\n  a:\n    description: caf\xe9\n", "not UTF-8"),
    "YAML that is a list": ("segments.yaml", b"- a\n- b\n", "expected a mapping at the top level, got list"),
    "YAML naming an undefined alias": ("unify.yaml", b"dedup: *nowhere\n", "undefined alias 'nowhere'"),
    "unknown attribute in a rule": (
        *segments(
            {"a": {"description": "d", "rules": [{"attribute": "shoe_size", "operator": "=", "value": 3}]}}
        ),
        "unknown attribute or measure 'shoe_size'",
    ),
    "unknown key in a segment": (
        *segments({"a": {"description": "d", "rules": ANY_RULE, "colour": "red"}}),
        "segments.a.colour: unknown key; known keys here:",
    ),
    "operator on the wrong type": (
        *segments(
            {"a": {"description": "d", "rules": [{"attribute": "email", "operator": ">", "value": 3}]}}
        ),
        "operator 'greater_than' does not apply to a string attribute",
    ),
    "path in a segment name": (
        *segments({"../../etc": {"description": "d", "rules": ANY_RULE}}),
        "segment name '../../etc' must match",
    ),
    "comma in a segment name": (
        *segments({"a,b": {"description": "d", "rules": ANY_RULE}}),
        "'a,b' must match",
    ),
    "unicode segment name": (
        *segments({"ñandú": {"description": "d", "rules": ANY_RULE}}),
        "'ñandú' must match",
    ),
    "SQL in a segment name": (
        *segments({"x; DROP TABLE p": {"description": "d", "rules": ANY_RULE}}),
        "must match ^[a-z0-9_]+$",
    ),
    "segments in a cycle": (
        *segments({"a": {"description": "d", "union": ["b"]}, "b": {"description": "d", "union": ["a"]}}),
        "form a cycle",
    ),
    "segment that removes itself": (
        *segments({"a": {"description": "d", "rules": ANY_RULE, "except": ["a"]}}),
        "form a cycle a → a",
    ),
    "unknown segment in a union": (
        *segments({"a": {"description": "d", "union": ["nope"]}}),
        "union[0]: unknown segment 'nope'",
    ),
    "export without a list id": (*exports(list_id=None), "testers_to_activecampaign.list_id: Field required"),
    "list id zero": (*exports(list_id=0), "list_id: Input should be greater than 0"),
    "list id in words": (*exports(list_id="three"), "list_id: Input should be a valid integer"),
    "export of an unknown segment": (*exports(segment="nope"), "segment: unknown segment 'nope'"),
    "export over an unknown connection": (
        *exports(connection="prod"),
        "connection: unknown connection 'prod'",
    ),
    "custom field from an unknown attribute": (
        *custom_fields({"LOYALTY": "loyalty_points"}),
        "fields.custom.LOYALTY: unknown attribute or measure 'loyalty_points'",
    ),
    "custom field tag with a space": (*custom_fields({"BAD TAG": "tier"}), "personalization tag 'BAD TAG'"),
    "unknown export mode": (*exports(mode="sync_everything"), "mode: Input should be 'mirror' or 'upsert'"),
    "removal guard over 100%": (
        *exports(removal_guard=2),
        "removal_guard: Input should be less than or equal",
    ),
    "host with a path": (*host("acme.api-us1.com/some/path"), "path '/some/path' is not allowed"),
    "host with credentials": (*host("https://admin:hunter2@acme.api-us1.com"), "no credentials in the host"),
    "plain http to a public host": (
        *host("http://acme.api-us1.com"),
        "plain http:// is only allowed for loopback",
    ),
    "plain http to a public address": (*host("http://8.8.8.8"), "use https for '8.8.8.8'"),
    "plain http to a look-alike of localhost": (
        *host("http://localhost.evil.example"),
        "only allowed for loopback",
    ),
    "ftp scheme": (*host("ftp://acme.api-us1.com"), "scheme 'ftp' is not allowed"),
    "host with a query": (*host("acme.api-us1.com?key=1"), "a query or fragment is not allowed"),
    "host with a space": (*host("acme api.com"), "is not a valid host name"),
    "empty host": (*host(""), "the API host is empty"),
    "both a host and its variable": (
        *connection(api_host="acme.api-us1.com"),
        "give exactly one of api_host",
    ),
    "API key pasted into connections.yaml": (
        *connection(api_key=PASTED_KEY),
        "connections.test.api_key: unknown key; did you mean 'api_key_env'?",
    ),
    "API key pasted where its variable's name belongs": (
        *connection(api_key_env=PASTED_KEY),
        "connections.test.api_key_env: String should match pattern",
    ),
}


@pytest.mark.parametrize(("file_name", "content", "says"), list(CASES.values()), ids=list(CASES))
def test_bad_configuration(tmp_path: Path, file_name: str, content: Any, says: str) -> None:
    project = write_project(tmp_path, 3, 1)
    target = project.config_dir / file_name
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        load_project_config(project.config_dir)

    message = str(error.value)
    assert message.startswith(f"{target}:")
    assert says in message
    for secret in (PASTED_KEY, "hunter2"):
        assert secret not in message


@pytest.mark.parametrize(
    ("value", "shown"),
    [("https://acme.api-us1.com", "'acme.api-us1.com'"), ("https://acme.api-us1.com/api/3/", "normalised")],
)
def test_a_pasted_https_url_is_accepted_as_its_host(tmp_path: Path, value: str, shown: str) -> None:
    project = write_project(tmp_path, 3, 1)
    name, content = host(value)
    (project.config_dir / name).write_text(yaml.safe_dump(content), encoding="utf-8")

    loaded = load_project_config(project.config_dir)

    assert loaded.connections.connections["test"].api_host == value


def test_hostile_rule_values_are_data_not_sql(tmp_path: Path) -> None:
    project = write_project(tmp_path, 3, 1)
    rule = [{"attribute": "first_name", "operator": "in", "value": [HOSTILE_TEXT, "Ann"]}]
    name, content = segments({SEGMENT: {"description": "hostile", "rules": rule}})
    (project.config_dir / name).write_text(yaml.safe_dump(content), encoding="utf-8")
    config = load_project_config(project.config_dir).segments
    warehouse = Warehouse(tmp_path / "warehouse")
    profiles = pl.DataFrame({"customer_id": ["c1", "c2", "c3"], "first_name": [HOSTILE_TEXT, "Ann", "Bob"]})
    warehouse.write_frame("profiles/unified_profiles", profiles)
    warehouse.write_frame(MEASURES, pl.DataFrame({"customer_id": ["c1", "c2", "c3"]}))

    query = compile_segment(
        config,
        SEGMENT,
        warehouse.scan("profiles/unified_profiles"),
        warehouse.scan("segments/customer_measures"),
    )
    with closing(warehouse.connect()) as con:
        members = sorted(row[0] for row in con.execute(query.sql, query.params).fetchall())

    assert members == ["c1", "c2"]
    assert HOSTILE_TEXT not in query.sql
