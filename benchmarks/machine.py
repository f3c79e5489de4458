"""What a benchmark ran on: cores, memory, CPU model, OS, Python and library versions, load."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

LIBRARIES = (
    "duckdb",
    "polars",
    "pyarrow",
    "numpy",
    "scipy",
    "splink",
    "email-validator",
    "phonenumbers",
    "httpx",
    "uvicorn",
    "starlette",
    "dagster",
)


def describe_machine() -> dict[str, object]:
    """The machine and software a benchmark runs on, and how loaded the machine is right now."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "memory_bytes": psutil.virtual_memory().total,
        "cpu_model": cpu_model(),
        "os": os_name(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "libraries": library_versions(),
        "load_average": load_average(),
    }


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The `model name` line of /proc/cpuinfo, or what the platform module knows."""
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    return platform.processor() or "unknown"


def os_name(os_release: Path = Path("/etc/os-release")) -> str:
    """The distribution's PRETTY_NAME, or the platform string."""
    if os_release.exists():
        for line in os_release.read_text(errors="replace").splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.partition("=")[2].strip().strip('"')
    return platform.platform()


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries the figures depend on ('not installed' when absent)."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: other work competing for the cores."""
    return [round(value, 2) for value in os.getloadavg()]
