"""Connections and exports configuration: host forms, cross-file checks, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from ac_export.activecampaign.api.hosts import normalize_api_host
from ac_export.activecampaign.config import ConnectionsConfig, load_connections_config, load_exports_config
from ac_export.config.loading import ConfigError

ATTRIBUTES = {"email": "string", "first_name": "string", "birth_date": "date", "total_spend": "float"}


@pytest.mark.parametrize(
    ("given", "base_url", "warns"),
    [
        ("acme.api-us1.com", "https://acme.api-us1.com", False),
        ("  acme.api-us1.com  ", "https://acme.api-us1.com", False),
        ("https://acme.api-us1.com", "https://acme.api-us1.com", True),
        ("https://acme.api-us1.com/api/3/", "https://acme.api-us1.com", True),
        ("acme.api-eu1.com", "https://acme.api-eu1.com", False),
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787", False),
        ("http://localhost:8787", "http://localhost:8787", False),
    ],
)
def test_accepted_hosts(given: str, base_url: str, warns: bool) -> None:
    host = normalize_api_host(given)
    assert host.base_url == base_url
    assert (host.warning is not None) is warns


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("ftp://acme.api-us1.com", "scheme 'ftp' is not allowed"),
        ("https://user:pass@acme.api-us1.com", "no credentials in the host"),
        ("https://acme.api-us1.com/admin", "path '/admin' is not allowed"),
        ("acme.api-us1.com?x=1", "query or fragment"),
        ("http://acme.api-us1.com", "plain http:// is only allowed for loopback"),
        ("http://93.184.216.34", "plain http:// is only allowed for loopback"),
        ("", "empty"),
        ("acme_api.com", "not a valid host name"),
    ],
)
def test_refused_hosts_show_the_expected_form(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        normalize_api_host(given)
    assert "pass" not in str(caught.value).replace("passed", "")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


def connections(folder: Path) -> ConnectionsConfig:
    write(
        folder,
        "connections.yaml",
        "connections:\n  main:\n    display_name: Main\n"
        "    api_host: acme.api-us1.com\n    api_key_env: AC_KEY\n    data_privacy_consent: true\n"
        "    usable_by: contributors\n",
    )
    return load_connections_config(folder)


def test_defaults_apply_to_every_export_unless_it_sets_the_key(tmp_path: Path) -> None:
    write(
        tmp_path,
        "exports.yaml",
        "defaults: {connection: main, mode: upsert, tags: [shared]}\n"
        "exports:\n  a: {segment: one, list_id: 1}\n  b: {segment: two, list_id: 2, tags: [own]}\n",
    )
    exports = load_exports_config(tmp_path, connections(tmp_path), {"one", "two"}, ATTRIBUTES).exports
    assert exports["a"].mode == exports["b"].mode == "upsert"
    assert exports["a"].tags == ["shared"] and exports["b"].tags == ["own"]
    assert exports["a"].removal_guard == 0.2 and exports["a"].on_empty_segment == "skip"


def test_cross_file_problems_are_listed_in_one_message(tmp_path: Path) -> None:
    write(
        tmp_path,
        "exports.yaml",
        "exports:\n"
        "  a: {segment: nope, connection: other, list_id: 1}\n"
        "  b: {segment: one, connection: main, list_id: 2,\n"
        "      fields: {first_name: birth_date, custom: {X: gone}}}\n"
        "  c: {segment: one, connection: main, list_id: 2}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_exports_config(tmp_path, connections(tmp_path), {"one"}, ATTRIBUTES)
    message = str(caught.value)
    assert "exports.yaml: 5 problem(s)" in message
    assert "exports.a.connection: unknown connection 'other'" in message
    assert "exports.a.segment: unknown segment 'nope'" in message
    assert "exports.b.fields.first_name: 'birth_date' is date, not text" in message
    assert "exports.b.fields.custom.X: unknown attribute or measure 'gone'" in message
    assert (
        "exports.c.list_id: list 2 of ActiveCampaign account acme.activehosted.com (connection 'main') is "
        "already the target "
        "of export 'b' (connection 'main')"
    ) in message


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("api_host: acme.api-us1.com", "api_host: https://ACME.api-us1.com:443/api/3"),
        ("api_host: acme.api-us1.com", "api_host: acme.activehosted.com"),
        ("api_host: http://localhost:8787", "api_host: http://127.0.0.1:8787"),
        ("api_host: 'http://[::1]:8787'", "api_host: http://127.0.0.1:8787/api/3/"),
        ("api_host: https://acme.api-us1.com/", "api_host: ACME.activehosted.com"),
        ("api_host: acme.api-us1.com", "api_host_env: SECOND_HOST"),
        ("api_host_env: FIRST_HOST", "api_host_env: FIRST_HOST"),
    ],
)
def test_one_list_one_export_is_checked_by_account_not_by_connection(
    tmp_path: Path, first: str, second: str
) -> None:
    # The loader is handed the deployment's environment: SECOND_HOST set, FIRST_HOST not.
    environ = {"SECOND_HOST": "acme.api-us1.com"}
    write(
        tmp_path,
        "connections.yaml",
        "connections:\n"
        f"  marketing: {{display_name: M, {first}, api_key_env: K1, usable_by: contributors}}\n"
        f"  sales: {{display_name: S, {second}, api_key_env: K2, usable_by: contributors}}\n",
    )
    write(
        tmp_path,
        "exports.yaml",
        "exports:\n"
        "  newsletter: {segment: one, connection: marketing, list_id: 3}\n"
        "  promo: {segment: two, connection: sales, list_id: 3}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_exports_config(tmp_path, load_connections_config(tmp_path, environ), {"one", "two"}, ATTRIBUTES)
    message = str(caught.value)
    assert "exports.promo.list_id: list 3 of" in message
    assert "already the target of export 'newsletter' (connection 'marketing')" in message


def test_two_accounts_may_each_have_a_list_with_the_same_id(tmp_path: Path) -> None:
    write(
        tmp_path,
        "connections.yaml",
        "connections:\n"
        "  marketing: {display_name: M, api_host: acme.api-us1.com, api_key_env: K1,\n"
        "              usable_by: contributors}\n"
        "  sales: {display_name: S, api_host: other.api-us1.com, api_key_env: K2, usable_by: contributors}\n",
    )
    write(
        tmp_path,
        "exports.yaml",
        "exports:\n"
        "  newsletter: {segment: one, connection: marketing, list_id: 3}\n"
        "  promo: {segment: two, connection: sales, list_id: 3}\n",
    )
    loaded = load_exports_config(tmp_path, load_connections_config(tmp_path), {"one", "two"}, ATTRIBUTES)
    assert set(loaded.exports) == {"newsletter", "promo"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("exports:\n  a: {segment: one, connection: main}\n", "exports.a.list_id: Field required"),
        ("exports:\n  a: {segment: one, connection: main, list_id: 0}\n", "greater than 0"),
        ("exports:\n  a: {segment: one, connection: main, list_id: 1, mode: sync}\n", "'mirror' or 'upsert'"),
        (
            "exports:\n  a: {segment: one, connection: main, list_id: 1, fields: {custom: {bad tag: x}}}\n",
            "personalization tag 'bad tag'",
        ),
        ("exports:\n  A-1: {segment: one, connection: main, list_id: 1}\n", "export name 'A-1'"),
        (
            "exports:\n  a: {segment: one, connection: main, list_id: 1, removal_guard: 2}\n",
            "less than or equal to 1",
        ),
    ],
)
def test_invalid_exports_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "exports.yaml", text)
    with pytest.raises(ConfigError, match=message):
        load_exports_config(tmp_path, connections(tmp_path), {"one"}, ATTRIBUTES)


def test_connection_needs_exactly_one_host_and_no_consent_by_default(tmp_path: Path) -> None:
    write(tmp_path, "connections.yaml", "connections:\n  x: {display_name: X, api_key_env: K}\n")
    with pytest.raises(ConfigError, match="exactly one of api_host"):
        load_connections_config(tmp_path)
    write(
        tmp_path,
        "connections.yaml",
        "connections:\n  x: {display_name: X, api_host: a.api-us1.com, api_key_env: K}\n",
    )
    assert load_connections_config(tmp_path).connections["x"].data_privacy_consent is False


def test_host_with_credentials_is_refused_without_echoing_them(tmp_path: Path) -> None:
    write(
        tmp_path,
        "connections.yaml",
        "connections:\n  x: {display_name: X, "
        "api_host: 'https://admin:hunter2@a.api-us1.com', api_key_env: K}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_connections_config(tmp_path)
    assert "no credentials in the host" in str(caught.value) and "hunter2" not in str(caught.value)


def _admin_only(folder: Path) -> ConnectionsConfig:
    write(
        folder,
        "connections.yaml",
        "connections:\n  prod: {display_name: Prod, api_host: acme.api-us1.com, api_key_env: K}\n",
    )
    return load_connections_config(folder)


def test_a_connection_is_for_admins_unless_it_says_contributors(tmp_path: Path) -> None:
    connections = _admin_only(tmp_path)
    write(tmp_path, "exports.yaml", "exports:\n  a: {segment: one, connection: prod, list_id: 1}\n")

    with pytest.raises(ConfigError) as refused:
        load_exports_config(tmp_path, connections, {"one"}, ATTRIBUTES)

    message = str(refused.value)
    assert "exports.yaml" in message
    assert "exports.a.connection: connection 'prod' may be used only by admins" in message
    assert "move this export to admin_exports.yaml" in message and "usable_by: contributors" in message


def test_admin_exports_may_use_admin_connections_and_join_the_contributors(tmp_path: Path) -> None:
    connections = _admin_only(tmp_path)
    write(tmp_path, "admin_exports.yaml", "exports:\n  b: {segment: one, connection: prod, list_id: 2}\n")

    exports = load_exports_config(tmp_path, connections, {"one"}, ATTRIBUTES).exports

    assert list(exports) == ["b"] and exports["b"].list_id == 2


def test_one_list_has_one_export_across_both_files(tmp_path: Path) -> None:
    contributors = connections(tmp_path)
    write(tmp_path, "exports.yaml", "exports:\n  a: {segment: one, connection: main, list_id: 1}\n")
    write(tmp_path, "admin_exports.yaml", "exports:\n  b: {segment: one, connection: main, list_id: 1}\n")

    with pytest.raises(ConfigError) as refused:
        load_exports_config(tmp_path, contributors, {"one"}, ATTRIBUTES)

    assert "admin_exports.yaml" in str(refused.value)
    assert "already the target of export 'a' in exports.yaml" in str(refused.value)
