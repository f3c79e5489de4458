"""Fixtures shared by every test area."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ac_export_tests.support.emulator import EmulatorHandle, running_emulator
from ac_export_tests.support.postgres import PostgresServer, running_postgres, unavailable_reason
from ac_export_tests.support.s3 import S3Server, running_s3

# Fixtures several areas share live in plugins, registered once here rather than re-exported by conftests.
pytest_plugins = ["ac_export_tests.support.export_world", "ac_export_tests.support.demo_config"]


@pytest.fixture(scope="session")
def _emulator_process() -> Iterator[EmulatorHandle]:
    with running_emulator() as handle:
        yield handle


@pytest.fixture
def emulator(_emulator_process: EmulatorHandle) -> EmulatorHandle:
    """A fresh emulated account with default knobs (real rate limits): one process, reset per test."""
    _emulator_process.reset()
    return _emulator_process


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL cluster for the session (skipped, with the reason, where none can run).

    AC_EXPORT_REQUIRE_POSTGRES=1 (set by .ci/run, which installs PostgreSQL) makes that a failure.
    """
    reason = unavailable_reason()
    if reason and os.environ.get("AC_EXPORT_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"AC_EXPORT_REQUIRE_POSTGRES=1 but {reason}")
    if reason:
        pytest.skip(reason)
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """The DSN of a fresh, empty database in the session's cluster."""
    return postgres_server.create_database()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One local S3-compatible server (moto) for the session."""
    with running_s3() as server:
        yield server


@pytest.fixture
def s3_warehouse_url(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> str:
    """An s3:// warehouse URL in a fresh bucket; the AWS variables point at the local server."""
    for name, value in s3_server.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AC_EXPORT_WAREHOUSE_CACHE", str(tmp_path_factory.mktemp("warehouse-cache")))
    return f"s3://{s3_server.create_bucket()}/warehouse"
