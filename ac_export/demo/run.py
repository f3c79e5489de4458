"""`make demo`: the local emulator plus the whole pipeline on `data/`, through Dagster, with a summary.

The emulator keeps its account in `data/warehouse/emulator-state.json`, next to the export ledgers,
so a second `make demo` is incremental: unchanged contacts are not sent again.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from ac_export import settings
from ac_export.activecampaign.client import ActiveCampaignClient
from ac_export.activecampaign.pacing import AccountPacer, Limits, pacing_state_dir
from ac_export.config.loading import ConfigError
from ac_export.config.project import ProjectConfig, load_project_config
from ac_export.definitions import build_definitions
from ac_export.emulator.process import EmulatorProcess, EmulatorStartError
from ac_export.emulator.readings import LEGACY_CLIENT_READINGS
from ac_export.segments.partitions import segments_partitions

EXPORT_KEY = dg.AssetKey("activecampaign_list")
DEMO_EMULATOR_PORT = 8787
MEMBERS_KEY = dg.AssetKey("segment_members")


@dataclass
class SegmentOutcome:
    """What one segment's run did, read back from its materializations."""

    segment: str
    members: int | None
    export: dict[str, Any]
    list_id: int | None
    list_members: int | None
    error: str | None


def _echo(text: str = "") -> None:
    print(text, flush=True)


@contextmanager
def demo_emulator(state_file: Path, port: int = 0) -> Iterator[tuple[EmulatorProcess, str]]:
    """Start the emulator with ActiveCampaign's real limits and a fresh key, on `port` (0: a free one)."""
    api_key = secrets.token_hex(16)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    # The key goes through the environment, not the command line, where `ps` would show it.
    environment = {**os.environ, "AC_EMULATOR_API_KEYS": api_key}
    args = ["--state", str(state_file), "--port", str(port), *LEGACY_CLIENT_READINGS]
    emulator = EmulatorProcess(args, env=environment)
    try:
        yield emulator, api_key
    finally:
        emulator.stop()


def demo_client(base_url: str, api_key: str) -> ActiveCampaignClient:
    """A paced client for the demo's own setup calls (creating lists, reading their sizes)."""
    return ActiveCampaignClient(base_url, api_key, pacer=AccountPacer(base_url, Limits(), pacing_state_dir()))


def ensure_lists(client: ActiveCampaignClient, project: ProjectConfig) -> None:
    """Create the demo's lists (ids 1, 2, 3, … in export order) that the account does not have yet."""
    existing = {item.id for item in client.lists()}
    for list_id, segment in sorted((e.list_id, e.segment) for e in project.exports.exports.values()):
        if list_id not in existing:
            existing.add(client.create_list(segment).id)


def _failure_text(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            return error.message.strip() if error is not None else "step failed"
    return "run failed"


def _latest_metadata(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None) -> dict[str, Any]:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return {}
    return {k: v.value for k, v in records[0].asset_materialization.metadata.items()}


def run_pipeline(defs: dg.Definitions, instance: dg.DagsterInstance, project: ProjectConfig) -> list[str]:
    """Materialize sources → profiles → measures, then each segment and its exports; returns failures."""
    assets = list(defs.assets or [])
    checks = list(defs.asset_checks or [])
    resources = dict(defs.resources or {})
    unpartitioned = dg.AssetSelection.all() - dg.AssetSelection.assets(MEMBERS_KEY, EXPORT_KEY)
    started = time.monotonic()
    result = dg.materialize(
        [*assets, *checks],
        selection=unpartitioned,
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    if not result.success:
        return [f"profiles and measures: {_failure_text(result)}"]
    _echo(f"  sources, profiles and measures built in {time.monotonic() - started:.1f} s")
    segments = list(project.segments.segments)
    known = set(instance.get_dynamic_partitions(segments_partitions.name or "segments"))
    instance.add_dynamic_partitions(
        segments_partitions.name or "segments", [s for s in segments if s not in known]
    )
    failures = []
    for segment in segments:
        started = time.monotonic()
        result = dg.materialize(
            [*assets, *checks],
            selection=[MEMBERS_KEY, EXPORT_KEY],
            partition_key=segment,
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
        status = "ok" if result.success else "FAILED"
        _echo(f"  segment {segment}: {status} in {time.monotonic() - started:.1f} s")
        if not result.success:
            failures.append(f"{segment}: {_failure_text(result)}")
    return failures


def summarise(
    instance: dg.DagsterInstance, project: ProjectConfig, sizes: dict[int, int]
) -> list[SegmentOutcome]:
    """Read each segment's latest counts back from Dagster."""
    outcomes = []
    for segment in project.segments.segments:
        members = _latest_metadata(instance, MEMBERS_KEY, segment).get("members")
        export = _latest_metadata(instance, EXPORT_KEY, segment)
        list_ids = [e.list_id for e in project.exports.for_segment(segment).values()]
        list_id = list_ids[0] if list_ids else None
        outcomes.append(SegmentOutcome(segment, members, export, list_id, sizes.get(list_id or -1), None))
    return outcomes


COLUMNS = (  # (heading, width, metadata key)
    ("added", 6, "added"),
    ("updated", 7, "updated"),
    ("unchanged", 9, "unchanged"),
    ("removed", 7, "removed"),
    ("opted out", 9, "opted_out"),
    ("seconds", 7, "duration_s"),
)
REJECTION_KEYS = ("rejected_missing_email", "rejected_invalid_email", "rejected_by_activecampaign")


def print_summary(profiles: dict[str, Any], outcomes: list[SegmentOutcome]) -> None:
    """The demo's table: profiles from records, then per export what happened and what the list holds."""
    _echo()
    _echo(
        f"Unified {profiles.get('records', '?'):,} source records into {profiles.get('profiles', '?'):,} "
        f"profiles ({profiles.get('multi_source_profiles', '?'):,} from more than one source)."
    )
    _echo()
    header = f"{'segment':<30} {'members':>7} {'list':>4} " + " ".join(f"{h:>{w}}" for h, w, _ in COLUMNS)
    header += f" {'rejected':>8} {'in list':>7}"
    _echo(header)
    _echo("-" * len(header))
    for o in outcomes:
        cells = " ".join(f"{o.export.get(key, '-')!s:>{width}}" for _, width, key in COLUMNS)
        rejected = sum(int(o.export.get(key, 0)) for key in REJECTION_KEYS)
        members = "-" if o.members is None else o.members
        in_list = "-" if o.list_members is None else o.list_members
        _echo(f"{o.segment:<30} {members:>7} {o.list_id or '-':>4} {cells} {rejected:>8} {in_list:>7}")
    _echo()
    _echo("'in list' is what the emulator reports as subscribed to the segment's list after the run.")


def run_demo() -> int:
    """Run the whole demo; returns the process exit code."""
    config_dir = settings.config_dir()
    try:
        project = load_project_config(config_dir)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    state_file = settings.warehouse_dir() / "emulator-state.json"
    _echo(f"Starting the local ActiveCampaign emulator (state: {state_file}) …")
    try:
        return _run_against_emulator(config_dir, project, state_file)
    except EmulatorStartError:
        print(
            f"error: the emulator could not listen on 127.0.0.1:{DEMO_EMULATOR_PORT}; if `make dev` is "
            "running, stop it first (both use that port and the same emulator state)",
            file=sys.stderr,
        )
        return 2


def _run_against_emulator(config_dir: Path, project: ProjectConfig, state_file: Path) -> int:
    # A fixed port keeps the account's host, and with it the export ledgers, the same across demo
    # runs, so a second `make demo` sends only what changed.
    with demo_emulator(state_file, port=DEMO_EMULATOR_PORT) as (emulator, api_key):
        os.environ["ACTIVECAMPAIGN_API_HOST"] = emulator.base_url
        os.environ["ACTIVECAMPAIGN_API_KEY"] = api_key
        _echo(f"  listening on {emulator.base_url}")
        client = demo_client(emulator.base_url, api_key)
        ensure_lists(client, project)
        defs = build_definitions(config_dir)
        with dg.DagsterInstance.get() as instance:
            _echo("Running the pipeline through Dagster …")
            failures = run_pipeline(defs, instance, project)
            list_ids = sorted({e.list_id for e in project.exports.exports.values()})
            sizes = {list_id: client.count_list_contacts(list_id) for list_id in list_ids}
            profiles = _latest_metadata(instance, dg.AssetKey("unified_profiles"), None)
            print_summary(profiles, summarise(instance, project, sizes))
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0
