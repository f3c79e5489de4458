"""Authentication: the `Api-Token` header, keys from flags and the environment, revocation."""

from __future__ import annotations

import httpx
import pytest

from ac_export_tests.support.emulator import EmulatorHandle, running_emulator

FORBIDDEN = {"message": "You do not have permission to view this directory or page."}


@pytest.mark.parametrize("headers", [{}, {"Api-Token": "wrong-key"}, {"Api-Token": ""}])
def test_missing_or_wrong_key_gets_403(fast: EmulatorHandle, headers: dict[str, str]) -> None:
    response = httpx.get(f"{fast.base_url}/api/3/users/me", headers=headers)
    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_right_key_reads_the_user(api: httpx.Client) -> None:
    response = api.get("/users/me")
    assert response.status_code == 200
    assert response.json()["user"]["id"] == "1"


def test_a_403_changes_nothing(fast: EmulatorHandle, api: httpx.Client) -> None:
    body = {"contact": {"email": "someone@example.com"}}
    assert httpx.post(f"{fast.base_url}/api/3/contacts", json=body).status_code == 403
    assert api.get("/contacts").json()["meta"]["total"] == "0"


def test_revoked_key_gets_403_from_the_next_request(fast: EmulatorHandle, api: httpx.Client) -> None:
    assert api.get("/users/me").status_code == 200
    fast.revoke()
    assert api.get("/users/me").status_code == 403
    fast.reset()
    assert api.get("/users/me").status_code == 200


def test_keys_come_from_repeated_flags_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AC_EMULATOR_API_KEYS", "env-one, env-two")
    with running_emulator("--api-key", "flag-two", api_key="flag-one") as handle:
        for key in ("flag-one", "flag-two", "env-one", "env-two"):
            response = httpx.get(f"{handle.base_url}/api/3/users/me", headers={"Api-Token": key})
            assert response.status_code == 200, key
        assert httpx.get(f"{handle.base_url}/api/3/users/me", headers={"Api-Token": "env"}).status_code == 403


def test_test_endpoints_need_no_key(fast: EmulatorHandle) -> None:
    assert httpx.get(f"{fast.base_url}/_emulator/stats").status_code == 200
    assert httpx.get(f"{fast.base_url}/_emulator/config").status_code == 200
    assert httpx.post(f"{fast.base_url}/_emulator/reset").status_code == 200
