"""`make demo`: the local emulator plus the whole pipeline on `data/`, through Dagster, with a summary.

The emulator keeps its account in `data/warehouse/emulator-state.json`, next to the export ledgers,
so a second `make demo` is incremental: unchanged contacts are not sent again. When port 8787 is
taken (another clone's `make dev`), it listens on the next free port with that port's own account
(`ports.py`), and says so.
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
import rich.box
import rich.console
import rich.table

from ac_export import settings
from ac_export.activecampaign.account import open_client
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.hosts import normalize_api_host
from ac_export.automation.segment_runs import plan_segment_ranges
from ac_export.automation.tags import RANGE_END_TAG, RANGE_START_TAG
from ac_export.config.loading import ConfigError
from ac_export.contracts import SEGMENTS_PARTITIONS, ExportCounts
from ac_export.definitions import build_definitions
from ac_export.defs.automation.jobs import EVALUATE_SEGMENTS_JOB, EXPORT_LISTS_JOB, REFRESH_JOB
from ac_export.defs.keys import EXPORT_ASSET_KEY, SEGMENT_MEMBERS_KEY, UNIFIED_PROFILES_KEY
from ac_export.demo.ports import DEMO_EMULATOR_PORT, ChosenPort, PortBusy, choose_port, emulator_state_file
from ac_export.demo.run_log import QUIET_RUN_CONFIG, append_run_events, new_log_file
from ac_export.emulator.process import EmulatorProcess, EmulatorStartError
from ac_export.project import ProjectConfig, load_project_config
from ac_export.state.backend import StateBackend
from ac_export.terminal.progress_bars import export_progress
from ac_export.terminal.tables import MEMBER_COLUMNS


@dataclass
class SegmentOutcome:
    """What one segment's run did, read back from its materializations."""

    segment: str
    members: int | None
    export: ExportCounts | None
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
    args = ["--state", str(state_file), "--port", str(port)]
    emulator = EmulatorProcess(args, env=environment)
    try:
        yield emulator, api_key
    finally:
        emulator.stop()


def demo_client(base_url: str, api_key: str) -> ActiveCampaignClient:
    """A paced client for the demo's own setup calls (creating lists, reading their sizes)."""
    state = StateBackend.from_settings(settings.current())
    return open_client(normalize_api_host(base_url), api_key, None, state)


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


@dataclass(frozen=True)
class DemoOutput:
    """Where the demo's Dagster events go: the terminal (verbose) or only the log file."""

    console: rich.console.Console
    log_file: Path
    verbose: bool

    def run_config(self) -> dict[str, Any] | None:
        """Run config for every demo run: Dagster's console logger silenced unless verbose."""
        return None if self.verbose else QUIET_RUN_CONFIG

    def record(self, instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> None:
        """Keep a finished run's events in the log file."""
        append_run_events(instance, result.run_id, self.log_file)


def run_pipeline(
    defs: dg.Definitions, instance: dg.DagsterInstance, project: ProjectConfig, output: DemoOutput
) -> list[str]:
    """Run `refresh`, `evaluate_segments`, then `export_lists` per accepted segment, as the sensors would."""
    started = time.monotonic()
    refresh = defs.resolve_job_def(REFRESH_JOB)
    result = refresh.execute_in_process(
        instance=instance, raise_on_error=False, run_config=output.run_config()
    )
    output.record(instance, result)
    if not result.success:
        return [f"profiles and measures: {_failure_text(result)}"]
    _echo(f"  sources, profiles and measures built in {time.monotonic() - started:.1f} s")
    segments = list(project.segments.segments)
    known = set(instance.get_dynamic_partitions(SEGMENTS_PARTITIONS))
    instance.add_dynamic_partitions(SEGMENTS_PARTITIONS, [s for s in segments if s not in known])
    accepted, failures = _evaluate_segments(defs, instance, segments, output)
    export_job = defs.resolve_job_def(EXPORT_LISTS_JOB)
    with export_progress(output.console):
        for segment in [s for s in segments if s in accepted]:
            result = export_job.execute_in_process(
                instance=instance, partition_key=segment, raise_on_error=False, run_config=output.run_config()
            )
            output.record(instance, result)
            if not result.success:
                output.console.print(f"  segment {segment}: [red]FAILED[/red] (see below)")
                failures.append(f"{segment}: {_failure_text(result)}")
    return failures


def _evaluate_segments(
    defs: dg.Definitions, instance: dg.DagsterInstance, segments: list[str], output: DemoOutput
) -> tuple[set[str], list[str]]:
    """Every segment's members in one run per range of partitions; the segments accepted, and failures."""
    started = time.monotonic()
    job = defs.resolve_job_def(EVALUATE_SEGMENTS_JOB)
    accepted: set[str] = set()
    failures: list[str] = []
    partitions = instance.get_dynamic_partitions(SEGMENTS_PARTITIONS)
    for block in plan_segment_ranges("demo", segments, partitions):
        tags = {RANGE_START_TAG: block.first, RANGE_END_TAG: block.last}
        result = job.execute_in_process(
            instance=instance, tags=tags, raise_on_error=False, run_config=output.run_config()
        )
        output.record(instance, result)
        done = {
            str(event.materialization.partition)
            for event in result.get_asset_materialization_events()
            if event.asset_key == SEGMENT_MEMBERS_KEY
        }
        accepted |= done
        if not result.success:
            failures.append(f"segments: {_failure_text(result)}")
    _echo(f"  {len(accepted)} of {len(segments)} segments evaluated in {time.monotonic() - started:.1f} s")
    return accepted, failures


def summarise(
    instance: dg.DagsterInstance, project: ProjectConfig, sizes: dict[int, int]
) -> list[SegmentOutcome]:
    """Read each segment's latest counts back from Dagster."""
    outcomes = []
    for segment in project.segments.segments:
        members = _latest_metadata(instance, SEGMENT_MEMBERS_KEY, segment).get("members")
        metadata = _latest_metadata(instance, EXPORT_ASSET_KEY, segment)
        export = ExportCounts.from_mapping(metadata) if metadata else None
        list_ids = [e.list_id for e in project.exports.for_segment(segment).values()]
        list_id = list_ids[0] if list_ids else None
        outcomes.append(SegmentOutcome(segment, members, export, list_id, sizes.get(list_id or -1), None))
    return outcomes


# (count, heading) of the demo's table after `members` and `list`: first the counts that add up to
# the members (the terminal's own), then the leavers and the time.
COLUMNS = (*MEMBER_COLUMNS, ("removed", "removed"), ("duration_s", "seconds"))


def print_summary(profiles: dict[str, Any], outcomes: list[SegmentOutcome]) -> None:
    """The demo's table: profiles from records, then per export what happened and what the list holds."""
    _echo()
    _echo(
        f"Unified {profiles.get('records', '?'):,} source records into {profiles.get('profiles', '?'):,} "
        f"profiles ({profiles.get('multi_source_profiles', '?'):,} from more than one source)."
    )
    _echo()
    table = rich.table.Table(box=rich.box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("segment")
    headings = ("members", "list", *(h for _, h in COLUMNS), "in list")
    for heading in headings:
        table.add_column(heading, justify="right")
    for o in outcomes:
        c = o.export
        cells = [str(getattr(c, name)) for name, _ in COLUMNS] if c else ["-"] * len(COLUMNS)
        # The export's own members, so that the row adds up (the segment's, if it has no export).
        members = c.members if c else o.members
        table.add_row(o.segment, _cell(members), _cell(o.list_id), *cells, _cell(o.list_members))
    rich.console.Console(width=200).print(table)
    _echo(
        "added … rejected add up to members; 'in list' is what the emulator reports as subscribed to the "
        "segment's list after the run."
    )


def _cell(value: int | None) -> str:
    return "-" if value is None else str(value)


def run_demo(verbose: bool = False, emulator_port: int | None = None) -> int:
    """Run the whole demo, the emulator on `emulator_port` (else 8787 or the next free port); exit code."""
    config_dir = settings.config_dir()
    try:
        project = load_project_config(config_dir)
        chosen = choose_port("the emulator", emulator_port, DEMO_EMULATOR_PORT, "--emulator-port")
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except PortBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if chosen.note:
        _echo(chosen.note)
    state_file = emulator_state_file(settings.warehouse_dir(), chosen.port)
    _echo(f"Starting the local ActiveCampaign emulator on 127.0.0.1:{chosen.port} (state: {state_file}) …")
    log_file = new_log_file(settings.warehouse_dir() / "logs")
    hint = "" if verbose else "; --verbose prints them here too"
    _echo(f"Dagster's run events go to {log_file}{hint}")
    output = DemoOutput(rich.console.Console(), log_file, verbose)
    try:
        return _run_against_emulator(config_dir, project, state_file, chosen, output)
    except EmulatorStartError:
        print(
            f"error: the emulator could not listen on 127.0.0.1:{chosen.port} (taken since it was found "
            "free?); run the demo again",
            file=sys.stderr,
        )
        return 2


def _run_against_emulator(
    config_dir: Path, project: ProjectConfig, state_file: Path, chosen: ChosenPort, output: DemoOutput
) -> int:
    # The same port (8787 whenever it is free) keeps the account's host, and with it the export
    # ledgers, the same across demo runs, so a second `make demo` sends only what changed.
    with demo_emulator(state_file, port=chosen.port) as (emulator, api_key):
        os.environ["ACTIVECAMPAIGN_API_HOST"] = emulator.base_url
        os.environ["ACTIVECAMPAIGN_API_KEY"] = api_key
        _echo(f"  listening on {emulator.base_url}")
        client = demo_client(emulator.base_url, api_key)
        ensure_lists(client, project)
        defs = build_definitions(config_dir)
        with dg.DagsterInstance.get() as instance:
            _echo("Running the pipeline through Dagster …")
            failures = run_pipeline(defs, instance, project, output)
            list_ids = sorted({e.list_id for e in project.exports.exports.values()})
            sizes = {list_id: client.count_list_contacts(list_id) for list_id in list_ids}
            profiles = _latest_metadata(instance, UNIFIED_PROFILES_KEY, None)
            print_summary(profiles, summarise(instance, project, sizes))
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0
