"""The PostgreSQL ledger's local cache: an unchanged list moves no ledger row, and a cache is only a cache."""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg
import pytest

from ac_export.state.backend import StateBackend
from ac_export.state.postgres.cache import KEEP_DAYS
from ac_export.state.postgres.ledger import PostgresLedger
from ac_export.state.postgres.transfer import TRAFFIC

HOST = "cache.example"


def _seed(dsn: str, list_id: int, n: int, machine: Path) -> None:
    """n subscribed rows written as a run would (through the store), so PostgreSQL stamps them."""
    store = PostgresLedger.open_list(dsn, HOST, list_id, cache_dir=machine)
    try:
        store.con.execute(
            "INSERT INTO ledger (email, content_hash, status, export, updated_at) "
            "SELECT 'p' || i || '@x.org', 'h' || i, 'subscribed', 'e', now() FROM range(?) t(i)",
            [n],
        )
        store.write_through()
    finally:
        store.close()


def _open(dsn: str, list_id: int, machine: Path) -> tuple[str, int, list[tuple[object, ...]]]:
    """How the ledger was loaded through `machine`'s cache, the rows moved from PostgreSQL, the rows."""
    before = TRAFFIC.rows_in
    store = PostgresLedger.open_list(dsn, HOST, list_id, cache_dir=machine)
    try:
        rows = store.con.execute("SELECT email, status, content_hash FROM ledger ORDER BY email").fetchall()
        return store.loaded_by, TRAFFIC.rows_in - before, rows
    finally:
        store.close()


def _pg(dsn: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _tombstones(dsn: str, list_id: int) -> int:
    return int(str(_pg(dsn, f"SELECT count(*) FROM ac_export_ledger_gone WHERE list_id = {list_id}")[0][0]))


def _cache_file(dsn: str, machine: Path, list_id: int) -> Path:
    epoch = _pg(dsn, "SELECT value FROM ac_export_state_meta WHERE name = 'epoch'")[0][0]
    return machine / str(epoch) / HOST / f"list_{list_id}.duckdb"


def _forget_every_cache_for_a_while(dsn: str) -> None:
    """Every cache noted so far was last seen longer ago than KEEP_DAYS (a machine gone quiet)."""
    _pg(dsn, f"UPDATE ac_export_ledger_caches SET seen_at = now() - interval '{KEEP_DAYS + 1} days'")


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """This test's machine: a cache folder of its own."""
    return tmp_path / "machine-a"


def test_an_unchanged_list_moves_no_ledger_row_and_a_change_moves_only_itself(
    postgres_dsn: str, machine: Path
) -> None:
    _seed(postgres_dsn, 11, 500, machine)
    how_first, _, first = _open(postgres_dsn, 11, machine)  # learns the seeding run's rows
    how_unchanged, moved_unchanged, unchanged = _open(postgres_dsn, 11, machine)
    _pg(postgres_dsn, "UPDATE ac_export_ledger SET status = 'opted_out' WHERE email = 'p7@x.org'")
    how_changed, moved_changed, changed = _open(postgres_dsn, 11, machine)

    assert (how_first, how_unchanged, how_changed) == ("delta", "delta", "delta")
    assert len(first) == 500 and unchanged == first
    assert moved_unchanged == 0
    assert moved_changed == 1
    assert ("p7@x.org", "opted_out", "h7") in changed and len(changed) == 500


def test_deletions_and_writes_from_another_machine_or_by_hand_reach_the_cache(
    postgres_dsn: str, machine: Path
) -> None:
    _seed(postgres_dsn, 12, 50, machine)
    _open(postgres_dsn, 12, machine)
    other = machine.parent / "machine-b"  # another worker, its own cache
    store = PostgresLedger.open_list(postgres_dsn, HOST, 12, cache_dir=other)
    try:
        store.con.execute("DELETE FROM ledger WHERE email IN ('p1@x.org', 'p2@x.org')")
        store.con.execute(
            "INSERT INTO ledger (email, status, export, updated_at) "
            "VALUES ('new@x.org', 'pre_existing', 'e', now())"
        )
        store.write_through()
    finally:
        store.close()
    _pg(postgres_dsn, "DELETE FROM ac_export_ledger WHERE email = 'p3@x.org'")
    _pg(
        postgres_dsn,
        "INSERT INTO ac_export_ledger (host, list_id, email, status, updated_at) "
        f"VALUES ('{HOST}', 12, 'p1@x.org', 'removed', now())",  # deleted, then back
    )

    how, moved, rows = _open(postgres_dsn, 12, machine)

    assert how == "delta" and moved == 5  # three tombstones and the two rows written since
    emails = {str(r[0]): r[1] for r in rows}
    assert "p2@x.org" not in emails and "p3@x.org" not in emails
    assert emails["p1@x.org"] == "removed" and emails["new@x.org"] == "pre_existing"
    assert len(emails) == 49


def test_a_cache_that_disagrees_with_postgres_is_refetched_whole(postgres_dsn: str, machine: Path) -> None:
    _seed(postgres_dsn, 13, 40, machine)
    _open(postgres_dsn, 13, machine)
    with psycopg.connect(postgres_dsn) as conn:
        epoch = conn.execute("SELECT value FROM ac_export_state_meta WHERE name = 'epoch'").fetchone()
    path = machine / str(epoch[0] if epoch else "") / HOST / "list_13.duckdb"
    with duckdb.connect(str(path)) as cache:  # a damaged cache: a row changed behind its stamp
        cache.execute("UPDATE ledger SET status = 'removed' WHERE email = 'p5@x.org'")
        cache.execute("DELETE FROM ledger WHERE email = 'p6@x.org'")

    how, moved, rows = _open(postgres_dsn, 13, machine)

    assert how == "full" and moved == 40
    assert ("p6@x.org", "subscribed", "h6") in rows and ("p5@x.org", "subscribed", "h5") in rows


def test_a_cache_held_by_another_process_is_skipped_not_waited_for(postgres_dsn: str, machine: Path) -> None:
    _seed(postgres_dsn, 14, 30, machine)
    _open(postgres_dsn, 14, machine)
    with psycopg.connect(postgres_dsn) as conn:
        epoch = conn.execute("SELECT value FROM ac_export_state_meta WHERE name = 'epoch'").fetchone()
    path = machine / str(epoch[0] if epoch else "") / HOST / "list_14.duckdb"
    holder = duckdb.connect(str(path))
    try:
        how, moved, rows = _open(postgres_dsn, 14, machine)
    finally:
        holder.close()
    assert how in ("uncached", "delta") and len(rows) == 30
    if how == "uncached":
        assert moved == 30


def test_the_backend_keeps_its_caches_in_the_folder_its_settings_name(
    postgres_dsn: str, machine: Path
) -> None:
    _seed(postgres_dsn, 15, 20, machine)
    elsewhere = machine.parent / "configured"
    backend = StateBackend("postgres", postgres_dsn, ledger_cache_dir=elsewhere)

    backend.open_ledger(None, HOST, 15).close()
    store = backend.open_ledger(None, HOST, 15)
    try:
        assert isinstance(store, PostgresLedger) and store.loaded_by == "delta"
    finally:
        store.close()
    assert [path.name for path in elsewhere.rglob("*.duckdb")] == ["list_15.duckdb"]


def test_tombstones_are_pruned_once_every_cache_has_seen_them_and_not_before(
    postgres_dsn: str, machine: Path
) -> None:
    other = machine.parent / "machine-b"
    _seed(postgres_dsn, 21, 30, machine)
    _open(postgres_dsn, 21, machine)
    _open(postgres_dsn, 21, other)
    _pg(postgres_dsn, "DELETE FROM ac_export_ledger WHERE email IN ('p1@x.org', 'p2@x.org', 'p3@x.org')")

    b_how, b_moved, _ = _open(postgres_dsn, 21, other)
    kept_for_a = _tombstones(postgres_dsn, 21)  # machine A has not seen the deletions yet
    a_how, a_moved, a_rows = _open(postgres_dsn, 21, machine)
    pruned = _tombstones(postgres_dsn, 21)

    assert (b_how, b_moved, kept_for_a) == ("delta", 3, 3)
    assert (a_how, a_moved, len(a_rows), pruned) == ("delta", 3, 27, 0)
    for cache in (machine, other):  # after the pruning both caches still go by deltas, deletions kept
        how, moved, rows = _open(postgres_dsn, 21, cache)
        assert (how, moved, rows) == ("delta", 0, a_rows)


def test_a_cache_unseen_for_keep_days_holds_nothing_back_and_refetches_whole(
    postgres_dsn: str, machine: Path
) -> None:
    other = machine.parent / "machine-b"
    _seed(postgres_dsn, 22, 30, machine)
    _open(postgres_dsn, 22, machine)
    _open(postgres_dsn, 22, other)
    _pg(postgres_dsn, "DELETE FROM ac_export_ledger WHERE email IN ('p1@x.org', 'p2@x.org')")
    _forget_every_cache_for_a_while(postgres_dsn)

    _open(postgres_dsn, 22, other)  # B is back: A's mark is forgotten, so B alone is protected
    pruned = _tombstones(postgres_dsn, 22)
    how, moved, rows = _open(postgres_dsn, 22, machine)

    assert pruned == 0
    assert (how, moved, len(rows)) == ("full", 28, 28)
    assert not {"p1@x.org", "p2@x.org"} & {str(row[0]) for row in rows}


def test_behind_the_pruned_stamp_a_cache_is_refetched_even_when_its_fingerprint_agrees(
    postgres_dsn: str, machine: Path
) -> None:
    other = machine.parent / "machine-b"
    _seed(postgres_dsn, 23, 30, machine)
    _open(postgres_dsn, 23, machine)
    _open(postgres_dsn, 23, other)
    first, second = (
        str(row[0])
        for row in _pg(
            postgres_dsn, "SELECT email FROM ac_export_ledger WHERE list_id = 23 ORDER BY changed_seq LIMIT 2"
        )
    )
    _pg(postgres_dsn, f"DELETE FROM ac_export_ledger WHERE email = '{first}'")
    _forget_every_cache_for_a_while(postgres_dsn)
    _open(postgres_dsn, 23, other)  # prunes the tombstone A never saw
    # A's cache as a missed deletion could leave it while agreeing with PostgreSQL's fingerprint
    # (rows, sum and max of stamps): the deleted row kept under the stamp of a row it lacks.
    with duckdb.connect(str(_cache_file(postgres_dsn, machine, 23))) as cache:
        cache.execute(
            "UPDATE ledger SET changed_seq = (SELECT changed_seq FROM ledger WHERE email = ?) "
            "WHERE email = ?",
            [second, first],
        )
        cache.execute("DELETE FROM ledger WHERE email = ?", [second])

    how, moved, rows = _open(postgres_dsn, 23, machine)

    assert _tombstones(postgres_dsn, 23) == 0
    assert (how, moved, len(rows)) == ("full", 29, 29)
    emails = {str(row[0]) for row in rows}
    assert first not in emails and second in emails


def test_a_dry_run_neither_notes_its_cache_nor_prunes(postgres_dsn: str, machine: Path) -> None:
    _seed(postgres_dsn, 24, 10, machine)
    _pg(postgres_dsn, "DELETE FROM ac_export_ledger WHERE email = 'p1@x.org'")
    _forget_every_cache_for_a_while(postgres_dsn)
    marks = _pg(
        postgres_dsn, "SELECT cache_id, seen_seq, seen_at FROM ac_export_ledger_caches WHERE list_id = 24"
    )

    PostgresLedger.open_list(postgres_dsn, HOST, 24, read_only=True, cache_dir=machine).close()

    assert _tombstones(postgres_dsn, 24) == 1
    assert (
        _pg(
            postgres_dsn, "SELECT cache_id, seen_seq, seen_at FROM ac_export_ledger_caches WHERE list_id = 24"
        )
        == marks
    )
