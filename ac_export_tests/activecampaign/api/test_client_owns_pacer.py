"""The client owns its pacer: closing the client, or leaving its with-block on an error, closes it."""

from __future__ import annotations

import pytest

from ac_export.activecampaign.account import open_client
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.hosts import normalize_api_host
from ac_export.activecampaign.api.limits import Limits
from ac_export.settings import Settings
from ac_export.state.backend import StateBackend
from ac_export.state.postgres.pacer import PostgresPacer
from ac_export_tests.support.emulator import EmulatorHandle


def _postgres_pacer(emulator: EmulatorHandle, dsn: str) -> PostgresPacer:
    return PostgresPacer(emulator.host, Limits(time_scale=10.0), dsn)


def test_closing_the_client_closes_its_postgres_pacer(emulator: EmulatorHandle, postgres_dsn: str) -> None:
    pacer = _postgres_pacer(emulator, postgres_dsn)
    client = ActiveCampaignClient(emulator.base_url, emulator.api_key, pacer=pacer)
    client.me()
    assert not pacer._conn.closed

    client.close()

    assert pacer._conn.closed


def test_a_with_block_releases_the_pacer_when_its_body_raises(
    emulator: EmulatorHandle, postgres_dsn: str
) -> None:
    pacer = _postgres_pacer(emulator, postgres_dsn)
    with (
        pytest.raises(RuntimeError, match="mid-export"),
        ActiveCampaignClient(emulator.base_url, emulator.api_key, pacer=pacer) as client,
    ):
        client.me()
        raise RuntimeError("mid-export")

    assert pacer._conn.closed


def test_open_client_hands_the_backends_pacer_to_the_client_which_closes_it(
    emulator: EmulatorHandle, postgres_dsn: str
) -> None:
    settings = Settings.from_environment({"AC_EXPORT_STATE": "postgres", "AC_EXPORT_STATE_DSN": postgres_dsn})
    state = StateBackend.from_settings(settings)
    with open_client(normalize_api_host(emulator.base_url), emulator.api_key, None, state) as client:
        client.me()
        pacer = client.pacer
        assert isinstance(pacer, PostgresPacer) and not pacer._conn.closed

    assert pacer._conn.closed
