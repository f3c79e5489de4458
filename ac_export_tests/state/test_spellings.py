"""One account written two ways keeps one ledger, and ledgers kept under an older spelling are merged.

On both state backends: the embedded ledger files under the warehouse, and PostgreSQL's rows.
An older version keyed ledgers by the host as spelled, so `localhost:PORT` and `127.0.0.1:PORT`
kept two ledgers of one list; the second learned the first one's subscribers as pre-existing and
never removed them. These tests build that state exactly (a ledger moved under the older spelling
while a run through the other spelling starts a fresh one) and check the merge undoes it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from ac_export.state.backend import StateBackend
from ac_export.state.merge import RETIRED_SUFFIX
from ac_export_tests.support.export_world import ExportWorld

TABLES = ("ac_export_ledger", "ac_export_inflight", "ac_export_facts", "ac_export_sent_payloads")


@pytest.fixture
def reading() -> str:
    """The documented reading: the semantics under every reading are the export tests' business."""
    return "documented"


@pytest.fixture(params=["embedded", "postgres"])
def state(request: pytest.FixtureRequest) -> StateBackend:
    """Each state backend in turn."""
    if request.param == "postgres":
        return StateBackend("postgres", request.getfixturevalue("postgres_dsn"))
    return StateBackend()


def port(world: ExportWorld) -> str:
    """The emulator's port."""
    return world.emulator.base_url.rsplit(":", 1)[1]


def ledger_keys(world: ExportWorld, state: StateBackend) -> list[str]:
    """Under which keys the state holds ledgers: folder names (embedded) or hosts (PostgreSQL)."""
    if state.kind == "postgres":
        with psycopg.connect(str(state.dsn)) as conn:
            union = " UNION ".join(f"SELECT host FROM {t}" for t in TABLES)
            return sorted(str(r[0]) for r in conn.execute(union).fetchall())
    root = world.warehouse.root / "ledger"
    return sorted(p.parent.name for p in root.glob("*/list_*.duckdb"))


def move_ledger(world: ExportWorld, state: StateBackend, old: str, new: str) -> None:
    """Move the list's ledger from one key to another, as an older version would have kept it."""
    if state.kind == "postgres":
        with psycopg.connect(str(state.dsn)) as conn:
            for table in TABLES:
                conn.execute(f"UPDATE {table} SET host = %s WHERE host = %s", [new, old])
        return
    source = world.warehouse.root / "ledger" / old.replace(":", "_")
    target = world.warehouse.root / "ledger" / new.replace(":", "_")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, target)


def two_ledgers_of_one_list(world: ExportWorld, state: StateBackend) -> list[str]:
    """The older version's split: our 100 subscribers under `localhost:PORT`, a fresh ledger beside it.

    Returns the 100 customer ids.
    """
    members = world.people(100)
    world.run(state=state)
    canonical = f"127.0.0.1:{port(world)}"
    move_ledger(world, state, canonical, "parked")  # hidden while a run starts a fresh ledger
    world.people(20, start=100)
    fresh = world.run(state=state)
    assert fresh.counts.pre_existing == 100  # what the fresh ledger learned: not ours
    move_ledger(world, state, "parked", f"localhost:{port(world)}")
    assert ledger_keys(world, state) != [canonical]
    return members


def test_an_export_through_localhost_then_loopback_keeps_one_ledger(
    world: ExportWorld, state: StateBackend
) -> None:
    members = world.people(100)
    first = world.run(resource=world.resource(api_host=f"http://localhost:{port(world)}"), state=state)
    world.members -= set(members[:10])

    second = world.run(resource=world.resource(api_host=f"http://127.0.0.1:{port(world)}/api/3"), state=state)

    assert first.counts.added == 100
    assert (second.counts.removed, second.counts.pre_existing, second.counts.unchanged) == (10, 0, 90)
    assert world.subscribed() == world.expected()
    keys = set(ledger_keys(world, state))
    assert keys == {f"127.0.0.1:{port(world)}" if state.kind == "postgres" else f"127.0.0.1_{port(world)}"}


def test_a_ledger_kept_under_an_older_spelling_is_merged_once(
    world: ExportWorld, state: StateBackend
) -> None:
    members = two_ledgers_of_one_list(world, state)
    world.members -= set(members[:10])

    merged = world.run(state=state)
    again = world.run(state=state)

    # Ours by the older ledger, so removed when they leave; the 20 the fresh ledger added stay ours.
    assert (merged.counts.removed, merged.counts.pre_existing, merged.counts.unchanged) == (10, 0, 110)
    assert world.subscribed() == world.expected()
    assert (again.counts.added, again.counts.removed, again.counts.updated) == (0, 0, 0)
    assert again.counts.unchanged == 110 and merged.list_size == again.list_size == 110
    if state.kind == "postgres":
        assert set(ledger_keys(world, state)) == {f"127.0.0.1:{port(world)}"}
    else:
        assert ledger_keys(world, state) == [f"127.0.0.1_{port(world)}"]
        retired = (
            world.warehouse.root / "ledger" / f"localhost_{port(world)}" / f"list_{world.list_id}.duckdb"
        )
        assert Path(f"{retired}{RETIRED_SUFFIX}").exists() and not retired.exists()


def test_a_dry_run_sees_the_merge_and_keeps_both_ledgers_as_they_are(
    world: ExportWorld, state: StateBackend
) -> None:
    members = two_ledgers_of_one_list(world, state)
    world.members -= set(members[:10])
    before = ledger_keys(world, state)

    preview = world.run(state=state, dry_run=True)

    assert (preview.counts.removed, preview.counts.pre_existing) == (10, 0)
    assert ledger_keys(world, state) == before
    assert world.run(state=state).counts.removed == 10
