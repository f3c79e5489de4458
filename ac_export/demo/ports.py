"""Ports for `make demo` and `make dev`: the default when it is free, else the next free one, said aloud.

Another clone's `make dev` (or anything else) may hold the default port. A port the user asked for
explicitly is used as given or refused; a default one falls back to the next free port nearby. The
emulator's account lives in a state file per port, because the export ledgers are kept per account
host (`127.0.0.1:<port>`): an account reached on another port is another account, never one whose
ledger belongs to a different address.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

DEMO_EMULATOR_PORT = 8787
DAGSTER_UI_PORT = 3000
# Ports tried after the default one before asking the system for any free port.
NEARBY_PORTS = 20


class PortBusy(RuntimeError):
    """A port the user asked for is taken."""


@dataclass(frozen=True)
class ChosenPort:
    """The port to listen on, and the sentence that says why it is not the default (or None)."""

    port: int
    note: str | None = None


def is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port` (a bind succeeds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def choose_port(what: str, requested: int | None, default: int, option: str) -> ChosenPort:
    """`requested` if given (PortBusy if taken), else `default` or the first free port after it."""
    if requested is not None:
        if not is_free(requested):
            raise PortBusy(
                f"{what} could not listen on 127.0.0.1:{requested} (in use?); "
                f"stop what holds it or pass {option}"
            )
        return ChosenPort(requested)
    if is_free(default):
        return ChosenPort(default)
    nearby = (p for p in range(default + 1, default + 1 + NEARBY_PORTS) if is_free(p))
    port = next(nearby, None) or _any_free_port()
    return ChosenPort(
        port, f"127.0.0.1:{default} is in use (another `make dev`?), so {what} uses port {port}"
    )


def emulator_state_file(warehouse_dir: Path, port: int) -> Path:
    """The emulator account reached on `port`: the default port keeps the historic file name."""
    name = "emulator-state.json" if port == DEMO_EMULATOR_PORT else f"emulator-state-{port}.json"
    return warehouse_dir / name
