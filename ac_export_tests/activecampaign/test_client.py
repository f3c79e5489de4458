"""The client against the emulator over a real socket, and against ActiveCampaign's official examples."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import AuthenticationError, BulkValidationError, NotFoundError
from ac_export.activecampaign.api.limits import Limits
from ac_export.state.pacer import AccountPacer
from ac_export_tests.support.emulator import EmulatorHandle

# ActiveCampaign's official examples (shared/reference), copied beside the emulator's tests.
EXAMPLES = Path(__file__).resolve().parents[1] / "emulator" / "fixtures" / "activecampaign-examples.json"


def client_for(emulator: EmulatorHandle, **kwargs: Any) -> ActiveCampaignClient:
    return ActiveCampaignClient(emulator.base_url, emulator.api_key, backoff_base_s=0.01, **kwargs)


def bulk_body(emails: list[str], list_id: int) -> bytes:
    contacts = [{"email": email, "subscribe": [{"listid": list_id}]} for email in emails]
    return json.dumps({"contacts": contacts}).encode()


def test_wrong_key_is_an_authentication_error_without_the_key(emulator: EmulatorHandle) -> None:
    with (
        ActiveCampaignClient(emulator.base_url, "wrong-key-123") as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.me()
    assert "403" in str(caught.value) and "wrong-key-123" not in str(caught.value)


def test_missing_list_is_not_found(emulator: EmulatorHandle) -> None:
    with (
        client_for(emulator) as client,
        pytest.raises(NotFoundError, match="No Result found for _List with id 7"),
    ):
        client.get_list(7)


def test_bulk_import_is_queued_then_confirmed(emulator: EmulatorHandle) -> None:
    list_id = emulator.create_list("bulk")
    with client_for(emulator) as client:
        queued = client.bulk_import(bulk_body(["a@example.com", "b@example.com"], list_id), 2)
        status = client.import_status(queued.batch_id)
        while not status.done:
            time.sleep(0.05)
            status = client.import_status(queued.batch_id)
    assert queued.queued_contacts == 2
    assert status.failure == ()
    assert emulator.list_members(list_id) == {"a@example.com", "b@example.com"}


def test_bulk_validation_failure_names_the_contact(emulator: EmulatorHandle) -> None:
    list_id = emulator.create_list("bulk")
    with client_for(emulator) as client, pytest.raises(BulkValidationError) as caught:
        client.bulk_import(bulk_body(["good@example.com", "bad@", "x@example.com"], list_id), 3)
    assert 1 in caught.value.suspects(3)  # 0-based position of "bad@" is among the suspects
    assert emulator.list_members(list_id) == set()  # all or nothing


def test_retry_after_is_honoured_on_429(emulator: EmulatorHandle) -> None:
    emulator.configure(time_scale=10)  # the 1 s window lasts 0.1 s
    with client_for(emulator) as client:  # no pacing: the server's 429s do the work
        for _ in range(30):
            client.me()
        stats = client.stats
    assert stats.throttled > 0
    assert stats.retries >= stats.throttled
    assert stats.by_status.get(200) == 30


def test_bulk_rate_limit_400_is_recognised_as_a_rate_limit(emulator: EmulatorHandle) -> None:
    emulator.configure(time_scale=60)  # 100 bulk imports a minute become 100 a second
    list_id = emulator.create_list("bulk")
    with client_for(emulator, max_retries=20) as client:
        for n in range(105):
            client.bulk_import(bulk_body([f"p{n}@example.com", f"q{n}@example.com"], list_id), 2)
        assert client.stats.throttled >= 1


def test_pacing_keeps_clear_of_the_limits(emulator: EmulatorHandle, tmp_path: Path) -> None:
    emulator.configure(time_scale=10)
    pacer = AccountPacer(emulator.host, Limits(time_scale=10), tmp_path)
    with client_for(emulator, pacer=pacer) as client:
        started = time.monotonic()
        for _ in range(30):
            client.me()
        elapsed = time.monotonic() - started
    assert client.stats.throttled == 0
    assert elapsed >= 0.5  # 30 requests at 50 a second (5 a second, scaled by 10)


def test_5xx_and_dropped_connections_are_retried(emulator: EmulatorHandle) -> None:
    emulator.configure(fault_rate=0.5, fault_kinds="500,503,drop")
    with client_for(emulator, max_retries=30) as client:
        for _ in range(20):
            client.me()
        assert client.stats.retries > 0


def _examples() -> dict[str, dict[str, Any]]:
    return {example["name"]: example for example in json.loads(EXAMPLES.read_text())["examples"]}


def _fixture_client(status: int, body: object, headers: dict[str, str] | None = None) -> ActiveCampaignClient:
    """A client whose transport answers with one of ActiveCampaign's official example responses."""
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body, headers=headers))
    # The official answers stand in for the server.
    return ActiveCampaignClient("https://acme.api-us1.com", "key", max_retries=0, transport=transport)


@pytest.mark.parametrize(
    "name", ["bulk import queued", "bulk import queued, lower-case success (excluded emails example)"]
)
def test_both_spellings_of_success_are_read(name: str) -> None:
    response = _examples()[name]["response"]
    queued = _fixture_client(response["status"], response["body"]).bulk_import(b"{}", 2)
    assert queued.batch_id == response["body"]["batchId"]


def test_official_import_status_examples_parse() -> None:
    examples = _examples()
    done = _fixture_client(200, examples["bulk import status"]["response"]["body"]).import_status("x")
    early = _fixture_client(
        200, examples["bulk import status called too early"]["response"]["body"]
    ).import_status("x")
    assert done.done and done.failure == ("invalid.email@invaliddomain", "invalid'character@example.com")
    assert not early.done and early.status is None


def test_official_validation_failure_example_parses() -> None:
    body = _examples()["bulk import validation failure (nothing queued)"]["response"]["body"]
    with pytest.raises(BulkValidationError) as caught:
        _fixture_client(400, body).bulk_import(b"{}", 250)
    reason = "Field 'email' incorrect format"
    assert caught.value.suspects(250) == {230: reason, 229: reason}  # 0- or 1-based: both suspected


def test_official_fields_example_resolves_a_perstag() -> None:
    body = _examples()["fields by personalization tag"]["response"]["body"]
    field = _fixture_client(200, body).field_by_perstag("CUSTOMER_GROUP")
    assert field is not None and field.id == 2
