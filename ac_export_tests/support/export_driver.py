"""Run one export in its own process, so tests can kill it (SIGKILL) or run several at once.

`python -m ac_export_tests.support.export_driver SPEC.json` reads an `ExportSpec` and runs
`run_export` over the warehouse it names, with the API key from the environment (never argv, which
`ps` shows). On success it writes the counts as JSON next to the spec. It imports no Dagster, so it
starts fast.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.hosts import normalize_api_host
from ac_export.activecampaign.api.limits import Limits
from ac_export.activecampaign.config import Export
from ac_export.activecampaign.list_export import ExportRequest, run_export
from ac_export.activecampaign.upload import UploadSettings
from ac_export.state.backend import DSN_ENV, StateBackend
from ac_export.state.pacer import AccountPacer, NoPacing
from ac_export.warehouse import Warehouse

KEY_ENV = "AC_EXPORT_TEST_API_KEY"


@dataclass
class ExportSpec:
    """Everything one export process needs; `export` is an `Export` as a plain mapping."""

    name: str
    export: dict[str, Any]
    api_host: str
    warehouse: str
    attribute_types: dict[str, str]
    pace: bool = False
    time_scale: float = 1.0
    pacing_dir: str | None = None
    poll_interval_s: float = 0.02
    # "postgres": ledger and pacer in the database whose DSN is in AC_EXPORT_STATE_DSN (see `start`).
    state: str = "embedded"
    extra: dict[str, Any] = field(default_factory=dict)

    def write(self, path: Path) -> Path:
        """Save the spec as JSON; returns its path."""
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")
        return path


def result_path(spec_path: Path) -> Path:
    """Where the driver writes the export's counts once it finished."""
    return spec_path.with_suffix(".result.json")


def start(
    spec_path: Path, api_key: str, log_path: Path, state_dsn: str | None = None
) -> subprocess.Popen[bytes]:
    """Start the driver on a spec; its output goes to `log_path`. The DSN goes by environment, as in use."""
    env = {**os.environ, KEY_ENV: api_key}
    if state_dsn:
        env[DSN_ENV] = state_dsn
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "ac_export_tests.support.export_driver", str(spec_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )


def finish(process: subprocess.Popen[bytes], timeout_s: float) -> int:
    """The driver's exit code; a driver still running after `timeout_s` is killed, never left behind."""
    try:
        return process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def run(spec_path: Path) -> dict[str, Any]:
    """Run the export a spec describes; returns its counts."""
    spec = ExportSpec(**json.loads(spec_path.read_text(encoding="utf-8")))
    host = normalize_api_host(spec.api_host)
    state = StateBackend(spec.state, os.environ.get(DSN_ENV))  # type: ignore[arg-type]
    pacer: AccountPacer | NoPacing = NoPacing()
    if spec.pace and spec.state == "postgres":
        pacer = state.pacer(host.host, Limits(time_scale=spec.time_scale))
    elif spec.pace:
        folder = Path(spec.pacing_dir) if spec.pacing_dir else None
        pacer = AccountPacer(host.host, Limits(time_scale=spec.time_scale), folder)
    export = Export.model_validate(spec.export)
    request = ExportRequest(spec.name, export, host.host, spec.attribute_types)
    settings = UploadSettings(poll_interval_s=spec.poll_interval_s)
    with ActiveCampaignClient(host.base_url, os.environ[KEY_ENV], pacer=pacer) as client:
        warehouse = Warehouse(spec.warehouse)
        result = run_export(request, client, warehouse, settings, logging.getLogger("driver"), state=state)
    return result.counts.as_dict()


def main() -> int:
    """Entry point: run the spec given as the only argument and write its counts."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    spec_path = Path(sys.argv[1])
    counts = run(spec_path)
    result_path(spec_path).write_text(json.dumps(counts), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
