"""Segments benchmark: customer measures, then ten segments evaluated and recorded, over N profiles.

The profiles come from the generator's data run through the real pipeline once (`prepare_task`:
ingest every source, unify); each repetition then evaluates from scratch, as a first run does:
`customer_measures`, and for each segment its members staged and committed as spells (one join of
profiles and measures for all ten, as `segment_members` does), then the same ten segments again
through Dagster: one `evaluate_segments` run over their partition range.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from ac_export.automation.tags import RANGE_END_TAG, RANGE_START_TAG
from ac_export.contracts import (
    MEASURES_TABLE,
    PROFILE_SOURCES_TABLE,
    PROFILES_TABLE,
    SEGMENTS_PARTITIONS,
    activity_table,
)
from ac_export.definitions import build_definitions
from ac_export.defs.automation.jobs import EVALUATE_SEGMENTS_JOB
from ac_export.defs.resources import WarehouseResource
from ac_export.profiles.ingest import ingest_activity_source
from ac_export.profiles.pipeline import build_profiles
from ac_export.profiles.sources_config import load_sources_config
from ac_export.profiles.unify_config import load_unify_config
from ac_export.segments.config import SegmentsConfig
from ac_export.segments.evaluation import SegmentEvaluator
from ac_export.segments.loading import load_project_segments
from ac_export.segments.measures import compile_measures
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
    figures |= _evaluate(warehouse, config, names)
    finished = time.perf_counter()
    return figures | {
        "seconds": finished - started,
        "measures_seconds": measured - started,
        "segments_seconds": finished - measured,
        "peak_rss_bytes": peak_rss_bytes(),
    }


def _evaluate(warehouse: Warehouse, config: SegmentsConfig, names: list[str]) -> Figures:
    """Stage and commit every segment's membership over one join, as `segment_members` does; each timed."""
    figures: Figures = {}
    now = datetime.now(UTC).replace(tzinfo=None)
    with closing(warehouse.connect()) as con:
        evaluator = SegmentEvaluator(con, warehouse, config, names, (PROFILES_TABLE, MEASURES_TABLE))
        for name in names:
            started = time.perf_counter()
            change = evaluator.stage(name)
            evaluator.commit(name, now)
            figures |= {f"{name}.seconds": time.perf_counter() - started, f"{name}.members": change.members}
    return figures


def dagster_task(params: Params) -> Figures:
    """The same segments through Dagster: one `evaluate_segments` run over their partition range.

    Timed from the launch of the run (in process, a fresh instance) to its end, Dagster's own work
    included: run and step start, one materialization and guard result per segment.
    """
    warehouse, config_dir = Warehouse(Path(params["warehouse"])), Path(params["config_dir"])
    shutil.rmtree(warehouse.root / "segments" / "members", ignore_errors=True)
    names = list(load_project_segments(config_dir).segments)[: int(params["segments"])]
    job = build_definitions(config_dir).resolve_job_def(EVALUATE_SEGMENTS_JOB)
    resources = {"warehouse": WarehouseResource(root=str(warehouse.root))}
    with tempfile.TemporaryDirectory() as home, dg.instance_for_test(temp_dir=home) as instance:
        instance.add_dynamic_partitions(SEGMENTS_PARTITIONS, names)
        started = time.perf_counter()
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={RANGE_START_TAG: names[0], RANGE_END_TAG: names[-1]},
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
            resources=resources,
        )
        seconds = time.perf_counter() - started
    partitions = {e.materialization.partition for e in result.get_asset_materialization_events()}
    return {
        "dagster_seconds": seconds,
        "dagster_success": int(result.success),
        "materialized": len(partitions),
    }


def segments_repetition(options: RunOptions, warehouse: Warehouse, folder: Path) -> Figures:
    """One repetition of the segments scenario over a prepared warehouse."""
    params = {
        "warehouse": str(warehouse.root),
        "config_dir": str(options.config_dir),
        "segments": SEGMENTS,
    }
    figures = options.task("segments", params, folder)
    through_dagster = options.task("segments_dagster", params, folder)
    # The worker's own figures (CPU time, peak memory, load) stay apart from the engine task's.
    return figures | {
        key if key.startswith("dagster") or key == "materialized" else f"dagster.{key}": value
        for key, value in through_dagster.items()
    }
