"""Failure alerts without Dagster: the text, the JSON body, masking secrets, and a real webhook POST."""

from __future__ import annotations

import base64
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

from ac_export.automation.alerts import (
    MAX_MESSAGE_CHARS,
    FailureAlert,
    StepFailure,
    post_alert,
    redact,
    secret_values,
)
from ac_export_tests.automation.webhook import webhook_receiver

EXPORT_FAILURE = StepFailure(
    step="activecampaign_list",
    message="export vip_to_ac (segment vip → list 3): list 3 does not exist in the account",
    export="vip_to_ac",
    list_id=3,
)


def _alert(*failures: StepFailure) -> FailureAlert:
    return FailureAlert(
        run_id="r-1",
        job="export_segment",
        segment="vip",
        reason="Execution of run for \"export_segment\" failed. Steps failed: ['activecampaign_list'].",
        failures=list(failures),
        segment_exports=["vip_to_ac"],
    )


def test_text_names_run_segment_step_export_and_cause() -> None:
    assert _alert(EXPORT_FAILURE).text() == (
        "ac_export run r-1 (export_segment) for segment vip failed: step activecampaign_list "
        "(export vip_to_ac): export vip_to_ac (segment vip → list 3): list 3 does not exist in the account"
    )


def test_text_falls_back_on_the_run_reason_without_step_failures() -> None:
    alert = FailureAlert(run_id="r-2", job="refresh", segment=None, reason="run worker was killed")
    assert alert.text() == "ac_export run r-2 (refresh) failed: run worker was killed"


def test_payload_is_small_flat_json() -> None:
    payload = _alert(EXPORT_FAILURE).payload()
    assert payload == {
        "source": "ac_export",
        "event": "run_failure",
        "run_id": "r-1",
        "job": "export_segment",
        "segment": "vip",
        "segment_exports": ["vip_to_ac"],
        "reason": "Execution of run for \"export_segment\" failed. Steps failed: ['activecampaign_list'].",
        "failures": [
            {
                "step": "activecampaign_list",
                "message": EXPORT_FAILURE.message,
                "export": "vip_to_ac",
                "list_id": 3,
            }
        ],
        "text": _alert(EXPORT_FAILURE).text(),
    }


def test_redact_masks_every_secret_and_caps_the_length() -> None:
    key = "0123456789abcdef0123456789abcdef"
    text = f"401 for key {key} at https://hooks.example/T000/B000/XXXXXXXX (key {key})"
    assert (
        redact(text, [key, "https://hooks.example/T000/B000/XXXXXXXX"]) == "401 for key *** at *** (key ***)"
    )
    assert redact("a short word stays", ["short"]) == "a short word stays"
    long = redact("x" * 5000, [])
    assert len(long) == MAX_MESSAGE_CHARS and long.endswith("…")


def test_redact_masks_email_addresses_as_the_metadata_does() -> None:
    text = (
        "export vip: ActiveCampaign refused Jo.Smith+vip@Example.co.uk and al@example.com; jo***@example.com"
    )
    assert redact(text, []) == (
        "export vip: ActiveCampaign refused Jo***@Example.co.uk and al***@example.com; jo***@example.com"
    )


def test_redact_masks_the_encoded_and_echoed_forms_of_a_secret_too() -> None:
    key = "ac/secret+key=0123456789abcdef"
    encoded = f"{base64.b64encode(key.encode()).decode()} {quote(key, safe='')}"
    echoed = f"502 from gateway: {encoded} Api-Token: other-key-abc"

    assert redact(echoed, [key]) == "502 from gateway: *** *** Api-Token: ***"


def test_secret_values_reads_only_the_variables_that_are_set() -> None:
    environ = {"AC_KEY": "k" * 32, "EMPTY": ""}
    assert secret_values(["AC_KEY", "EMPTY", "UNSET"], environ) == ["k" * 32]


def test_post_alert_delivers_the_json_body() -> None:
    with webhook_receiver() as receiver:
        assert post_alert(receiver.url, _alert(EXPORT_FAILURE).payload(), timeout_s=5) is None
    assert receiver.bodies == [_alert(EXPORT_FAILURE).payload()]


def test_post_alert_reports_an_error_status_without_the_url() -> None:
    with webhook_receiver() as receiver:
        receiver.status = 500
        problem = post_alert(receiver.url, {"text": "x"}, timeout_s=5)
    assert problem == "the webhook answered HTTP 500"


def test_post_alert_reports_an_unreachable_or_invalid_webhook() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert (
        post_alert(f"http://127.0.0.1:{port}/hook", {}, 2)
        == "the webhook could not be reached (ConnectError)"
    )
    assert post_alert("http://[::1", {}, 2) == "the webhook URL is not a valid http(s) URL"
    assert (
        post_alert("ftp://127.0.0.1/hook", {}, 2) == "the webhook could not be reached (UnsupportedProtocol)"
    )


def test_post_alert_gives_up_after_its_timeout() -> None:
    release = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            release.wait(10)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = time.monotonic()
    try:
        problem = post_alert(f"http://127.0.0.1:{server.server_address[1]}/", {}, timeout_s=0.5)
    finally:
        release.set()
        server.shutdown()
        server.server_close()
    assert problem == "the webhook did not answer within 0.5 s"
    assert time.monotonic() - started < 5
