"""Segments benchmark: customer measures, then ten segments evaluated and recorded, over N profiles.

The profiles come from the generator's data run through the real pipeline once (`prepare_task`:
ingest every source, unify); each repetition then evaluates from scratch, as a first run does:
`customer_measures`, and for each segment its members staged and committed as spells.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from ac_export.contracts import MEASURES_TABLE, PROFILE_SOURCES_TABLE, PROFILES_TABLE, activity_table
from ac_export.profiles.ingest import ingest_activity_source
from ac_export.profiles.pipeline import build_profiles
from ac_export.profiles.sources_config import load_sources_config
from ac_export.profiles.unify_config import load_unify_config
from ac_export.segments.config import SegmentsConfig
from ac_export.segments.loading import load_project_segments
from ac_export.segments.measures import compile_measures
from ac_export.segments.membership import commit_membership, stage_membership
from ac_export.segments.rules import compile_segment
from ac_export.warehouse import Warehouse
from benchmarks.run_options import RunOptions
from benchmarks.worker import Figures, Params, peak_rss_bytes

SEGMENTS = 10
PREPARED_MARK = ".prepared"


def prepared_warehouse(options: RunOptions, data_dir: Path) -> Warehouse:
    """The warehouse with every source ingested and unified for a data folder, built once."""
    warehouse = Warehouse(options.root / "pipeline" / data_dir.name)
    mark, fingerprint = warehouse.root / PREPARED_MARK, config_fingerprint(options.config_dir)
    if not (mark.exists() and mark.read_text() == fingerprint and warehouse.exists(PROFILES_TABLE)):
        shutil.rmtree(warehouse.root, ignore_errors=True)
        params = {
            "data_dir": str(data_dir),
            "config_dir": str(options.config_dir),
            "warehouse": str(warehouse.root),
        }
        options.task("prepare_pipeline", params, options.root / "pipeline" / "tasks")
        mark.write_text(fingerprint)
    return warehouse


def config_fingerprint(config_dir: Path) -> str:
    """A digest of the configuration files, so a changed sources or unify file rebuilds the profiles."""
    digest = hashlib.sha256()
    for path in sorted(config_dir.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def prepare_task(params: Params) -> Figures:
    """Ingest every profile and activity source of a data folder, and unify the profiles."""
    data_dir, warehouse = Path(params["data_dir"]), Warehouse(Path(params["warehouse"]))
    config_dir = Path(params["config_dir"])
    sources = load_sources_config(config_dir)
    started = time.perf_counter()
    build = build_profiles(warehouse, sources, load_unify_config(config_dir, sources), data_dir)
    for name, source in sources.activity_sources.items():
        ingest_activity_source(warehouse, name, source, data_dir)
    return {"seconds": time.perf_counter() - started, "profiles": build.unified.profiles}


def segments_task(params: Params) -> Figures:
    """Compute customer measures and evaluate the first `segments` segments, each timed."""
    warehouse = Warehouse(Path(params["warehouse"]))
    config = load_project_segments(Path(params["config_dir"]))
    shutil.rmtree(warehouse.root / "segments", ignore_errors=True)
    names = list(config.segments)[: int(params["segments"])]
    started = time.perf_counter()
    activities = sorted({name for measure in config.measures.values() for name in measure.activity})
    query = compile_measures(
        config,
        warehouse.scan(PROFILES_TABLE),
        warehouse.scan(PROFILE_SOURCES_TABLE),
        {name: warehouse.scan(activity_table(name)) for name in activities},
    )
    with closing(warehouse.connect()) as con:
        profiles = warehouse.write_query(MEASURES_TABLE, con, query.sql, query.params)
    measured = time.perf_counter()
    figures: Figures = {"profiles": profiles, "segments": len(names), "measures": len(config.measures)}
    for name in names:
        figures |= _evaluate(warehouse, config, name)
    finished = time.perf_counter()
    return figures | {
        "seconds": finished - started,
        "measures_seconds": measured - started,
        "segments_seconds": finished - measured,
        "peak_rss_bytes": peak_rss_bytes(),
    }


def _evaluate(warehouse: Warehouse, config: SegmentsConfig, name: str) -> Figures:
    """Stage and commit one segment's membership; its seconds and member count."""
    started = time.perf_counter()
    query = compile_segment(config, name, warehouse.scan(PROFILES_TABLE), warehouse.scan(MEASURES_TABLE))
    with closing(warehouse.connect()) as con:
        change = stage_membership(con, warehouse, name, query)
        commit_membership(con, warehouse, name, datetime.now(UTC).replace(tzinfo=None))
    return {f"{name}.seconds": time.perf_counter() - started, f"{name}.members": change.members}


def segments_repetition(options: RunOptions, warehouse: Warehouse, folder: Path) -> Figures:
    """One repetition of the segments scenario over a prepared warehouse."""
    params = {
        "warehouse": str(warehouse.root),
        "config_dir": str(options.config_dir),
        "segments": SEGMENTS,
    }
    return options.task("segments", params, folder)
