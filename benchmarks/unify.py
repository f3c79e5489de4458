"""Unification benchmark: source files → profiles (time, memory), and our linker beside Splink's.

One repetition runs three tasks, each in its own process: `unify` (ingest and unify, as the
pipeline does), `link_ours` and `link_splink` (the same rules on the same `records` table, from
blocking to clusters). Quality is scored afterwards against the generator's truth.
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl

from ac_export.contracts import PROFILE_SOURCES_TABLE
from ac_export.profiles.match import link_records
from ac_export.profiles.pipeline import build_profiles
from ac_export.profiles.quality import PairwiseQuality, pairwise_quality
from ac_export.profiles.sources_config import load_sources_config
from ac_export.profiles.unify_config import load_unify_config
from ac_export.synthetic.generate import TRUTH_FILE
from ac_export.synthetic.truth import read_truth, truth_table
from ac_export.warehouse import Warehouse
from benchmarks.agreement import cluster_agreement
from benchmarks.linking import Linked, LinkInput, timed_link
from benchmarks.probabilistic import write_model_config
from benchmarks.run_options import RunOptions
from benchmarks.worker import Figures, Params, peak_rss_bytes


def unify_task(params: Params) -> Figures:
    """Ingest every profile source of a generated folder and unify them into a fresh warehouse."""
    data_dir, config_dir = Path(params["data_dir"]), Path(params["config_dir"])
    sources = load_sources_config(config_dir)
    config = load_unify_config(config_dir, sources)
    started = time.perf_counter()
    build = build_profiles(Warehouse(Path(params["warehouse"])), sources, config, data_dir)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "unify_seconds": build.unified.seconds,
        "ingest_seconds": seconds - build.unified.seconds,
        "records": build.unified.records,
        "profiles": build.unified.profiles,
        "multi_source_profiles": build.unified.multi_source_profiles,
        "peak_rss_bytes": peak_rss_bytes(),
    }


def link_task(params: Params) -> Figures:
    """Our linker alone (normalise, block, compare, connected components) on the ingested records."""
    return timed_link(params, _link_ours)


def _link_ours(run: LinkInput) -> Linked:
    link_records(run.con, "records", run.config, run.sources)
    return Linked("SELECT rid, component AS cluster_id FROM clusters")


def unify_repetition(options: RunOptions, data_dir: Path, folder: Path) -> Figures:
    """One repetition of the unification scenario: its tasks, then quality and agreement."""
    warehouse = Warehouse(folder / "warehouse")
    base = {
        "data_dir": str(data_dir),
        "config_dir": str(options.config_dir),
        "warehouse": str(warehouse.root),
    }
    unified = options.task("unify", base, folder)
    truth = truth_table(read_truth(data_dir / TRUTH_FILE), load_sources_config(options.config_dir))
    ours = pairwise_quality(warehouse.read_frame(PROFILE_SOURCES_TABLE), truth)
    figures: Figures = {**_prefixed("unify", unified), **_prefixed("unify", _quality(ours))}
    ours_link = options.task("link_ours", {**base, "clusters": str(folder / "ours_clusters.parquet")}, folder)
    figures |= _prefixed("ours_link", ours_link)
    if not options.compare_splink:
        return figures
    splink = options.task(
        "link_splink", {**base, "clusters": str(folder / "splink_clusters.parquet")}, folder
    )
    figures |= _prefixed("splink_link", splink)
    splink_clusters = _as_profiles(pl.read_parquet(folder / "splink_clusters.parquet"))
    ours_clusters = _as_profiles(pl.read_parquet(folder / "ours_clusters.parquet"))
    figures |= _prefixed("splink", _quality(pairwise_quality(splink_clusters, truth)))
    figures |= _prefixed("agreement", cluster_agreement(ours_clusters, splink_clusters))
    figures["splink_time_ratio"] = splink["link_seconds"] / ours_link["link_seconds"]
    figures["splink_cpu_ratio"] = splink["link_cpu_seconds"] / max(ours_link["link_cpu_seconds"], 1e-9)
    figures["ours_link.f1"] = _quality(pairwise_quality(ours_clusters, truth))["f1"]
    return figures | probabilistic_race(options, base, folder, truth)


def link_race_repetition(options: RunOptions, data_dir: Path, warehouse: Warehouse, folder: Path) -> Figures:
    """Our rules and Splink's deterministic linking back to back on one ingested warehouse, nothing else.

    Odd repetitions run ours first, even ones Splink first, so a change in the machine's load between
    the two tasks does not always favour the same side.
    """
    base = {"config_dir": str(options.config_dir), "warehouse": str(warehouse.root)}
    order = [("link_ours", "ours_link"), ("link_splink", "splink_link")][: 2 if options.compare_splink else 1]
    if int(folder.name.rpartition("-")[2]) % 2 == 0:  # the runner names repetitions run-1, run-2, ...
        order.reverse()
    figures: Figures = {"ours_first": order[0][0] == "link_ours"}
    for task, prefix in order:
        params = {**base, "clusters": str(folder / f"{prefix}_clusters.parquet")}
        figures |= _prefixed(prefix, options.task(task, params, folder))
    truth = truth_table(read_truth(data_dir / TRUTH_FILE), load_sources_config(options.config_dir))
    ours = _as_profiles(pl.read_parquet(folder / "ours_link_clusters.parquet"))
    figures |= _prefixed("ours_link", _quality(pairwise_quality(ours, truth)))
    if not options.compare_splink:
        return figures
    splink = _as_profiles(pl.read_parquet(folder / "splink_link_clusters.parquet"))
    figures |= _prefixed("splink", _quality(pairwise_quality(splink, truth)))
    figures |= _prefixed("agreement", cluster_agreement(ours, splink))
    figures["splink_time_ratio"] = figures["splink_link.link_seconds"] / figures["ours_link.link_seconds"]
    figures["splink_cpu_ratio"] = figures["splink_link.link_cpu_seconds"] / max(
        figures["ours_link.link_cpu_seconds"], 1e-9
    )
    return figures


def probabilistic_race(options: RunOptions, base: Params, folder: Path, truth: pl.DataFrame) -> Figures:
    """Our probabilistic model and Splink's, same records and model (`benchmarks.probabilistic`)."""
    config = write_model_config(options.config_dir, folder / "probabilistic_config")
    params = {**base, "config_dir": str(config)}
    figures: Figures = {}
    clusters = {}
    for task, prefix in (("link_ours_probabilistic", "ours_fs"), ("link_splink_probabilistic", "splink_fs")):
        path = folder / f"{prefix}_clusters.parquet"
        figures |= _prefixed(prefix, options.task(task, {**params, "clusters": str(path)}, folder))
        clusters[prefix] = _as_profiles(pl.read_parquet(path))
        figures |= _prefixed(prefix, _quality(pairwise_quality(clusters[prefix], truth)))
    figures |= _prefixed("fs_agreement", cluster_agreement(clusters["ours_fs"], clusters["splink_fs"]))
    figures["fs_time_ratio"] = figures["splink_fs.link_seconds"] / figures["ours_fs.link_seconds"]
    figures["fs_cpu_ratio"] = figures["splink_fs.link_cpu_seconds"] / max(
        figures["ours_fs.link_cpu_seconds"], 1e-9
    )
    return figures


def _as_profiles(clusters: pl.DataFrame) -> pl.DataFrame:
    """Clusters in the shape `pairwise_quality` reads: source, source_key, customer_id."""
    return clusters.select("source", "source_key", customer_id=pl.col("cluster_id").cast(pl.String))


def _quality(quality: PairwiseQuality) -> Figures:
    return {
        "precision": quality.precision,
        "recall": quality.recall,
        "f1": quality.f1,
        "true_pairs": quality.true_pairs,
        "found_pairs": quality.found_pairs,
    }


def _prefixed(prefix: str, figures: Figures) -> Figures:
    return {f"{prefix}.{key}": value for key, value in figures.items()}
