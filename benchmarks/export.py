"""Export benchmarks against the local emulator: throughput, pacing, incremental re-export, memory.

The emulator runs in its own process; the export runs in a worker process through the same
`ActiveCampaignResource` and `run_export` a Dagster run uses, so the figures are end to end
(preflight, plan, upload, confirm, record) and the peak memory is the exporting process's own.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import httpx
import psutil

from ac_export.emulator.process import EmulatorProcess
from ac_export.warehouse import Warehouse
from benchmarks.export_data import ATTRIBUTE_TYPES, SEGMENT, change_one_percent, write_export_tables
from benchmarks.run_options import RunOptions
from benchmarks.worker import Figures, Params, cpu_seconds, peak_rss_bytes

API_KEY = "bench-key"
LIST_NAME = "bench"
LIST_ID = 1  # the emulator numbers lists created at start-up from 1
CUSTOM_FIELD = "LOYALTY_TIER"
# ActiveCampaign's floor for bulk imports: 100 requests a minute of at most 250 contacts each.
CONTACTS_PER_MINUTE = 25_000


def run_against(options: RunOptions, task: str, params: Params, folder: Path, *emulator_args: str) -> Figures:
    """Run an export task against a fresh emulator; adds the CPU time the emulator spent meanwhile."""
    process = EmulatorProcess(
        ["--api-key", API_KEY, "--list", LIST_NAME, "--field", CUSTOM_FIELD, *emulator_args]
    )
    try:
        emulator_cpu = psutil.Process(process.process.pid)
        before = sum(emulator_cpu.cpu_times()[:2])
        figures = options.task(task, params | {"base_url": process.base_url}, folder)
        return figures | {"emulator_cpu_seconds": sum(emulator_cpu.cpu_times()[:2]) - before}
    finally:
        process.stop()


def export_task(params: Params) -> Figures:
    """One export of the bench segment from a cold ledger; its figures and the worker's peak memory."""
    warehouse = Warehouse(Path(params["warehouse"]))
    shutil.rmtree(warehouse.root / "ledger", ignore_errors=True)
    figures = export_figures(params, warehouse)
    return figures | {"peak_rss_bytes": peak_rss_bytes()}


def incremental_task(params: Params) -> Figures:
    """A full export, then 1% of the members change, then the re-export: both exports' figures."""
    warehouse = Warehouse(Path(params["warehouse"]))
    shutil.rmtree(warehouse.root / "ledger", ignore_errors=True)
    full = export_figures(params, warehouse)
    changes = change_one_percent(warehouse)
    again = export_figures(params, warehouse)
    figures = {f"full.{k}": v for k, v in full.items()} | {f"incremental.{k}": v for k, v in again.items()}
    return figures | {
        **{f"changes.{k}": v for k, v in changes.items()},
        "requests_ratio": again["requests"] / full["requests"],
        "time_ratio": again["seconds"] / full["seconds"],
    }


def export_figures(params: Params, warehouse: Warehouse, *, full_reconcile: bool = False) -> Figures:
    """Run one export with the resource configured as the params say; time it and count its work."""
    from ac_export.activecampaign.config import Export, FieldMapping
    from ac_export.activecampaign.list_export import ExportRequest, run_export
    from ac_export.defs.activecampaign.resources import ActiveCampaignResource
    from ac_export.state.backend import StateBackend

    scale = float(params["time_scale"])
    list_id = int(params.get("list_id", LIST_ID))
    resource = ActiveCampaignResource(
        api_host=params["base_url"],
        api_key=API_KEY,
        pace=bool(params["pace"]),
        time_scale=scale,
        poll_interval_s=float(params["poll_interval_s"]),
    )
    export = Export(
        segment=SEGMENT,
        connection="bench",
        list_id=list_id,
        fields=FieldMapping(
            first_name="first_name",
            last_name="last_name",
            phone="phone",
            custom={CUSTOM_FIELD: "loyalty_tier"},
        ),
        tags=["bench"],
    )
    name = "bench_export" if list_id == LIST_ID else f"bench_export_{list_id}"
    request = ExportRequest(
        name, export, resource.host().host, ATTRIBUTE_TYPES, full_reconcile=full_reconcile
    )
    log = _PlanClock()
    state = StateBackend()
    if params.get("state_dsn"):
        folder = params.get("ledger_cache_dir")
        caches = {"ledger_cache_dir": Path(folder)} if folder else {}
        state = StateBackend("postgres", params["state_dsn"], **caches)
    client = resource.get_client(state)
    server_before = _server_requests(params["base_url"])
    started_at, started, cpu_started = time.time(), time.perf_counter(), cpu_seconds()
    result = run_export(request, client, warehouse, resource.upload_settings(False), log.logger, state=state)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    client.close()
    sent = result.counts.sent
    return {
        **result.counts.as_dict(),
        # The bench's own clock, around the whole run, replaces the export's duration and rate.
        "seconds": seconds,
        "started_at": started_at,
        "ended_at": started_at + seconds,
        "plan_seconds": (log.planned_at or started) - started,
        "export_cpu_seconds": cpu,
        "sent": sent,
        "contacts_per_s": sent / seconds,
        "list_size": result.list_size,
        "server_requests": _server_requests(params["base_url"]) - server_before,
    }


def _server_requests(base_url: str) -> int:
    """API requests the emulator has answered so far (its control endpoints are not counted)."""
    return int(httpx.get(f"{base_url}/_emulator/stats").json()["requests"])


class _PlanClock(logging.Handler):
    """Notes when the export logs its plan line, which it does as soon as the plan is ready."""

    def __init__(self) -> None:
        super().__init__()
        self.planned_at: float | None = None
        self.logger = logging.getLogger(f"benchmarks.export.{id(self)}")
        self.logger.setLevel(logging.INFO)
        self.logger.propagate = False
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the time of the first plan line."""
        if self.planned_at is None and "→ list" in record.getMessage():
            self.planned_at = time.perf_counter()


def prepared_export_warehouse(root: Path, contacts: int) -> Warehouse:
    """A warehouse holding the synthetic profiles and members of `contacts` contacts."""
    warehouse = Warehouse(root / "export" / f"contacts-{contacts}")
    shutil.rmtree(warehouse.root, ignore_errors=True)
    write_export_tables(warehouse, contacts)
    return warehouse


UNLIMITED = ("--no-rate-limit", "--processing-delay", "0")


def throughput_repetition(options: RunOptions, contacts: int, folder: Path) -> Figures:
    """A cold export to an emulator with its limits off and no processing delay."""
    warehouse = prepared_export_warehouse(options.root, contacts)
    params = {"warehouse": str(warehouse.root), "pace": False, "time_scale": 1.0, "poll_interval_s": 0.0}
    figures = run_against(options, "export", params, folder, *UNLIMITED)
    return figures | _per_cpu_second(figures)


def pacing_repetition(options: RunOptions, contacts: int, folder: Path) -> Figures:
    """A cold export with ActiveCampaign's real limits, emulator and pacing both time-scaled."""
    scale = options.pacing_time_scale
    warehouse = prepared_export_warehouse(options.root, contacts)
    params = {"warehouse": str(warehouse.root), "pace": True, "time_scale": scale, "poll_interval_s": 1.0}
    figures = run_against(options, "export", params, folder, "--time-scale", str(scale))
    floor = figures["sent"] / CONTACTS_PER_MINUTE * 60.0 / scale
    return figures | {"time_scale": scale, "floor_seconds": floor, "floor_ratio": figures["seconds"] / floor}


def incremental_repetition(options: RunOptions, contacts: int, folder: Path) -> Figures:
    """A full export, 1% of the members changed, and the re-export, limits off."""
    warehouse = prepared_export_warehouse(options.root, contacts)
    params = {"warehouse": str(warehouse.root), "pace": False, "time_scale": 1.0, "poll_interval_s": 0.0}
    return run_against(options, "export_incremental", params, folder, *UNLIMITED)


def _per_cpu_second(figures: Figures) -> Figures:
    """Contacts per CPU-second of the exporter and of the emulator: what the load on the machine hides."""
    return {
        "contacts_per_exporter_cpu_s": figures["sent"] / max(figures["export_cpu_seconds"], 1e-9),
        "contacts_per_emulator_cpu_s": figures["sent"] / max(figures["emulator_cpu_seconds"], 1e-9),
    }
