"""Fixtures for the emulator's contract tests: one fast emulator process, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ac_export_tests.support.emulator import EmulatorHandle, running_emulator


@pytest.fixture(scope="session")
def _fast_process() -> Iterator[EmulatorHandle]:
    # The emulator's own defaults (the documented readings), not the client harness's legacy ones.
    with running_emulator("--no-rate-limit", "--processing-delay", "0", "--seed", "7", readings=()) as handle:
        yield handle


@pytest.fixture
def fast(_fast_process: EmulatorHandle) -> EmulatorHandle:
    """An emulator with limits off and instant batches (tests turn knobs on as they need), reset."""
    _fast_process.reset()
    return _fast_process


@pytest.fixture
def api(fast: EmulatorHandle) -> Iterator[httpx.Client]:
    """An httpx client for `/api/3` of the fast emulator, sending its key."""
    with fast.api() as client:
        yield client
