"""`ac-export forget-opt-out`, run as an operator runs it, on both state backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ac_export.activecampaign.optouts import forgotten_opt_outs
from ac_export.state.backend import StateBackend
from ac_export_tests.cli.test_activecampaign import config_folder, run_cli
from ac_export_tests.support.export_world import ExportWorld


@pytest.fixture(params=["embedded", "postgres"])
def backend(request: pytest.FixtureRequest) -> StateBackend:
    """Each state backend in turn: the command must find the ledger wherever it lives."""
    if request.param == "embedded":
        return StateBackend()
    return StateBackend("postgres", request.getfixturevalue("postgres_dsn"))


def cli_env(world: ExportWorld, tmp_path: Path, backend: StateBackend) -> dict[str, str]:
    """A config folder whose one export targets the world's list, and the world's warehouse and state."""
    folder = config_folder(tmp_path)
    export = {"segment": "loyalty_members", "connection": "emu", "list_id": world.list_id}
    (folder / "exports.yaml").write_text(yaml.safe_dump({"exports": {"loyal": export}}))
    env = {
        "AC_EXPORT_CONFIG_DIR": str(folder),
        "AC_EXPORT_WAREHOUSE": str(world.warehouse.root),
        "T_HOST": world.emulator.base_url,
        "AC_EXPORT_STATE": backend.kind,
    }
    if backend.dsn:
        env["AC_EXPORT_STATE_DSN"] = backend.dsn
    return env


def test_forget_opt_out_records_who_and_the_next_run_subscribes_them(
    world: ExportWorld, tmp_path: Path, backend: StateBackend
) -> None:
    world.state = backend
    world.people(3)
    world.run()
    world.emulator.optout("person1@example.com", world.list_id)
    world.run(full_reconcile=True)
    env = cli_env(world, tmp_path, backend)

    done = run_cli("forget-opt-out", "loyal", " Person1@Example.com", "--by", "ana", "--note", "T-7", env=env)
    world.run()

    assert done.returncode == 0, done.stderr
    assert "forgot the opt-out of person1@example.com from list" in done.stdout
    assert "person1@example.com" in world.subscribed()
    store = backend.open_ledger(world.warehouse.ledger_root, world.emulator.host, world.list_id)
    try:
        [record] = forgotten_opt_outs(store)
    finally:
        store.close()
    assert (record.by, record.note, record.status_before) == ("ana", "T-7", "opted_out")


def test_forget_opt_out_of_someone_not_opted_out_changes_nothing_in_one_line(
    world: ExportWorld, tmp_path: Path, backend: StateBackend
) -> None:
    world.state = backend
    world.people(2)
    world.run()
    env = cli_env(world, tmp_path, backend)

    subscribed = run_cli("forget-opt-out", "loyal", "person0@example.com", env=env)
    unknown = run_cli("forget-opt-out", "nope", "person0@example.com", env=env)

    assert subscribed.returncode == unknown.returncode == 2
    assert subscribed.stderr == (
        "error: the ledger holds no opt-out for person0@example.com on this list (it holds status "
        "'subscribed'); nothing was forgotten\n"
    )
    assert unknown.stderr == "error: no export named 'nope' in exports.yaml (known: loyal)\n"
