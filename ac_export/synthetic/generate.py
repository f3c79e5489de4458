"""`generate`: a complete synthetic data folder in the shape of the Contoso demo data, at any size.

The folder holds `sources/` (the six Contoso files), `config/` (a copy of the project's YAML files),
`truth.csv` (which profile records are the same person) and `manifest.json` (what was asked and made).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ac_export.synthetic.activities import ONLINE_FILE, POS_FILE, REVIEWS_FILE, build_activities
from ac_export.synthetic.options import GenerateOptions
from ac_export.synthetic.people import build_people
from ac_export.synthetic.records import CONTACT_FILE, CRM_FILE, LOYALTY_FILE, build_profile_sources

SOURCES_DIR = "sources"
CONFIG_DIR = "config"
TRUTH_FILE = "truth.csv"
MANIFEST_FILE = "manifest.json"
SOURCE_FILES = (CONTACT_FILE, LOYALTY_FILE, CRM_FILE, ONLINE_FILE, POS_FILE, REVIEWS_FILE)


@dataclass(frozen=True)
class GenerationResult:
    """What one run made: where, how many rows per file, which config files it copied, how long it took."""

    out: Path
    rows: dict[str, int]
    config_files: list[str]
    seconds: float


def generate(out: Path, options: GenerateOptions, config_source: Path | None = None) -> GenerationResult:
    """Write the sources, truth.csv, a copy of `config_source/*.yaml` and manifest.json into `out`."""
    started = time.perf_counter()
    people = build_people(options)
    profiles = build_profile_sources(people, options)
    del people  # the largest frame; freeing it early keeps a million-person run's peak memory down
    activities = build_activities(profiles.contacts["ContactId"], profiles.loyalty["LoyaltyId"], options)
    frames = {
        CONTACT_FILE: profiles.contacts,
        LOYALTY_FILE: profiles.loyalty,
        CRM_FILE: profiles.crm,
        ONLINE_FILE: activities.online,
        POS_FILE: activities.pos,
        REVIEWS_FILE: activities.reviews,
    }
    (out / SOURCES_DIR).mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        write_csv(frame, out / SOURCES_DIR / name)
    write_csv(profiles.truth, out / TRUTH_FILE)
    config_files = copy_config(config_source, out / CONFIG_DIR) if config_source else []
    rows = {name: frame.height for name, frame in frames.items()} | {TRUTH_FILE: profiles.truth.height}
    result = GenerationResult(out, rows, config_files, round(time.perf_counter() - started, 3))
    write_manifest(result, options)
    return result


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write in Contoso's dialect (comma, LF, quotes only where needed, empty for missing), atomically."""
    partial = path.with_name(path.name + ".partial")
    frame.write_csv(partial, line_terminator="\n", null_value="", quote_style="necessary")
    os.replace(partial, path)


def copy_config(source: Path, target: Path) -> list[str]:
    """Copy the YAML configuration files so the output is a data folder the project runs on unchanged."""
    files = sorted(source.glob("*.yaml")) if source.is_dir() else []
    if not files or source.resolve() == target.resolve():
        return []
    target.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copyfile(file, target / file.name)
    return [file.name for file in files]


def write_manifest(result: GenerationResult, options: GenerateOptions) -> None:
    """manifest.json: the options (seed and rates), row counts, copied config files and seconds taken."""
    manifest = {
        "generator": "ac-export generate",
        "options": options.model_dump(mode="json"),
        "rows": result.rows,
        "config_files": result.config_files,
        "seconds": result.seconds,
    }
    (result.out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
