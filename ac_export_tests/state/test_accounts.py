"""The account's canonical identity: every spelling of one account is one identity, others stay apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from ac_export.activecampaign.api.hosts import account_key, normalize_api_host
from ac_export.state.accounts import account_identity, spellings
from ac_export.state.ledger import folder_name, ledger_path
from ac_export.state.merge import host_of_folder

SAME_ACCOUNT = {
    "acme.activehosted.com": [
        "acme.api-us1.com",
        "ACME.api-us1.com",
        "https://acme.api-us1.com",
        "https://acme.api-us1.com/",
        "https://Acme.Api-Us1.com:443/api/3",
        "https://acme.api-us1.com/api/3/",
        "acme.api-us2.com",
        "acme.activehosted.com",
        "https://ACME.activehosted.com/",
    ],
    "127.0.0.1:8787": [
        "http://127.0.0.1:8787",
        "http://127.0.0.1:8787/",
        "http://127.0.0.1:8787/api/3",
        "http://localhost:8787",
        "http://LOCALHOST:8787/api/3/",
        "http://[::1]:8787",
        "http://127.0.0.2:8787",
    ],
    "127.0.0.1:80": ["http://localhost", "http://127.0.0.1:80", "http://[::1]"],
    "api.example.com": ["api.example.com", "https://API.example.com:443/", "api.example.com/api/3"],
    "api.example.com:8443": ["api.example.com:8443", "https://api.example.com:8443/api/3/"],
}


@pytest.mark.parametrize(
    ("identity", "spelled"), [(identity, s) for identity, group in SAME_ACCOUNT.items() for s in group]
)
def test_every_spelling_of_an_account_is_one_identity(identity: str, spelled: str) -> None:
    host = normalize_api_host(spelled)
    assert account_key(host) == identity
    assert account_identity(identity) == identity  # an identity is its own identity
    assert account_identity(host_of_folder(folder_name(identity))) == identity


def test_different_accounts_stay_different() -> None:
    hosts = [
        "acme.api-us1.com",
        "other.api-us1.com",
        "http://127.0.0.1:8787",
        "http://127.0.0.1:8788",
        "https://localhost",
        "api.example.com",
        "api.example.com:8443",
        "acme.example.com",
    ]
    assert len({account_key(normalize_api_host(h)) for h in hosts}) == len(hosts)


def test_the_ledger_path_is_the_identity_whatever_the_spelling(tmp_path: Path) -> None:
    root = tmp_path
    paths = {ledger_path(root, normalize_api_host(s).host, 3) for s in SAME_ACCOUNT["127.0.0.1:8787"][:6]}
    assert paths == {root / "ledger" / "127.0.0.1_8787" / "list_3.duckdb"}


@pytest.mark.parametrize(
    "spelled", ["localhost:8787", "[::1]:8787", "127.0.0.1:8787", "acme.api-us1.com", "a.b:9"]
)
def test_a_folder_name_reads_back_as_the_host_it_was_named_after(spelled: str) -> None:
    assert account_identity(host_of_folder(folder_name(spelled))) == account_identity(spelled)


def test_the_older_spellings_of_an_account_include_what_apihost_wrote() -> None:
    for identity, group in SAME_ACCOUNT.items():
        # Any 127.x address is loopback; an older version would only have been given the usual ones.
        written = {normalize_api_host(s).host for s in group if "127.0.0.2" not in s}
        assert written <= set(spellings(identity)), identity
