"""`--state FILE`: the account survives restarts and crashes; the file is replaced atomically."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from ac_export_tests.emulator.helpers import bulk, completed, imported, new_field, new_list
from ac_export_tests.support.emulator import running_emulator

FLAGS = ("--no-rate-limit", "--processing-delay", "0")


def test_account_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "account.json"
    with running_emulator("--state", str(state), *FLAGS) as handle, handle.api() as api:
        list_id = new_list(api, "News")
        imported(api, [{"email": "a@example.com", "tags": ["vip"], "subscribe": [{"listid": list_id}]}])
        handle.optout("a@example.com", list_id)
        handle.exclude("x@example.com")
    with running_emulator("--state", str(state), *FLAGS) as handle, handle.api() as api:
        assert handle.list_members(list_id, status=2) == {"a@example.com"}
        info = imported(
            api, [{"email": "a@example.com", "subscribe": [{"listid": list_id}]}, {"email": "x@example.com"}]
        )
        assert info["failure"] == ["a@example.com", "x@example.com"]
        assert new_list(api, "Second") == list_id + 1
        assert api.get("/tags").json()["tags"][0]["tag"] == "vip"
    assert [p.name for p in tmp_path.iterdir()] == ["account.json"]


def test_queued_batch_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "account.json"
    slow_batches = ("--no-rate-limit", "--processing-delay", "1")
    with running_emulator("--state", str(state), *slow_batches) as handle, handle.api() as api:
        batch_id = bulk(api, [{"email": "a@example.com"}]).json()["batchId"]
    with running_emulator("--state", str(state), *FLAGS) as handle, handle.api() as api:
        assert completed(api, batch_id)["success"] == ["1"]


def test_state_is_saved_while_running_so_a_crash_loses_at_most_a_second(tmp_path: Path) -> None:
    state = tmp_path / "account.json"
    with running_emulator("--state", str(state), *FLAGS) as handle:
        with handle.api() as api:
            imported(api, [{"email": "a@example.com"}])
        time.sleep(1.5)
        handle.kill()
    with running_emulator("--state", str(state), *FLAGS) as handle:
        assert handle.stats()["contacts"] == 1


def test_reset_empties_the_saved_state_too(tmp_path: Path) -> None:
    state = tmp_path / "account.json"
    with running_emulator("--state", str(state), *FLAGS) as handle, handle.api() as api:
        imported(api, [{"email": "a@example.com"}])
        handle.reset()
    with running_emulator("--state", str(state), *FLAGS) as handle:
        assert handle.stats()["contacts"] == 0


def test_a_corrupt_state_file_is_a_user_error(tmp_path: Path) -> None:
    state = tmp_path / "account.json"
    state.write_text("{not json")
    command = [
        sys.executable,
        "-m",
        "ac_export.emulator",
        "--api-key",
        "k",
        "--port",
        "0",
        "--state",
        str(state),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert str(state) in result.stderr and "delete it to start afresh" in result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_c_stops_cleanly_and_saves(tmp_path: Path) -> None:
    state = tmp_path / "account.json"
    with running_emulator("--state", str(state), *FLAGS) as handle:
        with handle.api() as api:
            new_list(api, "News")
        handle.process.process.send_signal(signal.SIGINT)
        assert handle.process.process.wait(10) == 0
        assert "Traceback" not in handle.process.log_text()
    with running_emulator("--state", str(state), *FLAGS) as handle:
        assert handle.stats()["lists"] == 1


def test_a_state_file_of_another_shape_is_a_user_error(tmp_path: Path) -> None:
    state = tmp_path / "account.json"
    state.write_text('{"version": 1, "account": {"contacts": [{"id": 1}]}}')
    command = [
        sys.executable,
        "-m",
        "ac_export.emulator",
        "--api-key",
        "k",
        "--port",
        "0",
        "--state",
        str(state),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "not a valid emulator state file" in result.stderr and "Traceback" not in result.stderr


def test_field_relations_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "account.json"
    with running_emulator("--state", str(state), *FLAGS, readings=()) as handle, handle.api() as api:
        field_id = new_field(api, "TIER", relid=new_list(api, "News"))
    with running_emulator("--state", str(state), *FLAGS, readings=()) as handle, handle.api() as api:
        rels = api.get("/fieldRels").json()["fieldRels"]
        assert [(rel["field"], rel["relid"]) for rel in rels] == [(str(field_id), "1")]
        row = {
            "email": "a@example.com",
            "fields": [{"id": field_id, "value": "gold"}],
            "subscribe": [{"listid": 1}],
        }
        contact_id = imported(api, [row])["success"][0]
        values = api.get(f"/contacts/{contact_id}/fieldValues").json()["fieldValues"]
        assert [v["value"] for v in values] == ["gold"]
        assert api.post("/fieldRels", json={"fieldRel": {"field": field_id, "relid": 1}}).status_code == 422
