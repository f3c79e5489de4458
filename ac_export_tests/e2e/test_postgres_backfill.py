"""End to end past one machine: a backfill of four segments through the real webserver and daemon,
with Dagster's instance on PostgreSQL (dagster-postgres), the export state on PostgreSQL
(`AC_EXPORT_STATE=postgres`) and the warehouse on object storage (a local S3-compatible server).

The upstream tables (sources → profiles → measures) are built once in this process, straight into
the bucket; the backfill's runs (launched by the daemon: one evaluating every segment, then one export per
segment) then build the segments' members and export them, sharing nothing on local disk.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg
import pytest
import yaml

from ac_export.definitions import build_definitions
from ac_export.defs.activecampaign.assets import POOL
from ac_export.settings import PROJECT_ROOT
from ac_export.warehouse import Warehouse
from ac_export_tests.e2e.stack import running_stack
from ac_export_tests.e2e.world import expected_list, export_name
from ac_export_tests.support.emulator import EmulatorHandle, running_emulator
from ac_export_tests.support.postgres import PostgresServer
from ac_export_tests.support.s3 import S3Server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SEGMENTS = {
    "california_email_subscribers": 1,
    "high_value_online_buyers": 2,
    "gold_tier_starters": 3,
    "tech_professionals": 4,
}
RUN_TIMEOUT_S = 300
SEGMENT_ASSETS = [{"path": ["segment_members"]}, {"path": ["activecampaign_list"]}]
LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}
"""
# What deploy/ documents: Dagster's storage on PostgreSQL, the DSN from the environment.
POSTGRES_STORAGE = {"storage": {"postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}}}


@dataclass
class Shared:
    """What the backfill left: its runs, the lists, the bucket, and both databases."""

    runs: list[dict[str, Any]]
    emulator: EmulatorHandle
    warehouse: Warehouse
    dagster_dsn: str
    state_dsn: str
    local_files: list[Path]


def _project(root: Path) -> Path:
    """The demo's configuration trimmed to four segments (lists 1-4), with the automation off."""
    config = root / "data" / "config"
    shutil.copytree(PROJECT_ROOT / "data" / "config", config)
    shutil.copytree(PROJECT_ROOT / "data" / "sources", root / "data" / "sources")
    segments = yaml.safe_load((config / "segments.yaml").read_text())
    segments["segments"] = {name: segments["segments"][name] for name in SEGMENTS}
    (config / "segments.yaml").write_text(yaml.safe_dump(segments, sort_keys=False))
    exports = yaml.safe_load((config / "exports.yaml").read_text())
    exports["exports"] = {
        export_name(s): {**exports["exports"][export_name(s)], "list_id": n} for s, n in SEGMENTS.items()
    }
    (config / "exports.yaml").write_text(yaml.safe_dump(exports, sort_keys=False))
    automation = {"refresh": {"enabled": False}, "source_files": {"enabled": False}}
    (config / "automation.yaml").write_text(yaml.safe_dump(automation))
    return config


def _home(root: Path) -> Path:
    home = root / "dagster_home"
    home.mkdir()
    instance = yaml.safe_load((PROJECT_ROOT / ".dagster_home" / "dagster.yaml").read_text())
    (home / "dagster.yaml").write_text(yaml.safe_dump({**instance, **POSTGRES_STORAGE}))
    return home


@pytest.fixture(scope="module")
def shared(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer, s3_server: S3Server
) -> Iterator[Shared]:
    """Build the upstream, start the stack on PostgreSQL, run a four-segment backfill to the end."""
    root = tmp_path_factory.mktemp("e2e-postgres")
    config = _project(root)
    dagster_dsn, state_dsn = postgres_server.create_database(), postgres_server.create_database()
    url = f"s3://{s3_server.create_bucket()}/warehouse"
    home = _home(root)
    with running_emulator(api_key=secrets.token_hex(16)) as emulator, pytest.MonkeyPatch.context() as patch:
        for segment in SEGMENTS:
            emulator.create_list(segment)
        env = {
            **s3_server.environment(),
            "DAGSTER_HOME": str(home),
            # dagster-postgres needs psycopg2: with psycopg 3 installed, SQLAlchemy 2.1 would pick it.
            "DAGSTER_PG_URL": dagster_dsn.replace("postgresql://", "postgresql+psycopg2://"),
            "AC_EXPORT_CONFIG_DIR": str(config),
            "AC_EXPORT_WAREHOUSE": url,
            "AC_EXPORT_WAREHOUSE_CACHE": str(root / "cache-of-the-test"),
            "AC_EXPORT_STATE": "postgres",
            "AC_EXPORT_STATE_DSN": state_dsn,
            "ACTIVECAMPAIGN_API_HOST": emulator.base_url,
            "ACTIVECAMPAIGN_API_KEY": emulator.api_key,
        }
        for name, value in env.items():
            patch.setenv(name, value)
        _build_upstream(config)
        with dg.DagsterInstance.from_config(str(home)) as instance:  # migrates the PostgreSQL storage once
            instance.add_dynamic_partitions("segments", list(SEGMENTS))
            # As a deployment does once (`dagster instance concurrency set activecampaign 2`): left to
            # the pool's default, the first runs race to create its row and one fails (seen here).
            instance.event_log_storage.set_concurrency_slots(POOL, 2)
        (root / "logs").mkdir()
        # The runs cache the versions they read in their own folder, as a container would.
        stack_env = {**os.environ, "AC_EXPORT_WAREHOUSE_CACHE": str(root / "cache-of-the-runs")}
        with running_stack(root / "logs", stack_env) as stack:
            params = {"assetSelection": SEGMENT_ASSETS, "partitionNames": list(SEGMENTS), "title": "pg"}
            result = stack.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
            assert result["__typename"] == "LaunchBackfillSuccess", result
            tag = {"dagster/backfill": result["backfillId"]}
            try:
                runs = stack.wait_for_runs(len(SEGMENTS) + 1, RUN_TIMEOUT_S, tags=tag)
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n--- Dagster logs (tail) ---\n{stack.logs()[-6000:]}") from None
            local = [p for p in root.rglob("*") if p.suffix in {".duckdb", ".json"} and "pacing" in str(p)]
            local += list(root.rglob("*.duckdb"))
            yield Shared(runs, emulator, Warehouse(url), dagster_dsn, state_dsn, local)


def _build_upstream(config: Path) -> None:
    """sources → profiles → measures, in this process, into the bucket (not under test here)."""
    defs = build_definitions(config)
    result = defs.resolve_job_def("refresh").execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success


def _rows(dsn: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def test_the_backfill_evaluated_every_segment_in_one_run_then_exported_each(shared: Shared) -> None:
    assert [run["status"] for run in shared.runs] == ["SUCCESS"] * (len(SEGMENTS) + 1)
    ranges = [
        (r["tags"]["dagster/asset_partition_range_start"], r["tags"]["dagster/asset_partition_range_end"])
        for r in shared.runs
    ]
    exports = sorted(start for start, end in ranges if start == end)
    assert exports == sorted(SEGMENTS)
    assert len([1 for start, end in ranges if start != end]) == 1


def test_each_list_holds_its_segment(shared: Shared) -> None:
    for segment, list_id in SEGMENTS.items():
        expected = expected_list(shared.warehouse, segment)
        assert expected, segment
        assert shared.emulator.list_members(list_id) == expected, segment
    stats = shared.emulator.stats()
    # Never a storm: at most a few window edges, on a 2-core machine running four runs, the webserver,
    # the daemon, PostgreSQL, the S3 server and the emulator at once.
    assert stats["throttled"] <= 5, stats["by_endpoint"]


def test_the_instance_and_the_state_are_in_postgres_and_nothing_on_local_disk(shared: Shared) -> None:
    run_ids = {run_id for (run_id,) in _rows(shared.dagster_dsn, "SELECT run_id FROM runs")}
    assert {run["runId"] for run in shared.runs} <= run_ids
    subscribed = dict(
        _rows(
            shared.state_dsn,
            "SELECT list_id, count(*) FROM ac_export_ledger WHERE status = 'subscribed' GROUP BY 1",
        )
    )
    assert subscribed == {n: len(shared.emulator.list_members(n)) for n in SEGMENTS.values()}
    assert _rows(shared.state_dsn, "SELECT count(*) FROM ac_export_inflight") == [(0,)]
    assert _rows(shared.state_dsn, "SELECT count(*) FROM ac_export_pacing") == [(1,)]
    assert shared.local_files == []  # no ledger file, no pacing file
