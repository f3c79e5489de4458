"""Ports for `make demo` and `make dev`: the default if free, else the next free one; asked-for ones kept."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ac_export.demo import ports


@contextmanager
def held() -> Iterator[int]:
    """A port something listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_a_free_default_is_used_without_a_note() -> None:
    with held() as port:
        pass
    assert ports.choose_port("the emulator", None, port, "--emulator-port") == ports.ChosenPort(port)


def test_a_busy_default_gives_way_to_a_free_port_and_says_so() -> None:
    with held() as port:
        chosen = ports.choose_port("the emulator", None, port, "--emulator-port")
        assert chosen.port != port and ports.is_free(chosen.port)
        assert chosen.note == (
            f"127.0.0.1:{port} is in use (another `make dev`?), so the emulator uses port {chosen.port}"
        )


def test_a_busy_port_asked_for_is_refused_with_the_fix() -> None:
    with held() as port, pytest.raises(ports.PortBusy) as caught:
        ports.choose_port("the Dagster UI", port, 3000, "--port")
    assert str(caught.value) == (
        f"the Dagster UI could not listen on 127.0.0.1:{port} (in use?); stop what holds it or pass --port"
    )


def test_each_emulator_port_keeps_its_own_account(tmp_path: Path) -> None:
    assert ports.emulator_state_file(tmp_path, ports.DEMO_EMULATOR_PORT) == tmp_path / "emulator-state.json"
    assert ports.emulator_state_file(tmp_path, 8790) == tmp_path / "emulator-state-8790.json"
