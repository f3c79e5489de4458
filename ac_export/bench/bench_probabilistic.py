"""The probabilistic race: our Fellegi–Sunter model beside Splink's on the same records and model.

Both start from the same `records` table (`linking.py`) and the same model: the blocking rules,
comparisons and levels of `BENCH_MODEL` (written into a unify.yaml beside the project's
sources.yaml). Ours runs `profiles.probabilistic` (u by random sampling, m by EM with u fixed,
prior from EM); Splink gets the same normalised columns, the same blocking rules as SQL, each
comparison as a `CustomComparison` whose levels are the same SQL tests, u by its random sampling
(same pair budget), the prior from its deterministic-rules estimate, m by one EM session per
blocking rule (Splink's recommended workflow), and predicts and clusters at the same threshold.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import yaml

from ac_export.bench.bench_splink import INPUT_TABLE, splink_input
from ac_export.bench.linking import load_link_records
from ac_export.bench.worker import Figures, Params, cpu_seconds, peak_rss_bytes
from ac_export.profiles.ingest import open_connection
from ac_export.profiles.match import link_all
from ac_export.profiles.probabilistic import level_sql
from ac_export.profiles.probabilistic_config import ProbabilisticConfig
from ac_export.profiles.sources_config import SOURCES_FILE, load_sources_config
from ac_export.profiles.unify_config import UNIFY_FILE, Condition, load_unify_config
from ac_export.warehouse import Warehouse

# The model both linkers run on Contoso-shaped generated data: what a user would write for it.
_NAME = ["accents", "trim_case"]
_NAME_LEVELS = ["exact", {"jaro_winkler": 0.92}, {"jaro_winkler": 0.8}]
BENCH_MODEL: dict[str, Any] = {
    "pairs": "all",
    "threshold": 0.95,
    "blocking": [
        {"name": "same_email", "keys": [{"attribute": "email", "normalize": ["trim_case"]}]},
        {"name": "same_phone", "keys": [{"attribute": "phone", "normalize": ["phone_e164"]}]},
        {
            "name": "same_name_and_birth_date",
            "keys": [
                {"attribute": "first_name", "normalize": _NAME},
                {"attribute": "last_name", "normalize": _NAME},
                "birth_date",
            ],
        },
    ],
    "comparisons": [
        {"attribute": "email", "normalize": ["trim_case"], "levels": ["exact", {"levenshtein": 0.9}]},
        {"attribute": "first_name", "normalize": _NAME, "levels": _NAME_LEVELS},
        {"attribute": "last_name", "normalize": _NAME, "levels": _NAME_LEVELS},
        {"attribute": "phone", "normalize": ["phone_e164"], "levels": ["exact"]},
        {"attribute": "birth_date", "levels": ["exact", {"levenshtein": 0.8}]},
        {"attribute": "gender", "normalize": ["trim_case"], "levels": ["exact"]},
    ],
}  # fmt: skip


def write_model_config(project_config: Path, folder: Path) -> Path:
    """A config folder: the project's sources.yaml and a unify.yaml holding only `BENCH_MODEL`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SOURCES_FILE).write_text((project_config / SOURCES_FILE).read_text())
    (folder / UNIFY_FILE).write_text(yaml.safe_dump({"probabilistic": BENCH_MODEL}, sort_keys=False))
    return folder


def ours_task(params: Params) -> Figures:
    """Our probabilistic model, timed from the `records` table to clusters; writes the clusters."""
    warehouse, config_dir = Warehouse(Path(params["warehouse"])), Path(params["config_dir"])
    sources = load_sources_config(config_dir)
    config = load_unify_config(config_dir, sources)
    with open_connection() as con:
        started = time.perf_counter()
        records = load_link_records(con, warehouse, sources, config)
        loaded, cpu_loaded = time.perf_counter(), cpu_seconds()
        _, model = link_all(con, "records", config, sources)
        linked, cpu_linked = time.perf_counter(), cpu_seconds()
        peak = peak_rss_bytes()
        con.execute(
            f"COPY (SELECT r.rid, r.source, r.source_key, c.component AS cluster_id "
            f"FROM records r JOIN clusters c USING (rid)) TO '{params['clusters']}' (FORMAT parquet)"
        )
    assert model is not None
    return {
        "records": records,
        "load_seconds": loaded - started,
        "link_seconds": linked - loaded,
        # CPU time of the linking alone (DuckDB threads included): what the load does not inflate.
        "link_cpu_seconds": cpu_linked - cpu_loaded,
        "pairs": model.linked_pairs,
        "candidate_pairs": model.candidate_pairs,
        "peak_rss_bytes": peak,
    }


def splink_task(params: Params) -> Figures:
    """Splink's Fellegi–Sunter model with the same blocking, comparisons and threshold; writes clusters."""
    from splink import DuckDBAPI, Linker, SettingsCreator

    warehouse, config_dir = Warehouse(Path(params["warehouse"])), Path(params["config_dir"])
    sources = load_sources_config(config_dir)
    config = load_unify_config(config_dir, sources)
    model = config.probabilistic
    assert model is not None
    with open_connection() as con:
        started = time.perf_counter()
        records = load_link_records(con, warehouse, sources, config)
        loaded, cpu_loaded = time.perf_counter(), cpu_seconds()
        keys = _model_keys(model)
        columns = splink_input(con, keys)
        blocking = [_blocking_sql(model, rule_keys, columns) for rule_keys in _rule_keys(model)]
        settings = SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="rid",
            comparisons=_comparisons(model, columns),
            blocking_rules_to_generate_predictions=blocking,  # type: ignore[arg-type,unused-ignore]
            retain_matching_columns=False,
        )
        linker = Linker(DuckDBAPI(connection=con).register(INPUT_TABLE), settings, log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(blocking, recall=0.9)  # type: ignore[arg-type,unused-ignore]
        linker.training.estimate_u_using_random_sampling(max_pairs=model.u_sample_pairs, seed=model.seed)
        for rule in blocking:
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        pairs = linker.inference.predict(threshold_match_probability=model.threshold)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, model.threshold)
        linked, cpu_linked = time.perf_counter(), cpu_seconds()
        peak = peak_rss_bytes()
        pair_count = int(con.execute(f"SELECT count(*) FROM {pairs.physical_name}").fetchall()[0][0])
        con.execute(
            f"COPY (SELECT r.rid, r.source, r.source_key, c.cluster_id FROM {clusters.physical_name} c "
            f"JOIN records r USING (rid)) TO '{params['clusters']}' (FORMAT parquet)"
        )
    return {
        "records": records,
        "load_seconds": loaded - started,
        "link_seconds": linked - loaded,
        # CPU time of the linking alone (DuckDB threads included): what the load does not inflate.
        "link_cpu_seconds": cpu_linked - cpu_loaded,
        "pairs": pair_count,
        "peak_rss_bytes": peak,
    }


def _rule_keys(model: ProbabilisticConfig) -> list[list[Condition]]:
    return [
        [Condition(attribute=k.attribute, normalize=list(k.normalize)) for k in b.keys]
        for b in model.blocking
    ]


def _model_keys(model: ProbabilisticConfig) -> list[Condition]:
    keys = [k for rule in _rule_keys(model) for k in rule]
    return keys + [Condition(attribute=c.attribute, normalize=list(c.normalize)) for c in model.comparisons]


def _column(columns: dict[tuple[str, tuple[str, ...]], str], attribute: str, normalize: list[str]) -> str:
    return columns[(attribute, tuple(sorted(normalize)))]


def _blocking_sql(
    model: ProbabilisticConfig, keys: list[Condition], columns: dict[tuple[str, tuple[str, ...]], str]
) -> str:
    names = [_column(columns, k.attribute, list(k.normalize)) for k in keys]
    tests = [f"l.{name} = r.{name}" for name in names]
    scope = {"all": [], "across_sources": ["l.source <> r.source"], "within_source": ["l.source = r.source"]}
    return " AND ".join(tests + scope[model.pairs])


def _comparisons(model: ProbabilisticConfig, columns: dict[tuple[str, tuple[str, ...]], str]) -> list[Any]:
    import splink.comparison_level_library as cll
    from splink import comparison_library as cl

    made = []
    for comparison in model.comparisons:
        column = _column(columns, comparison.attribute, list(comparison.normalize))
        levels: list[Any] = [cll.NullLevel(column)]
        for number, level in enumerate(comparison.levels, 1):
            # The same SQL test our model applies: the level is "the first that holds".
            sql = level_sql(level, f'"{column}_l"', f'"{column}_r"')
            levels.append(cll.CustomLevel(sql, label_for_charts=f"{number}: {level.label()}"))
        levels.append(cll.ElseLevel())
        made.append(cl.CustomComparison(levels, output_column_name=comparison.column()))
    return made
