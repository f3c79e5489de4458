"""The benchmark scenarios of the issue: what each runs, its default size, its headline figures and goals."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.data import generated_folder, people_for_records
from benchmarks.export import incremental_repetition, pacing_repetition, throughput_repetition
from benchmarks.history import history_repetition
from benchmarks.ledger_transfer import engine_transfer_repetition, ledger_transfer_repetition
from benchmarks.run_options import RunOptions
from benchmarks.segments import prepared_warehouse, segments_repetition
from benchmarks.shared import pacer_overhead_repetition, shared_pacing_repetition
from benchmarks.unify import link_race_repetition, unify_repetition
from benchmarks.worker import Figures

# Unification keeps about 0.975 profiles per generated person at the default noise (measured), so
# this many people give about the requested number of profiles.
PROFILES_PER_PERSON = 0.975
GIB = 1024**3


@dataclass(frozen=True)
class Goal:
    """A target one figure's median must meet, e.g. contacts_per_s >= 20,000."""

    op: str
    value: float

    def met(self, figure: float) -> bool:
        """Whether a median meets the goal."""
        compare = {">=": operator.ge, "<=": operator.le, "<": operator.lt, ">": operator.gt}[self.op]
        return bool(compare(figure, self.value))


@dataclass(frozen=True)
class Headline:
    """A figure shown in the table: its key in the results, label, unit and optional goal."""

    key: str
    label: str
    unit: str = ""
    goal: Goal | None = None


Repetition = Callable[[RunOptions, int, Path], Figures]

TRANSFER_PHASES = [
    ("cold", "cold cache (a fresh machine's first run)"),
    ("unchanged", "unchanged run"),
    ("changed", "run with 1% changed"),
    ("after_change", "unchanged run after it"),
]
TRANSFER_HEADLINES = [
    Headline("ledger_rows", "ledger rows in PostgreSQL"),
    *(
        headline
        for phase, label in TRANSFER_PHASES
        for headline in (
            Headline(
                f"{phase}.ledger_rows_in",
                f"{label}: ledger rows in",
                "",
                Goal("<=", 0) if phase == "unchanged" else None,
            ),
            Headline(f"{phase}.ledger_rows_out", f"{label}: ledger rows out"),
            # Exact byte counts (not MiB): an unchanged run's are a few kilobytes.
            Headline(f"{phase}.wire_bytes_from_server", f"{label}: bytes from PostgreSQL"),
            Headline(f"{phase}.wire_bytes_to_server", f"{label}: bytes to PostgreSQL"),
            Headline(f"{phase}.seconds", f"{label}: wall time", "s"),
        )
    ),
    Headline("fingerprint_seconds", "the fingerprint query alone (server scan)", "s"),
    Headline("bare_open_seconds", "bare open, unchanged ledger (fingerprint + local copy)", "s"),
    Headline("bare_close_seconds", "its close", "s"),
]


@dataclass(frozen=True)
class Scenario:
    """One benchmark: its size unit and default, how one repetition runs, what the table shows."""

    name: str
    description: str
    unit: str
    default_size: int
    repetition: Repetition
    headlines: list[Headline] = field(default_factory=list)


def _unify(options: RunOptions, size: int, folder: Path) -> Figures:
    data_dir = generated_folder(options, people_for_records(size))
    return unify_repetition(options, data_dir, folder)


def _link_race(options: RunOptions, size: int, folder: Path) -> Figures:
    data_dir = generated_folder(options, people_for_records(size))
    return link_race_repetition(options, data_dir, prepared_warehouse(options, data_dir), folder)


def _segments(options: RunOptions, size: int, folder: Path) -> Figures:
    data_dir = generated_folder(options, max(1, round(size / PROFILES_PER_PERSON)))
    return segments_repetition(options, prepared_warehouse(options, data_dir), folder)


SPLINK_HEADLINES = [
    Headline("ours_link.link_seconds", "our linking (normalise, block, compare, cluster)", "s"),
    Headline("splink_link.link_seconds", "Splink deterministic_link + clustering", "s"),
    Headline("splink_time_ratio", "Splink time / our time", "x"),
    Headline("ours_link.link_cpu_seconds", "our linking: CPU time (both cores)", "s"),
    Headline("splink_link.link_cpu_seconds", "Splink deterministic: CPU time (both cores)", "s"),
    Headline("splink_cpu_ratio", "Splink CPU time / ours", "x"),
    Headline("splink.precision", "Splink pairwise precision"),
    Headline("splink.recall", "Splink pairwise recall"),
    Headline("agreement.adjusted_rand", "clusters agree: adjusted Rand index"),
    Headline("agreement.first_links_in_second", "share of our links Splink also makes"),
    Headline("agreement.second_links_in_first", "share of Splink's links we also make"),
    Headline("ours_link.f1", "our rules: pairwise F1"),
    Headline("ours_link.peak_rss_bytes", "our linking: peak resident memory", "bytes"),
    Headline("splink_link.peak_rss_bytes", "Splink deterministic: peak resident memory", "bytes"),
    Headline("ours_fs.link_seconds", "our probabilistic model (u, EM, score, cluster)", "s"),
    Headline("splink_fs.link_seconds", "Splink probabilistic (u, prior, EM, predict, cluster)", "s"),
    Headline("fs_time_ratio", "Splink probabilistic time / ours", "x"),
    Headline("ours_fs.link_cpu_seconds", "our probabilistic: CPU time", "s"),
    Headline("splink_fs.link_cpu_seconds", "Splink probabilistic: CPU time", "s"),
    Headline("fs_cpu_ratio", "Splink probabilistic CPU time / ours", "x"),
    Headline("ours_fs.precision", "our probabilistic: pairwise precision"),
    Headline("ours_fs.recall", "our probabilistic: pairwise recall"),
    Headline("ours_fs.f1", "our probabilistic: pairwise F1"),
    Headline("splink_fs.precision", "Splink probabilistic: pairwise precision"),
    Headline("splink_fs.recall", "Splink probabilistic: pairwise recall"),
    Headline("splink_fs.f1", "Splink probabilistic: pairwise F1"),
    Headline("ours_fs.peak_rss_bytes", "our probabilistic: peak resident memory", "bytes"),
    Headline("splink_fs.peak_rss_bytes", "Splink probabilistic: peak resident memory", "bytes"),
    Headline("fs_agreement.adjusted_rand", "probabilistic clusters agree: adjusted Rand index"),
]

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            "unify",
            "source records → profiles (ingest + unify), and our linker beside Splink's",
            "source records",
            1_000_000,
            _unify,
            [
                Headline("unify.records", "source records"),
                Headline("unify.profiles", "profiles"),
                Headline("unify.seconds", "wall time, ingest + unify", "s"),
                Headline("unify.unify_seconds", "of which unify", "s"),
                Headline("unify.peak_rss_bytes", "peak resident memory", "bytes"),
                Headline("unify.precision", "pairwise precision vs truth"),
                Headline("unify.recall", "pairwise recall vs truth"),
                *SPLINK_HEADLINES,
            ],
        ),
        Scenario(
            "link_race",
            "our rules beside Splink's deterministic linking, alone and alternating, on one warehouse",
            "source records",
            1_000_000,
            _link_race,
            [
                Headline("ours_link.records", "source records"),
                *[h for h in SPLINK_HEADLINES if not h.key.startswith(("ours_fs", "splink_fs", "fs_"))],
            ],
        ),
        Scenario(
            "segments",
            "customer measures and ten segments (members staged and committed) over N profiles",
            "profiles",
            1_000_000,
            _segments,
            [
                Headline("profiles", "profiles"),
                Headline("segments", "segments"),
                Headline("seconds", "wall time, measures + segments", "s"),
                Headline("measures_seconds", "of which customer_measures", "s", Goal("<", 4.0)),
                Headline("segments_seconds", "of which the segments (engine)", "s", Goal("<", 3.0)),
                Headline(
                    "dagster_seconds",
                    "the segments through Dagster: one evaluate_segments run",
                    "s",
                    Goal("<", 10.0),
                ),
                Headline("materialized", "partitions materialized by that run, each its own"),
                Headline("peak_rss_bytes", "peak resident memory", "bytes"),
            ],
        ),
        Scenario(
            "export_throughput",
            "cold export to the emulator with its limits off (plan, upload, confirm)",
            "contacts",
            100_000,
            throughput_repetition,
            [
                Headline("sent", "contacts sent and confirmed"),
                Headline("seconds", "wall time", "s"),
                Headline("plan_seconds", "of which preflight + plan", "s"),
                Headline("contacts_per_s", "contacts/s end to end", "/s", Goal(">=", 20_000)),
                Headline("requests", "API requests"),
                Headline("export_cpu_seconds", "exporter CPU time (user + system)", "s"),
                Headline("emulator_cpu_seconds", "emulator CPU time meanwhile", "s"),
                Headline("contacts_per_exporter_cpu_s", "contacts per exporter CPU-second", "/s"),
                Headline("contacts_per_emulator_cpu_s", "contacts per emulator CPU-second", "/s"),
                Headline("peak_rss_bytes", "peak resident memory", "bytes"),
            ],
        ),
        Scenario(
            "export_pacing",
            "cold export with ActiveCampaign's real limits, emulator and pacing time-scaled",
            "contacts",
            100_000,
            pacing_repetition,
            [
                Headline("sent", "contacts sent and confirmed"),
                Headline("time_scale", "time scale", "x"),
                Headline("seconds", "wall time", "s"),
                Headline("floor_seconds", "floor: contacts / 25,000 per scaled minute", "s"),
                Headline("floor_ratio", "wall time / floor", "x", Goal("<=", 1.05)),
                Headline("throttled", "429 answers"),
            ],
        ),
        Scenario(
            "export_incremental",
            "full export, 1% of members change (0.5% fields, 0.25% leave, 0.25% join), re-export",
            "contacts",
            100_000,
            incremental_repetition,
            [
                Headline("full.requests", "full export: API requests"),
                Headline("incremental.requests", "re-export: API requests"),
                Headline("requests_ratio", "re-export / full, requests", "x", Goal("<=", 0.015)),
                Headline("full.seconds", "full export: wall time", "s"),
                Headline("incremental.seconds", "re-export: wall time", "s"),
                Headline("time_ratio", "re-export / full, time", "x"),
                Headline("incremental.sent", "re-export: contacts sent"),
            ],
        ),
        Scenario(
            "history",
            "a list of N members after 10 runs of 10% churn: requests of an unchanged run",
            "members",
            100_000,
            history_repetition,
            [
                Headline("members", "members"),
                Headline("leavers", "leavers in the list's history"),
                Headline("first.requests", "first export: API requests"),
                Headline("churn.requests_median", "a 10% churn run: API requests (median)"),
                Headline("unchanged.requests", "unchanged run: API requests", "", Goal("<=", 10)),
                Headline("reading_leavers_requests", "reading every leaver instead: requests"),
                Headline("unchanged.seconds", "unchanged run: wall time", "s"),
                Headline("after_opt_outs.requests", "run after 10 members opted out: API requests"),
                Headline("full_reconcile.requests", "then a full reconcile: API requests"),
                Headline("full_reconcile.opted_out", "members it found opted out"),
            ],
        ),
        Scenario(
            "export_memory",
            "cold export of N members, limits off: the exporting process's peak memory",
            "contacts",
            1_000_000,
            throughput_repetition,
            [
                Headline("members", "members"),
                Headline("sent", "contacts sent and confirmed"),
                Headline("seconds", "wall time", "s"),
                Headline("contacts_per_s", "contacts/s end to end", "/s"),
                Headline("peak_rss_bytes", "peak resident memory", "bytes", Goal("<", GIB)),
            ],
        ),
        Scenario(
            "shared_pacing",
            "1, 2 and 4 exports at once to one account, separate processes, state: postgres",
            "contacts per export",
            10_000,
            shared_pacing_repetition,
            [
                *(
                    headline
                    for n in (1, 2, 4)
                    for headline in (
                        Headline(f"n{n}.seconds", f"{n} export(s): wall time", "s"),
                        Headline(
                            f"n{n}.floor_seconds", f"{n} export(s): floor, all contacts at 25,000/min", "s"
                        ),
                        Headline(
                            f"n{n}.floor_ratio", f"{n} export(s): wall time / floor", "x", Goal("<=", 1.1)
                        ),
                        Headline(f"n{n}.throttled", f"{n} export(s): 429 answers"),
                    )
                ),
            ],
        ),
        Scenario(
            "pacer_overhead",
            "one reservation + settlement: file-locked pacer vs PostgreSQL pacer (no waiting)",
            "requests",
            2_000,
            pacer_overhead_repetition,
            [
                Headline("embedded_us", "embedded (file lock): per request", "µs"),
                Headline("postgres_us", "postgres (row lock): per request", "µs"),
                Headline("overhead_us", "overhead of the shared pacer per request", "µs"),
            ],
        ),
        Scenario(
            "ledger_transfer",
            "state: postgres, N members, the ledger store driven as the engine drives it: what moves per run",
            "members",
            1_000_000,
            ledger_transfer_repetition,
            TRANSFER_HEADLINES,
        ),
        Scenario(
            "ledger_transfer_engine",
            "state: postgres, N members, each run the real export engine against the emulator",
            "members",
            100_000,
            engine_transfer_repetition,
            TRANSFER_HEADLINES,
        ),
    ]
}
