"""Fixtures shared by every test area."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ac_export_tests.support.emulator import EmulatorHandle, running_emulator


@pytest.fixture(scope="session")
def _emulator_process() -> Iterator[EmulatorHandle]:
    with running_emulator() as handle:
        yield handle


@pytest.fixture
def emulator(_emulator_process: EmulatorHandle) -> EmulatorHandle:
    """A fresh emulated account with default knobs (real rate limits): one process, reset per test."""
    _emulator_process.reset()
    return _emulator_process
