"""The merge of an older spelling's ledger, row by row, on both backends: who wins, and in-flight batches.

A contact our older ledger subscribed that the newer one learned as pre-existing stays ours; one we
removed that the newer one saw unsubscribed stays removed (so it may come back); a later change of
side (an opt-out after our subscription) wins. In-flight batches of both are kept apart and merged once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from ac_export.state import ledger
from ac_export.state.ledger import ledger_path
from ac_export.state.postgres.ledger import PostgresLedger
from ac_export.state.store import LedgerStore

OLDER = "localhost:8787"
CANONICAL = "127.0.0.1:8787"
QUEUE = "SELECT '{email}' AS email, 'c' AS customer_id, 'add' AS op, 'h' AS content_hash, '{{}}' AS payload"
# (email, its status in the older ledger, in the newer one)
ROWS = [
    ("ours@x.org", "subscribed", "pre_existing"),
    ("removed@x.org", "removed", "unsubscribed_in_activecampaign"),
    ("left@x.org", "subscribed", "unsubscribed_in_activecampaign"),
    ("only_old@x.org", "opted_out", None),
]
EXPECTED = {
    "ours@x.org": "subscribed",
    "removed@x.org": "removed",
    "left@x.org": "unsubscribed_in_activecampaign",
    "only_old@x.org": "opted_out",
}


def fill(store: LedgerStore, which: int, email: str) -> None:
    """Write one ledger's rows (which: 1 the older ledger, 2 the newer) and one batch in flight."""
    for address, older, newer in ROWS:
        status = older if which == 1 else newer
        if status:
            # Stamped now: the older ledger is written first, so its rows are the older ones.
            store.con.execute(
                "INSERT INTO ledger (email, status, export, updated_at) VALUES (?, ?, 'e', now())",
                [address, status],
            )
    store.enqueue(QUEUE.format(email=email), "e", "run", 250)
    store.write_through()


def embedded(tmp_path: Path) -> Callable[[], LedgerStore]:
    """The split on disk: an older file under `localhost_8787`, a newer one under the identity's folder."""
    for which, host, email in ((1, OLDER, "queued_old@x.org"), (2, CANONICAL, "queued_new@x.org")):
        path = ledger_path(tmp_path, CANONICAL, 1).parent.parent / host.replace(":", "_") / "list_1.duckdb"
        store = LedgerStore.open(path)
        fill(store, which, email)
        store.close()
    return lambda: LedgerStore.open_account(tmp_path, f"http://{OLDER}", 1)


def postgres(dsn: str) -> Callable[[], LedgerStore]:
    """The split in PostgreSQL: rows under `localhost:8787` beside rows under the identity."""
    for which, host, email in ((1, "parked.example", "queued_old@x.org"), (2, CANONICAL, "queued_new@x.org")):
        store = PostgresLedger.open_list(dsn, host, 1)
        fill(store, which, email)
        store.close()
    with psycopg.connect(dsn) as conn:
        for table in ("ac_export_ledger", "ac_export_inflight", "ac_export_facts", "ac_export_sent_payloads"):
            conn.execute(f"UPDATE {table} SET host = %s WHERE host = 'parked.example'", [OLDER])
    return lambda: PostgresLedger.open_list(dsn, f"http://{OLDER}/api/3", 1)


@pytest.fixture(params=["embedded", "postgres"])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], LedgerStore]:
    """Opens the list's ledger after building the older version's split, on each backend."""
    if request.param == "postgres":
        return postgres(request.getfixturevalue("postgres_dsn"))
    return embedded(tmp_path)


def view(store: LedgerStore) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """Statuses by email, and (batch_no, email) of what is in flight."""
    statuses = dict(store.con.execute("SELECT email, status FROM ledger").fetchall())
    batches = store.con.execute("SELECT batch_no, email FROM inflight ORDER BY batch_no").fetchall()
    return {str(k): str(v) for k, v in statuses.items()}, [(int(n), str(e)) for n, e in batches]


def test_the_merge_keeps_what_the_older_ledger_knew_and_both_queues_once(
    reopen: Callable[[], LedgerStore],
) -> None:
    first = reopen()
    try:
        merged = view(first)
        pending = first.pending_batches()
    finally:
        first.close()
    second = reopen()
    try:
        again = view(second)
        fact = ledger.read_fact(second.con, "list_name")
    finally:
        second.close()

    assert merged[0] == EXPECTED
    assert merged[1] == [(1, "queued_new@x.org"), (2, "queued_old@x.org")]
    assert [count for _, _, count in pending] == [1, 1]
    assert again == merged and fact is None  # merged once: nothing doubled on the next open
