"""Secrets: a distinctive API key, used by the whole pipeline, appears nowhere it could leak.

Not in stdout or stderr, the Dagster event log or run storage, materialization metadata, error
messages, the warehouse, or any file written. TLS verification is always on, and the emulator
binds the loopback interface unless told otherwise.
"""

# No `from __future__ import annotations`: Dagster reads annotations at runtime.

import base64
import http.server
import itertools
import json
import re
import secrets
import ssl
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote, unquote_plus

import dagster as dg
import psutil
import pytest
import rich.console

import ac_export
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError, AuthenticationError
from ac_export.definitions import build_definitions
from ac_export.defs.activecampaign.resources import ActiveCampaignResource
from ac_export.demo.run import DemoOutput, run_pipeline
from ac_export.emulator.commands import API_KEYS_ENV
from ac_export.emulator.process import EmulatorProcess
from ac_export.project import load_project_config
from ac_export_tests.support.emulator import EmulatorHandle
from ac_export_tests.support.project import HOST_ENV, KEY_ENV, SEGMENT, TinyProject, write_project

TLS_FILE = Path(__file__).parent / "support" / "tls" / "localhost-self-signed.pem"
EXPORT_KEY = dg.AssetKey("activecampaign_list")


@pytest.fixture
def secret() -> str:
    """A key no other text could contain by chance."""
    return f"ac-secret-{secrets.token_hex(20)}"


@pytest.fixture
def account(secret: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorHandle]:
    """An emulated account whose key reaches it through the environment, never a command line."""
    monkeypatch.setenv(API_KEYS_ENV, secret)
    handle = EmulatorHandle(EmulatorProcess(["--time-scale", "20"]), secret)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def project(
    account: EmulatorHandle, secret: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> TinyProject:
    """A tiny project whose every folder (config, warehouse, pacing, DAGSTER_HOME) is under tmp_path."""
    project = write_project(tmp_path / "data", 300, account.create_list(SEGMENT))
    environment = {
        "DAGSTER_HOME": tmp_path / "dagster_home",
        "AC_EXPORT_CONFIG_DIR": project.config_dir,
        "AC_EXPORT_WAREHOUSE": project.warehouse_dir,
        "AC_EXPORT_PACING_DIR": tmp_path / "pacing",
        "TMPDIR": tmp_path / "tmp",
    }
    for name, folder in environment.items():
        Path(folder).mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(folder))
    monkeypatch.setenv(HOST_ENV, account.base_url)
    monkeypatch.setenv(KEY_ENV, secret + "\n")  # pasted with the line break a secrets file ends with
    return project


def leaks(secret: str, texts: dict[str, str]) -> list[str]:
    """Where the key (or its random part alone) shows up."""
    random_part = secret.removeprefix("ac-secret-")
    return [where for where, text in texts.items() if secret in text or random_part in text]


def files_under(folder: Path) -> dict[str, str]:
    """Every file under a folder, read as text whatever its encoding (SQLite, Parquet, DuckDB, logs)."""
    return {str(path): path.read_bytes().decode("latin-1") for path in folder.rglob("*") if path.is_file()}


def dagster_records(instance: dg.DagsterInstance) -> dict[str, str]:
    """Every run (with its config and tags) and every event of every run, serialized."""
    texts: dict[str, str] = {}
    for run in instance.get_runs():
        texts[f"run {run.run_id}"] = dg.serialize_value(run)
        for number, event in enumerate(instance.all_logs(run.run_id)):
            texts[f"run {run.run_id} event {number}"] = dg.serialize_value(event)
    return texts


def run_cli(*arguments: str) -> str:
    """Run `ac-export ARGUMENTS` as a user would, with this environment; its stdout and stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "ac_export.cli", *arguments], capture_output=True, text=True, timeout=120
    )
    return done.stdout + done.stderr


def test_the_key_appears_nowhere_after_the_whole_pipeline_and_a_refused_run(
    project: TinyProject,
    account: EmulatorHandle,
    secret: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    defs = build_definitions(project.config_dir)
    texts: dict[str, str] = {}
    with dg.DagsterInstance.get() as instance:
        # Verbose: Dagster's events reach the captured terminal as well as the log file, both checked.
        output = DemoOutput(rich.console.Console(), tmp_path / "logs" / "demo.log", verbose=True)
        output.log_file.parent.mkdir()
        assert run_pipeline(defs, instance, load_project_config(project.config_dir), output) == []
        texts["check-connection"] = run_cli("check-connection", "test")
        account.revoke(secret)
        refused = dg.materialize(
            list(defs.assets or []),
            selection=[EXPORT_KEY],
            partition_key=SEGMENT,
            instance=instance,
            resources=dict(defs.resources or {}),
            raise_on_error=False,
        )
        texts["revoked export"] = run_cli("export", SEGMENT)
        texts.update(dagster_records(instance))
        metadata = instance.fetch_materializations(EXPORT_KEY, limit=10).records[0].asset_materialization
    captured = capfd.readouterr()
    texts.update({"stdout": captured.out, "stderr": captured.err, "emulator log": account.process.log_text()})
    texts.update(files_under(tmp_path))

    assert metadata is not None and metadata.metadata["added"].value == 300
    failures = [event.step_failure_data for event in refused.all_events if event.is_step_failure]
    assert len(failures) == 1 and "refused the API key (HTTP 403)" in str(failures[0].error)
    assert "refused the API key" in texts["revoked export"] and "1 list(s)" in texts["check-connection"]
    assert any(name.endswith(".db") for name in texts)  # the instance's storage was read, not skipped
    assert any("ledger" in name for name in texts) and any(name.endswith(".parquet") for name in texts)
    assert leaks(secret, texts) == []


def test_auth_failures_never_carry_the_key(account: EmulatorHandle, secret: str) -> None:
    wrong = secret[:-4] + "0000"
    failures: list[BaseException] = []
    for key in (wrong, secret + " extra", f"{secret}é", f"{secret}\r\nX-Injected: 1"):
        with pytest.raises(AuthenticationError) as refused:
            ActiveCampaignClient(account.base_url, key, max_retries=0).me()
        failures.append(refused.value)
    account.revoke(secret)
    resource = ActiveCampaignResource(api_host=account.base_url, api_key=secret, pace=False)
    with pytest.raises(AuthenticationError) as revoked, resource.get_client() as client:
        client.get_list(1)
    failures.append(revoked.value)

    for failure in failures:
        text = "".join(traceback.format_exception(failure)) + repr(failure)
        assert leaks(secret, {"error": text}) == [] and leaks(wrong, {"error": text}) == []


@pytest.fixture
def self_signed_https() -> Iterator[tuple[int, list[str]]]:
    """An HTTPS server on localhost with a certificate no authority signed; records requests it got."""
    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        """Answers 200 to any GET that gets through the handshake, and remembers it."""

        def do_GET(self) -> None:
            """Record the request."""
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            """Stay quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS_FILE)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()


def test_tls_verification_is_always_on(self_signed_https: tuple[int, list[str]], secret: str) -> None:
    port, requests = self_signed_https
    resource = ActiveCampaignResource(api_host=f"localhost:{port}", api_key=secret, pace=False)
    started = time.monotonic()

    with pytest.raises(
        ActiveCampaignError, match=r"TLS certificate of localhost could not be verified"
    ) as failed:
        resource.get_client().me()

    assert requests == []  # the key was never sent: the handshake failed first
    assert time.monotonic() - started < 5  # refused at once, not retried for minutes
    assert secret not in str(failed.value)
    sources = "\n".join(path.read_text() for path in Path(ac_export.__file__).parent.rglob("*.py"))
    assert not re.search(r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False", sources)


def test_the_emulator_binds_loopback_by_default() -> None:
    process = EmulatorProcess(["--api-key", "k"])
    try:
        listening = [
            conn.laddr.ip
            for conn in psutil.Process(process.process.pid).net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN
        ]
    finally:
        process.stop()

    assert process.base_url.startswith("http://127.0.0.1:")
    assert listening == ["127.0.0.1"]


# -- a server that echoes the request's headers in its error pages ------------------------------------


def echo_page(headers: dict[str, str]) -> str:
    """An error page quoting the request's headers in every form debug proxies and gateways use."""
    dump = "".join(f"{name}: {value}\n" for name, value in headers.items())
    key = next((value for name, value in headers.items() if name.lower() == "api-token"), "")
    wrapped = "\n".join(key[i : i + 7] for i in range(0, len(key), 7))
    # The short forms first: messages keep only the start of a page.
    return (
        f"wrapped:\n{wrapped}\nalone={base64.b64encode(key.encode()).decode()}\n"
        f"encoded={quote(key, safe='')}\nurlsafe={base64.urlsafe_b64encode(b'x' + key.encode()).decode()}\n"
        f"<pre>{dump}</pre>\nheaders={headers!r}\nbasic={base64.b64encode(dump.encode()).decode()}\n"
    )


@pytest.fixture
def echo_server() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering every request with a 4xx or 5xx page that echoes its headers."""
    user_calls = itertools.count()

    class Echo(http.server.BaseHTTPRequestHandler):
        """404 (JSON) for a list, 500 then 400 for the user, 400 (text) for everything else, all echoing."""

        def _answer(self) -> None:
            headers = dict(self.headers.items())
            if "/lists/" in self.path:
                status, body = 404, json.dumps({"message": echo_page(headers)})
            elif "/users/me" in self.path and next(user_calls) % 2 == 0:
                # Every other time, so a client that retries 5xx gets the 400 page next.
                status, body = 500, echo_page(headers)
            else:
                status, body = 400, echo_page(headers)
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            """Stay quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def every_form_leaks(secret: str, texts: dict[str, str]) -> list[str]:
    """Where the key shows up as sent, URL-encoded, split by whitespace, or inside any base64 text."""
    random_part = secret.removeprefix("ac-secret-")
    found = []
    for where, text in texts.items():
        decoded = [text, unquote(text), unquote_plus(text), re.sub(r"\s+", "", text)]
        decoded += [_b64_decode(run) for run in re.findall(r"[A-Za-z0-9+/_-]{16,}={0,2}", text)]
        if any(secret in d or random_part in d for d in decoded):
            found.append(where)
    return found


def _b64_decode(run: str) -> str:
    """A base64 run decoded at each of its four alignments, joined (bytes as Latin-1)."""
    texts = []
    for start in range(4):
        part = run[start:].rstrip("=").replace("-", "+").replace("_", "/")
        part = part[: len(part) - len(part) % 4]
        try:
            texts.append(base64.b64decode(part).decode("latin-1"))
        except ValueError:
            continue
    return "\n".join(texts)


def test_an_echoing_server_never_gets_the_key_into_client_errors(echo_server: str, secret: str) -> None:
    failures: list[BaseException] = []
    with ActiveCampaignClient(echo_server, secret, max_retries=0) as client:
        for call in (
            client.me,
            lambda: client.get_list(3),
            client.lists,
            lambda: client.bulk_import(b"{}", 2),
        ):
            with pytest.raises(ActiveCampaignError) as failed:
                call()
            failures.append(failed.value)
    texts = {repr(f): "".join(traceback.format_exception(f)) for f in failures}

    assert "HTTP 400" in texts[repr(failures[2])] and "[redacted]" in texts[repr(failures[2])]
    assert "Api-Token: [redacted]" in str(failures[2])  # the echo is still recognisable, without the key
    assert every_form_leaks(secret, texts) == []
    assert every_form_leaks(secret, {"page": echo_page({"Api-Token": secret})}) == ["page"]  # the scan sees


def test_an_echoing_server_never_gets_the_key_into_the_cli_or_dagster(
    echo_server: str,
    secret: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    project = write_project(tmp_path / "data", 20, 3)
    for name, folder in {
        "DAGSTER_HOME": tmp_path / "dagster_home",
        "AC_EXPORT_CONFIG_DIR": project.config_dir,
        "AC_EXPORT_WAREHOUSE": project.warehouse_dir,
        "AC_EXPORT_PACING_DIR": tmp_path / "pacing",
    }.items():
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(folder))
    monkeypatch.setenv(HOST_ENV, echo_server)
    monkeypatch.setenv(KEY_ENV, secret)
    texts = {"check-connection": run_cli("check-connection", "test"), "export": run_cli("export", SEGMENT)}
    defs = build_definitions(project.config_dir)
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions("segments", [SEGMENT])
        result = dg.materialize(
            list(defs.assets or []),
            selection=[EXPORT_KEY],
            partition_key=SEGMENT,
            instance=instance,
            resources=dict(defs.resources or {}),
            raise_on_error=False,
        )
        texts.update(dagster_records(instance))
    captured = capfd.readouterr()
    texts.update({"stdout": captured.out, "stderr": captured.err, **files_under(tmp_path)})

    failure = next(event.step_failure_data for event in result.all_events if event.is_step_failure)
    # The export's first requests are the list's counts (a 404 page is not shown); check-connection's
    # is /users/me, whose echoed 400 page is shown with the key redacted.
    assert "testers_to_activecampaign" in str(failure.error) and "Traceback" not in texts["export"]
    assert "[redacted]" in texts["check-connection"]
    assert "error: " in texts["check-connection"] and "error: " in texts["export"]
    assert any(name.endswith(".db") for name in texts)
    assert any("compute_logs" in name for name in texts)  # the captured step output was scanned
    assert every_form_leaks(secret, texts) == []
