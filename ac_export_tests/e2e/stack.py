"""The real Dagster webserver and daemon as subprocesses on 127.0.0.1, and GraphQL helpers to drive them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
from dagster_graphql import DagsterGraphQLClient

from ac_export.settings import PROJECT_ROOT

T = TypeVar("T")
LOCATION = "ac_export.definitions"
REPOSITORY = "__repository__"
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}

RUNS_QUERY = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results { runId jobName status tags { key value } } }
    ... on PythonError { message }
  }
}
"""


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float, interval_s: float = 1.0) -> T:
    """Poll until `probe` returns something truthy; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


class DagsterStack:
    """`dagster-webserver` and `dagster-daemon run` over the project's workspace, in their own environment."""

    def __init__(self, root: Path, env: Mapping[str, str]) -> None:
        self.root = root
        self.env = dict(env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._http = httpx.Client(base_url=self.url, timeout=60)
        self._processes: list[subprocess.Popen[bytes]] = []

    def client(self) -> DagsterGraphQLClient:
        """Dagster's Python GraphQL client for this webserver (it connects when built)."""
        return DagsterGraphQLClient("127.0.0.1", port_number=self.port, timeout=60)

    def start(self) -> None:
        """Start both processes, each in its own session so that stopping them takes their children too."""
        bin_dir = Path(sys.executable).parent
        workspace = str(PROJECT_ROOT / "workspace.yaml")
        webserver = [
            str(bin_dir / "dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-w",
            workspace,
        ]
        self._spawn("webserver", webserver)
        self._spawn("daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", workspace])

    def _spawn(self, name: str, command: list[str]) -> None:
        log = (self.root / f"{name}.log").open("wb")
        self._processes.append(
            subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        log.close()

    def wait_until_loaded(self, timeout_s: float) -> None:
        """Wait for the webserver to answer and the code location to load without errors."""
        query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
        query += "locationOrLoadError { __typename ... on PythonError { message } } } } } }"

        def loaded() -> bool:
            self._check_alive()
            try:
                entries = self.graphql(query)["workspaceOrError"]["locationEntries"]
            except httpx.HTTPError:
                return False
            errors = [e for e in entries if e["locationOrLoadError"]["__typename"] == "PythonError"]
            if errors:
                raise AssertionError(f"code location failed to load: {errors[0]['locationOrLoadError']}")
            return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries)

        wait_for("the Dagster webserver and code location", loaded, timeout_s)

    def _check_alive(self) -> None:
        for process in self._processes:
            if process.poll() is not None:
                raise AssertionError(f"{process.args[0]} exited early; logs: {self.logs()[-3000:]}")

    def logs(self) -> str:
        """The webserver and daemon output so far."""
        return "".join(path.read_text(errors="replace") for path in sorted(self.root.glob("*.log")))

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run a GraphQL query against the webserver; GraphQL errors fail loudly."""
        response = self._http.post("/graphql", json={"query": query, "variables": dict(variables or {})})
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def runs(self, tags: Mapping[str, str] | None = None, job: str | None = None) -> list[dict[str, Any]]:
        """Runs with all these tags (and of this job), newest first, each with its tags as a dict."""
        run_filter: dict[str, Any] = {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}
        if job:
            run_filter["pipelineName"] = job
        result = self.graphql(RUNS_QUERY, {"filter": run_filter})["runsOrError"]
        if result["__typename"] != "Runs":
            raise AssertionError(f"runs query failed: {result}")
        return [{**run, "tags": {t["key"]: t["value"] for t in run["tags"]}} for run in result["results"]]

    def wait_for_runs(
        self, count: int, timeout_s: float, tags: Mapping[str, str] | None = None, job: str | None = None
    ) -> list[dict[str, Any]]:
        """Wait until `count` runs match and all of them have finished; returns them."""

        def finished() -> list[dict[str, Any]] | None:
            self._check_alive()
            runs = self.runs(tags, job)
            done = len(runs) >= count and all(run["status"] in FINISHED for run in runs)
            return runs if done else None

        return wait_for(f"{count} finished runs with tags {tags} of job {job}", finished, timeout_s)

    def stop(self) -> None:
        """SIGTERM each process group (webserver, daemon, their code servers and runs); SIGKILL stragglers."""
        for process in self._processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for process in self._processes:
            # Run workers and code servers may outlive their parent briefly; the group goes with them.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self._http.close()


@contextlib.contextmanager
def running_stack(root: Path, env: Mapping[str, str], timeout_s: float = 120) -> Iterator[DagsterStack]:
    """A started, loaded stack that is stopped (with everything it launched) when the block ends."""
    stack = DagsterStack(root, env)
    stack.start()
    try:
        stack.wait_until_loaded(timeout_s)
        yield stack
    finally:
        stack.stop()
