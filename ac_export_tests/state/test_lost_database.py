"""The state database lost mid-run (PostgreSQL restarted, the network cut): one clear line, then a resume.

Through every way a run starts: the CLI (`ac-export export` in its own process: exit code 2 and one
line on stderr), a Dagster run (the step fails with that line as its description) and the engine
itself over a connection that is cut. The next run resumes, as after a SIGKILL: the list equals the
segment, nothing is left in flight, and no batch is sent twice except one in flight whose id the
ledger had not recorded when the connection went (ActiveCampaign's import is idempotent).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
import pytest
import yaml

from ac_export.activecampaign.config import load_connections_config
from ac_export.activecampaign.errors import ExportStopped
from ac_export.defs.activecampaign.assets import build_export_asset
from ac_export.defs.activecampaign.resources import resource_key
from ac_export.defs.resources import ProjectConfigResource, StateResource, WarehouseResource
from ac_export.state.backend import StateBackend
from ac_export_tests.defs.activecampaign.test_assets import project_config
from ac_export_tests.support.export_world import SEGMENT, ExportWorld
from ac_export_tests.support.postgres import PostgresServer

CONTACTS = 600  # three bulk imports of 250, 250 and 100
BATCHES = 3
LOST = "lost the state database"


@pytest.fixture
def reading() -> str:
    """The documented reading: these runs are about the state database, not ActiveCampaign's readings."""
    return "documented"


@pytest.fixture
def loyal_world(world: ExportWorld) -> ExportWorld:
    """600 members with the attributes the demo configuration's export maps; batches take a while."""
    world.people(CONTACTS)
    for values in world.profiles.values():
        values["loyalty_tier"] = "gold"
    world.emulator.configure(processing_delay=1.5)
    return world


def rows(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query against the state database."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def when_queued(world: ExportWorld, action: Callable[[], None], imports: int = 1) -> threading.Thread:
    """Run `action` in a thread once the emulator has queued `imports` bulk imports (mid-run)."""

    def wait_then_act() -> None:
        deadline = time.monotonic() + 120
        while int(world.emulator.stats()["bulk_imports_queued"]) < imports and time.monotonic() < deadline:
            time.sleep(0.01)
        action()

    thread = threading.Thread(target=wait_then_act, daemon=True)
    thread.start()
    return thread


def unrecorded_batches(dsn: str) -> int:
    """Batches left in flight without the id ActiveCampaign gave them: the only ones a resume may resend."""
    return int(
        rows(dsn, "SELECT count(DISTINCT batch_no) FROM ac_export_inflight WHERE batch_id IS NULL")[0][0]
    )


def assert_resumed(world: ExportWorld, dsn: str, unrecorded: int) -> None:
    """The list is the segment, the ledger agrees, nothing is in flight, no batch was sent twice."""
    assert world.subscribed() == world.expected()
    assert rows(dsn, "SELECT count(*) FROM ac_export_inflight") == [(0,)]
    subscribed = rows(dsn, "SELECT email FROM ac_export_ledger WHERE status = 'subscribed'")
    assert {email for (email,) in subscribed} == world.subscribed()
    resent = int(world.emulator.stats()["bulk_imports_queued"]) - BATCHES
    assert 0 <= resent <= unrecorded


def cli_folder(tmp_path: Path, world: ExportWorld) -> Path:
    """The Dagster tests' project configuration, its connection read from T_HOST and T_KEY."""
    config_dir = project_config(tmp_path, world)
    connection = {"display_name": "t", "api_host_env": "T_HOST", "api_key_env": "T_KEY"}
    connection.update({"data_privacy_consent": True, "usable_by": "contributors"})
    (config_dir / "connections.yaml").write_text(yaml.safe_dump({"connections": {"test": connection}}))
    return config_dir


def run_cli(world: ExportWorld, config_dir: Path, dsn: str) -> subprocess.CompletedProcess[str]:
    """`ac-export export` of the test segment, as a user runs it, with the state in PostgreSQL."""
    env = {
        **os.environ,
        "AC_EXPORT_CONFIG_DIR": str(config_dir),
        "AC_EXPORT_WAREHOUSE": str(world.warehouse.root),
        "AC_EXPORT_STATE": "postgres",
        "AC_EXPORT_STATE_DSN": dsn,
        "T_HOST": world.emulator.base_url,
        "T_KEY": world.emulator.api_key,
    }
    return subprocess.run(
        [sys.executable, "-m", "ac_export.cli", "export", SEGMENT],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


def test_the_cli_ends_with_one_line_when_postgres_restarts_and_the_next_run_resumes(
    loyal_world: ExportWorld, tmp_path: Path, postgres_server: PostgresServer, postgres_dsn: str
) -> None:
    world = loyal_world
    world.write()
    config_dir = cli_folder(tmp_path, world)
    restart = when_queued(world, postgres_server.restart)

    stopped = run_cli(world, config_dir, postgres_dsn)
    restart.join()
    unrecorded = unrecorded_batches(postgres_dsn)
    resumed = run_cli(world, config_dir, postgres_dsn)

    assert stopped.returncode == 2, stopped.stderr
    assert len(stopped.stderr.strip().splitlines()) == 1, stopped.stderr
    assert stopped.stderr.startswith("error: ") and LOST in stopped.stderr
    assert "Traceback" not in stopped.stderr and "psycopg" not in stopped.stderr
    assert resumed.returncode == 0, resumed.stderr
    assert_resumed(world, postgres_dsn, unrecorded)


def materialize(world: ExportWorld, config_dir: Path, dsn: str) -> dg.ExecuteInProcessResult:
    """One run of the export asset in Dagster, with the state in PostgreSQL."""
    world.write()
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("segments", [SEGMENT])
    resources = {
        "warehouse": WarehouseResource(root=str(world.warehouse.root)),
        "state": StateResource(backend="postgres", dsn=dsn),
        "project_config": ProjectConfigResource(config_dir=str(config_dir)),
        resource_key("test"): world.resource(pace=True),
    }
    asset = build_export_asset(load_connections_config(config_dir))
    return dg.materialize(
        [asset], partition_key=SEGMENT, instance=instance, resources=resources, raise_on_error=False
    )


def test_a_dagster_run_fails_with_one_line_when_postgres_restarts_and_the_next_run_resumes(
    loyal_world: ExportWorld, tmp_path: Path, postgres_server: PostgresServer, postgres_dsn: str
) -> None:
    world = loyal_world
    config_dir = project_config(tmp_path, world)
    restart = when_queued(world, postgres_server.restart)

    stopped = materialize(world, config_dir, postgres_dsn)
    restart.join()
    unrecorded = unrecorded_batches(postgres_dsn)
    resumed = materialize(world, config_dir, postgres_dsn)

    assert not stopped.success
    [failure] = [event.step_failure_data for event in stopped.all_events if event.is_step_failure]
    description = failure.user_failure_data.description if failure.user_failure_data else ""
    assert description.startswith("export test_export (segment testers") and LOST in description
    assert len(description.splitlines()) == 1
    assert failure.error is not None and failure.error.cause is None  # no driver traceback beneath it
    assert "psycopg" not in str(failure.error)
    assert resumed.success
    assert_resumed(world, postgres_dsn, unrecorded)


class CuttableProxy:
    """A TCP relay to PostgreSQL on a loopback port that can cut every connection through it at once."""

    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every connection through the relay at once, as a lost network path does.

        Shut down rather than only closed: a socket another thread is reading from is not released
        by close(), so neither end would learn of the cut.
        """
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def close(self) -> None:
        """Stop accepting and cut what is open."""
        self._listener.close()
        self.cut()


@pytest.fixture
def proxy(postgres_server: PostgresServer) -> Iterator[CuttableProxy]:
    """A cuttable relay in front of the test cluster."""
    relay = CuttableProxy(postgres_server.port)
    yield relay
    relay.close()


def test_a_network_cut_mid_run_stops_the_export_with_one_line_and_the_next_run_resumes(
    loyal_world: ExportWorld, postgres_dsn: str, proxy: CuttableProxy
) -> None:
    world = loyal_world
    through_proxy = postgres_dsn.replace(postgres_dsn.split("@")[1].split("/")[0], f"127.0.0.1:{proxy.port}")
    cut = when_queued(world, proxy.cut)

    with pytest.raises(ExportStopped) as caught:
        world.run(state=StateBackend("postgres", through_proxy))
    cut.join()
    unrecorded = unrecorded_batches(postgres_dsn)
    world.run(state=StateBackend("postgres", postgres_dsn))

    message = str(caught.value)
    assert LOST in message and f"127.0.0.1:{proxy.port}" in message and len(message.splitlines()) == 1
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert_resumed(world, postgres_dsn, unrecorded)
