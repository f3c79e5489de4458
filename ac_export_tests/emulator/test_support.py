"""The test support other areas rely on: `running_emulator`, its handle, and the `emulator` fixture."""

from __future__ import annotations

import httpx
import pytest

from ac_export_tests.emulator.helpers import imported
from ac_export_tests.support.emulator import EmulatorHandle, running_emulator


def test_emulator_fixture_is_a_fresh_account_with_real_limits(emulator: EmulatorHandle) -> None:
    stats = emulator.stats()
    assert (stats["contacts"], stats["requests"]) == (0, 0)
    assert stats["knobs"]["rate_limit"] is True
    assert emulator.base_url == f"http://{emulator.host}"
    assert emulator.api_key == "test-key"


def test_handle_controls_the_account(emulator: EmulatorHandle) -> None:
    list_id = emulator.create_list("News")
    assert list_id == 1
    emulator.configure(rate_limit=False)
    with emulator.api() as api:
        rows = [{"email": f"p{i:03d}@example.com", "subscribe": [{"listid": list_id}]} for i in range(230)]
        imported(api, rows)
    assert emulator.list_members(list_id) == {row["email"] for row in rows}
    emulator.optout("p000@example.com", list_id)
    assert emulator.list_members(list_id, status=2) == {"p000@example.com"}
    emulator.exclude("x@example.com")
    emulator.bounce("y@example.com")
    with emulator.api() as api:
        assert imported(api, [{"email": "x@example.com"}, {"email": "y@example.com"}])["failure"] == [
            "x@example.com",
            "y@example.com",
        ]


def test_list_members_waits_out_rate_limits(emulator: EmulatorHandle) -> None:
    # A 2 s window, so that a loaded machine still sends more than 5 requests inside one window.
    emulator.configure(time_scale=0.5)
    list_id = emulator.create_list("News")
    for _ in range(6):
        emulator.list_members(list_id)
    assert emulator.stats()["throttled"] >= 1


def test_stop_and_kill_end_the_process() -> None:
    with running_emulator() as handle:
        handle.kill()
        assert handle.process.process.poll() is not None
    with running_emulator() as handle:
        url = handle.base_url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_emulator/stats", timeout=2)
