"""A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` in a temp folder, `pg_ctl` on a free
loopback port.

Never a shared server: each test session (or benchmark) makes its own cluster, and each test its own
database.
PostgreSQL refuses to run as root, so as root the cluster runs as `nobody` (through `runuser`),
in a folder that user owns; CI runs as root. Without the binaries, or as root without `runuser`,
the tests that need a server are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("AC_EXPORT_PG_BIN", "/usr/lib/postgresql/15/bin"))
RUN_AS = "nobody"


def unavailable_reason() -> str | None:
    """Why a cluster cannot be started here, or None when it can."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL binaries not found in {PG_BIN} (apt-get install postgresql; .ci/run does)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without runuser: PostgreSQL refuses to run as root"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running cluster on 127.0.0.1 (trust authentication, user `postgres`)."""

    port: int
    data_dir: Path

    def dsn(self, dbname: str = "postgres") -> str:
        """A DSN for one database of this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def restart(self) -> None:
        """Restart the server as an operator would (`pg_ctl restart -m fast`): every session is cut."""
        ctl = [
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.data_dir.parent / "server.log"),
        ]
        subprocess.run(
            _as_cluster_user([*ctl, "-w", "-m", "fast", "restart"]),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def create_database(self) -> str:
        """A new, empty database; returns its DSN."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.dsn(name)


def _as_cluster_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", RUN_AS, "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a fresh cluster, yield it, then stop it and remove its files."""
    # Not under pytest's tmp_path: as root that folder is private to root, and the cluster runs as nobody.
    folder = Path(tempfile.mkdtemp(prefix="ac_export-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, RUN_AS)
    folder.chmod(0o755)
    port = _free_port()
    initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    subprocess.run([*_as_cluster_user(initdb), "--no-locale", "--no-sync"], check=True, capture_output=True)
    # Durability is not under test here (crashes are of clients, not of the server): skip the fsyncs.
    options = f"-h 127.0.0.1 -p {port} -k '' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    ctl = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-o", options]
    try:
        subprocess.run(_as_cluster_user([*ctl, "start"]), check=True, capture_output=True, timeout=60)
        yield PostgresServer(port, data)
    finally:
        subprocess.run(
            _as_cluster_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)
