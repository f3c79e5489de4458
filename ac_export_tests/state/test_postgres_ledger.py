"""The PostgreSQL ledger: the same semantics as the embedded one, kept in a real PostgreSQL server."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from ac_export.state import ledger
from ac_export.state.backend import StateBackend, StateConfigError
from ac_export.state.ledger import LedgerInUse
from ac_export.state.postgres.ledger import PostgresLedger
from ac_export_tests.support.export_world import ExportWorld


@pytest.fixture
def reading() -> str:
    """The documented reading: the semantics under every reading are the export tests' business."""
    return "documented"


def rows(dsn: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of a query against the state database."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def test_an_export_keeps_its_ledger_in_postgres_and_the_next_run_sends_nothing(
    world: ExportWorld, postgres_dsn: str
) -> None:
    world.people(600)
    state = StateBackend("postgres", postgres_dsn)

    first = world.run(state=state)
    world.people(10, start=1000)
    second = world.run(state=state)

    assert first.counts.added == 600
    assert (second.counts.added, second.counts.unchanged) == (10, 600)
    assert world.subscribed() == world.expected()
    ledger = rows(
        postgres_dsn, "SELECT host, list_id, status, count(*) FROM ac_export_ledger GROUP BY 1, 2, 3"
    )
    assert ledger == [(world.emulator.host, world.list_id, "subscribed", 610)]
    assert rows(postgres_dsn, "SELECT count(*) FROM ac_export_inflight") == [(0,)]
    assert not (world.warehouse.root / "ledger").exists()  # nothing of the ledger on local disk


def test_a_removal_and_an_opt_out_are_recorded_in_postgres(world: ExportWorld, postgres_dsn: str) -> None:
    members = world.people(300)
    state = StateBackend("postgres", postgres_dsn)
    world.run(state=state)
    world.members -= set(members[:20])
    world.emulator.optout("person299@example.com", world.list_id)

    # A member who left and is sent nothing is named by the full reconcile (or when next sent to).
    result = world.run(state=state, full_reconcile=True)

    assert (result.counts.removed, result.counts.opted_out) == (20, 1)
    statuses = dict(rows(postgres_dsn, "SELECT status, count(*) FROM ac_export_ledger GROUP BY 1"))
    assert statuses == {"subscribed": 279, "removed": 20, "opted_out": 1}


def test_statuses_and_empty_values_pass_through_unchanged(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        PostgresLedger.open_list(postgres_dsn, "h.example", 1).close()  # creates the tables
        conn.execute(
            "INSERT INTO ac_export_ledger VALUES "
            "('h.example', 1, 'a@x.org', 'c1', '', 'pre_existing', NULL, NULL, 'e', now()), "
            "('h.example', 1, 'b@x.org', NULL, 'h', 'a_status_added_later', 'why, \"quoted\"\nnext', "
            "'', 'e', now())"
        )
    store = PostgresLedger.open_list(postgres_dsn, "h.example", 1)
    try:
        local = store.con.execute(
            "SELECT email, customer_id, content_hash, status, reason, batch_id FROM ledger ORDER BY email"
        ).fetchall()
        store.con.execute(
            "UPDATE ledger SET status = 'opted_out', updated_at = now() WHERE email = 'a@x.org'"
        )
        store.write_through()
    finally:
        store.close()
    assert local == [
        ("a@x.org", "c1", "", "pre_existing", None, None),
        ("b@x.org", None, "h", "a_status_added_later", 'why, "quoted"\nnext', ""),
    ]
    assert rows(postgres_dsn, "SELECT email, status FROM ac_export_ledger ORDER BY email") == [
        ("a@x.org", "opted_out"),
        ("b@x.org", "a_status_added_later"),
    ]


def test_a_direct_change_in_the_planning_connection_reaches_postgres_on_sync(postgres_dsn: str) -> None:
    store = PostgresLedger.open_list(postgres_dsn, "h.example", 2)
    try:
        store.con.execute(  # as a reconcile changes the ledger: SQL in the planning connection
            "INSERT INTO ledger (email, status, export, updated_at) "
            "VALUES ('direct@x.org', 'opted_out', 'e', now())"
        )
        store.write_through()
    finally:
        store.close()
    assert rows(postgres_dsn, "SELECT email, status FROM ac_export_ledger") == [("direct@x.org", "opted_out")]


def test_deletions_facts_and_sent_payloads_reach_postgres_and_come_back(postgres_dsn: str) -> None:
    store = PostgresLedger.open_list(postgres_dsn, "h.example", 3)
    try:
        store.con.execute(
            "INSERT INTO ledger (email, status, export, updated_at) "
            "VALUES ('kept@x.org', 'subscribed', 'e', now()), ('gone@x.org', 'pre_existing', 'e', now())"
        )
        ledger.write_fact(store.con, "list_name", "Newsletter")
        store.con.execute("INSERT INTO sent_payloads VALUES ('kept@x.org', '{}', now())")
        store.write_through()
        store.con.execute("DELETE FROM ledger WHERE email = 'gone@x.org'")  # a reconcile forgetting someone
        ledger.write_fact(store.con, "list_name", "Newsletter (renamed)")
        store.write_through()
    finally:
        store.close()

    again = PostgresLedger.open_list(postgres_dsn, "h.example", 3)
    try:
        emails = again.con.execute("SELECT email FROM ledger").fetchall()
        fact = ledger.read_fact(again.con, "list_name")
        unsent = again.con.execute("SELECT count(*) FROM sent_payloads").fetchall()
    finally:
        again.close()
    reader = PostgresLedger.open_list(postgres_dsn, "h.example", 3, read_only=True)
    try:
        sent = reader.con.execute("SELECT email FROM sent_payloads").fetchall()
    finally:
        reader.close()
    assert emails == [("kept@x.org",)] and fact == "Newsletter (renamed)"
    assert unsent == [(0,)]  # a run that sends does not need them: only a dry run reads them
    assert sent == [("kept@x.org",)]


def test_a_second_writer_of_the_list_waits_then_is_told_the_list_is_in_use(postgres_dsn: str) -> None:
    holder = PostgresLedger.open_list(postgres_dsn, "h.example", 7)
    started = time.monotonic()
    with pytest.raises(LedgerInUse, match=r"list 7 on h\.example .* in use by another run"):
        PostgresLedger.open_list(postgres_dsn, "h.example", 7, wait_s=0.6)
    assert time.monotonic() - started >= 0.6
    other_list = PostgresLedger.open_list(postgres_dsn, "h.example", 8, wait_s=0)  # other lists never wait
    other_list.close()
    threading.Timer(0.3, holder.close).start()
    PostgresLedger.open_list(postgres_dsn, "h.example", 7, wait_s=5).close()  # free once the holder closes


def test_postgres_without_a_dsn_names_the_variable() -> None:
    with pytest.raises(StateConfigError, match="AC_EXPORT_STATE_DSN"):
        StateBackend("postgres", None)
    with pytest.raises(StateConfigError, match="embedded or postgres"):
        StateBackend("sqlite")  # type: ignore[arg-type]


def test_an_unreachable_database_stops_the_export_with_its_name_and_no_password(world: ExportWorld) -> None:
    world.people(5)
    dsn = "postgresql://ac:s3cret-pw@127.0.0.1:1/state"
    from ac_export.activecampaign.errors import ExportStopped

    with pytest.raises(ExportStopped) as caught:
        world.run(state=StateBackend("postgres", dsn))
    message = str(caught.value)
    assert "ac@127.0.0.1:1/state" in message
    assert "s3cret-pw" not in message
