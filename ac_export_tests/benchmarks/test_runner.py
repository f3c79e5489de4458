"""Smoke test of `python -m benchmarks`: every scenario at a tiny size; structure and sanity, not speed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest

from benchmarks.agreement import adjusted_rand, cluster_agreement
from benchmarks.cli import build_parser, run_bench
from benchmarks.machine import describe_machine
from benchmarks.postgres import unavailable_reason
from benchmarks.run_options import RunOptions
from benchmarks.runner import RESULTS_FILE, TABLE_FILE, median_figures, run_benchmarks
from benchmarks.scenarios import SCENARIOS, Goal
from benchmarks.worker import run_task

TINY = 300
HAS_SPLINK = importlib.util.find_spec("splink") is not None
# The scenarios past one machine start their own PostgreSQL cluster; without one they are left out.
NEEDS_POSTGRES = {"shared_pacing", "pacer_overhead"}
# Smoke-tested on their own (test_ledger_transfer.py).
ELSEWHERE = {"ledger_transfer", "ledger_transfer_engine"}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Every scenario once at a tiny size, tasks in this process, as recorded in bench-results.json."""
    root = tmp_path_factory.mktemp("bench")
    options = RunOptions(root=root, compare_splink=HAS_SPLINK, pacing_time_scale=60.0, isolate=False)
    names = [
        name
        for name in SCENARIOS
        if name not in ELSEWHERE and (name not in NEEDS_POSTGRES or unavailable_reason() is None)
    ]
    run_benchmarks(names, repeat=1, size=TINY, options=options, command="python -m benchmarks (test)")
    assert (root / TABLE_FILE).read_text().count("### ") == len(names)
    return json.loads((root / RESULTS_FILE).read_text())


def _medians(results: dict[str, dict], name: str) -> dict[str, float]:
    record = results[name]
    assert record["repeat"] == 1 and record["size"] == TINY and record["machine"]["cores"] >= 1
    return record["medians"]


def test_unify_scores_lie_between_zero_and_one(results: dict[str, dict]) -> None:
    figures = _medians(results, "unify")
    assert 0 < figures["unify.profiles"] <= figures["unify.records"]
    assert figures["unify.records"] == figures["ours_link.records"]
    for key in ("unify.precision", "unify.recall", "unify.f1"):
        assert 0.0 <= figures[key] <= 1.0
    assert figures["unify.peak_rss_bytes"] > 0 and figures["unify.seconds"] > 0


@pytest.mark.skipif(not HAS_SPLINK, reason="Splink is in the bench extra")
def test_splink_runs_the_same_rules_on_the_same_records(results: dict[str, dict]) -> None:
    figures = _medians(results, "unify")
    assert figures["splink_link.records"] == figures["ours_link.records"]
    assert figures["agreement.records"] == figures["unify.records"]
    for key in ("splink.precision", "splink.recall", "agreement.first_links_in_second"):
        assert 0.0 <= figures[key] <= 1.0
    assert -1.0 <= figures["agreement.adjusted_rand"] <= 1.0
    assert figures["splink_time_ratio"] > 0


def test_the_link_race_scores_our_rules_and_alternates_who_goes_first(results: dict[str, dict]) -> None:
    record = results["link_race"]
    figures, run = record["medians"], record["runs"][0]
    assert figures["ours_link.records"] > 0 and 0.0 <= figures["ours_link.f1"] <= 1.0
    assert figures["ours_link.link_cpu_seconds"] > 0 and run["ours_first"] is True
    if HAS_SPLINK:
        assert figures["splink_link.records"] == figures["ours_link.records"]
        assert figures["agreement.adjusted_rand"] == 1.0
        assert figures["splink_cpu_ratio"] == pytest.approx(
            figures["splink_link.link_cpu_seconds"] / figures["ours_link.link_cpu_seconds"]
        )


def test_ten_segments_are_evaluated_over_the_profiles(results: dict[str, dict]) -> None:
    figures = _medians(results, "segments")
    assert figures["segments"] == 10
    members = [value for key, value in figures.items() if key.endswith(".members")]
    assert len(members) == 10 and all(0 <= m <= figures["profiles"] for m in members)
    assert figures["seconds"] >= figures["segments_seconds"] > 0
    # The same ten through Dagster: one run, each segment its own partition's materialization.
    assert figures["dagster_success"] == 1 and figures["materialized"] == 10
    assert figures["dagster_seconds"] > 0


@pytest.mark.parametrize("name", ["export_throughput", "export_memory", "export_pacing"])
def test_every_member_is_exported_or_rejected(results: dict[str, dict], name: str) -> None:
    figures = _medians(results, name)
    rejected = figures["rejected_missing_email"] + figures["rejected_invalid_email"]
    assert figures["members"] == TINY
    assert figures["sent"] + rejected == figures["members"] and rejected > 0
    assert figures["list_size"] == figures["sent"] == figures["added"]
    assert figures["requests"] >= figures["batches"] >= 1 and figures["contacts_per_s"] > 0


def test_history_measures_an_unchanged_run_after_ten_runs_of_churn(results: dict[str, dict]) -> None:
    figures = _medians(results, "history")
    assert figures["leavers"] >= 10 * 0.1 * figures["members"] * 0.9
    assert figures["unchanged.sent"] == 0
    assert figures["unchanged.requests"] == figures["unchanged.server_requests"] <= 10
    assert figures["churn.requests_median"] > figures["unchanged.requests"]
    # The counts differ from the ledger's after the opt-outs: the list is read, nothing else.
    assert figures["after_opt_outs.requests"] == figures["unchanged.requests"] + 1
    assert figures["full_reconcile.opted_out"] == figures["opt_outs"] == 10


def test_pacing_is_compared_with_the_limit_floor(results: dict[str, dict]) -> None:
    figures = _medians(results, "export_pacing")
    assert figures["time_scale"] == 60.0
    assert figures["floor_seconds"] == pytest.approx(figures["sent"] / 25_000 * 60 / 60.0)
    assert figures["floor_ratio"] == pytest.approx(figures["seconds"] / figures["floor_seconds"])


def test_reexport_sends_only_the_changes(results: dict[str, dict]) -> None:
    figures = _medians(results, "export_incremental")
    assert figures["incremental.updated"] == figures["changes.changed"]
    assert figures["incremental.removed"] == figures["changes.left"]
    assert 0 < figures["incremental.added"] <= figures["changes.joined"]
    assert figures["incremental.requests"] < figures["full.requests"]
    assert figures["requests_ratio"] == pytest.approx(
        figures["incremental.requests"] / figures["full.requests"]
    )


@pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))
def test_exports_at_once_on_postgres_are_compared_with_the_account_floor(results: dict[str, dict]) -> None:
    figures = _medians(results, "shared_pacing")
    for exports in (1, 2, 4):
        assert figures[f"n{exports}.exports"] == exports
        assert figures[f"n{exports}.sent"] == exports * figures["n1.sent"] > 0
        assert figures[f"n{exports}.bulk_imports"] >= exports
        floor = figures[f"n{exports}.sent"] / 25_000 * 60 / 60.0
        assert figures[f"n{exports}.floor_seconds"] == pytest.approx(floor)
        assert figures[f"n{exports}.floor_ratio"] == pytest.approx(figures[f"n{exports}.seconds"] / floor)


@pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))
def test_both_pacers_are_timed_per_request(results: dict[str, dict]) -> None:
    figures = _medians(results, "pacer_overhead")
    assert figures["embedded_us"] > 0 and figures["postgres_us"] > 0
    assert figures["overhead_us"] == pytest.approx(figures["postgres_us"] - figures["embedded_us"])


def test_a_task_in_its_own_process_reports_its_peak_memory(tmp_path: Path) -> None:
    figures = run_task("generate", {"out": str(tmp_path / "data"), "people": 20, "seed": 3}, tmp_path)
    assert figures["rows"] > 0 and figures["peak_rss_bytes"] > 10 * 1024**2
    assert len(figures["load_average"]) == 3


def test_agreement_of_identical_and_of_split_clusterings() -> None:
    first = pl.DataFrame(
        {"source": ["s"] * 4, "source_key": list("abcd"), "customer_id": ["1", "1", "2", "2"]}
    )
    split = first.with_columns(customer_id=pl.Series(["1", "3", "2", "2"]))
    assert cluster_agreement(first, first)["adjusted_rand"] == 1.0
    figures = cluster_agreement(first, split)
    assert (figures["first_links"], figures["second_links"], figures["shared_links"]) == (2, 1, 1)
    assert figures["first_links_in_second"] == 0.5 and figures["second_links_in_first"] == 1.0
    # sklearn.metrics.adjusted_rand_score([1, 1, 2, 2], [1, 3, 2, 2]) = 0.5714...
    assert adjusted_rand(1, 2, 1, 4) == pytest.approx(4 / 7)


def test_medians_and_goals() -> None:
    runs = [{"a": 1.0, "b": "x", "c": 5}, {"a": 3.0, "b": "y", "c": 1}, {"a": 2.0, "b": "z"}]
    assert median_figures(runs) == {"a": 2.0}
    assert Goal(">=", 20_000).met(20_000) and not Goal("<=", 1.05).met(1.06)


def test_machine_description_names_cpu_memory_and_versions() -> None:
    machine = describe_machine()
    assert machine["memory_bytes"] > 0 and machine["cpu_model"]
    assert machine["libraries"]["duckdb"] != "not installed"


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--repeat", "0"], "--repeat"), (["--size", "-5"], "--size"), (["--time-scale", "0"], "--time-scale")],
)
def test_bad_flags_are_one_line_and_exit_2(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = build_parser().parse_args(["--out", str(tmp_path), *flags])
    assert run_bench(args) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("python -m benchmarks: ") and message in error and "\n" not in error
