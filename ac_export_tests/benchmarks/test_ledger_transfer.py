"""Smoke test of the ledger transfer scenarios: an unchanged run moves no ledger row, a change only itself."""

from __future__ import annotations

import json
import threading

import pytest

from benchmarks.postgres import unavailable_reason
from benchmarks.run_options import RunOptions
from benchmarks.runner import RESULTS_FILE, run_benchmarks
from benchmarks.wire import CountingRelay

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))

TINY = 300
# export_data's change set at 300 members: 2 change a field (every 200th), 1 leaves, 1 joins.
CHANGES = 4


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Both scenarios once at a tiny size, tasks in this process."""
    root = tmp_path_factory.mktemp("bench")
    options = RunOptions(root=root, isolate=False)
    names = ["ledger_transfer", "ledger_transfer_engine"]
    run_benchmarks(names, repeat=1, size=TINY, options=options, command="python -m benchmarks (test)")
    return {name: record["medians"] for name, record in json.loads((root / RESULTS_FILE).read_text()).items()}


@pytest.mark.parametrize("name", ["ledger_transfer", "ledger_transfer_engine"])
def test_an_unchanged_run_moves_no_ledger_row_and_a_change_moves_only_itself(
    results: dict[str, dict], name: str
) -> None:
    figures = results[name]
    assert figures["cold.ledger_rows_in"] > 0 and figures["cold.ledger_rows_out"] == 0
    assert figures["unchanged.ledger_rows_in"] == figures["unchanged.ledger_rows_out"] == 0
    assert figures["changed.ledger_rows_in"] == 0
    # The changed run's own writes come back to its cache once, on the next open.
    assert figures["changed.ledger_rows_out"] == figures["after_change.ledger_rows_in"] > 0
    assert figures["unchanged.wire_bytes_from_server"] < figures["cold.wire_bytes_from_server"]
    assert figures["fingerprint_seconds"] > 0 and figures["bare_open_seconds"] > 0


def test_the_store_driven_runs_move_exactly_the_members_and_the_changes(results: dict[str, dict]) -> None:
    figures = results["ledger_transfer"]
    assert figures["cold.ledger_rows_in"] == TINY
    assert figures["changed.ledger_rows_out"] == CHANGES
    assert figures["ledger_rows"] == TINY + 1  # the joiner; the leaver stays, as removed


def test_the_relay_counts_every_byte_each_way() -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as server:
        echoed: list[bytes] = []

        def echo() -> None:
            peer, _ = server.accept()
            with peer:
                data = peer.recv(100)
                echoed.append(data)
                peer.sendall(data * 3)

        thread = threading.Thread(target=echo)
        thread.start()
        relay = CountingRelay(int(server.getsockname()[1]))
        with socket.create_connection(("127.0.0.1", relay.port)) as client:
            client.sendall(b"hello")
            answer = b""
            while len(answer) < 15:
                answer += client.recv(100)
        thread.join()
        relay.close()
    assert (answer, echoed) == (b"hello" * 3, [b"hello"])
    assert (relay.bytes().to_server, relay.bytes().from_server) == (5, 15)
