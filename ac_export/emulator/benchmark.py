"""Measure bulk import throughput: `python -m ac_export.emulator.benchmark` (median of 3 runs).

A real httpx client posts 250-contact requests to a subprocess emulator (limits off, no processing
delay), then confirms every batch through `import/info`; the figure is contacts per second end to end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson
import psutil

from ac_export.emulator.process import EmulatorProcess

API_KEY = "benchmark-key"
CHUNK = 250
# Limits off and no processing delay: the figure is the emulator's own speed, not ActiveCampaign's pace.
EMULATOR_FLAGS = ("--no-rate-limit", "--processing-delay", "0", "--list", "Bench", "--field", "TIER")


def payloads(contacts: int, list_id: int = 1) -> list[bytes]:
    """Bulk import bodies of up to 250 contacts each, shaped like the exporter's."""
    rows = [
        {
            "email": f"person{i}@example.com",
            "first_name": f"First{i}",
            "last_name": f"Last{i}",
            "phone": f"+1202555{i % 10000:04d}",
            "tags": ["benchmark"],
            "fields": [{"id": 1, "value": f"tier{i % 3}"}],
            "subscribe": [{"listid": list_id}],
        }
        for i in range(contacts)
    ]
    return [orjson.dumps({"contacts": rows[i : i + CHUNK]}) for i in range(0, contacts, CHUNK)]


def _post_all(base_url: str, bodies: list[bytes], concurrency: int) -> list[str]:
    """Post every body over `concurrency` keep-alive connections; the batch ids in order."""
    headers = {"Api-Token": API_KEY, "Content-Type": "application/json"}
    with httpx.Client(
        base_url=base_url, headers=headers, timeout=60.0, limits=httpx.Limits(max_connections=concurrency)
    ) as client:

        def post(body: bytes) -> str:
            """Post one body; its batch id."""
            response = client.post("/api/3/import/bulk_import", content=body)
            response.raise_for_status()
            return response.json()["batchId"]

        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(post, bodies))


def _confirm_all(base_url: str, batch_ids: list[str]) -> int:
    """Poll `import/info` until every batch is completed; the number of contacts confirmed."""
    confirmed = 0
    with httpx.Client(base_url=base_url, headers={"Api-Token": API_KEY}, timeout=60.0) as client:
        for batch_id in batch_ids:
            while True:
                info = client.get("/api/3/import/info", params={"batchId": batch_id}).json()
                if info["status"] == "completed":
                    confirmed += len(info["success"])
                    break
                time.sleep(0.001)
    return confirmed


def run_once(contacts: int, concurrency: int) -> dict[str, Any]:
    """One timed run against a fresh emulator process."""
    bodies = payloads(contacts)
    emulator = EmulatorProcess(["--api-key", API_KEY, *EMULATOR_FLAGS])
    try:
        server = psutil.Process(emulator.process.pid)
        cpu_before, started = _cpu_s(server), time.perf_counter()
        batch_ids = _post_all(emulator.base_url, bodies, concurrency)
        confirmed = _confirm_all(emulator.base_url, batch_ids)
        elapsed, server_cpu = time.perf_counter() - started, _cpu_s(server) - cpu_before
    finally:
        emulator.stop()
    if confirmed != contacts:
        raise RuntimeError(f"only {confirmed} of {contacts} contacts were confirmed")
    # Other processes on the machine slow the wall clock; the emulator's own CPU time does not lie.
    return {
        "contacts": contacts,
        "requests": len(bodies),
        "seconds": round(elapsed, 3),
        "contacts_per_s": round(contacts / elapsed),
        "emulator_cpu_s": round(server_cpu, 3),
        "contacts_per_emulator_cpu_s": round(contacts / server_cpu),
        "load_average_1m": os.getloadavg()[0],
    }


def _cpu_s(process: psutil.Process) -> float:
    """User plus system CPU seconds a process has used."""
    times = process.cpu_times()
    return times.user + times.system


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print each run and the median."""
    parser = argparse.ArgumentParser(prog="python -m ac_export.emulator.benchmark", description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000, help="contacts per run (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="runs; the median is reported (default 3)")
    parser.add_argument("--concurrency", type=int, default=4, help="parallel connections (default 4)")
    args = parser.parse_args(argv)
    results = []
    for number in range(1, args.runs + 1):
        results.append(run_once(args.contacts, args.concurrency))
        print(f"run {number}: {orjson.dumps(results[-1]).decode()}", flush=True)
    wall = statistics.median(r["contacts_per_s"] for r in results)
    cpu = statistics.median(r["contacts_per_emulator_cpu_s"] for r in results)
    print(
        f"median of {args.runs} runs: {round(wall)} contacts/s end to end; "
        f"{round(cpu)} contacts per CPU-second of the emulator",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
