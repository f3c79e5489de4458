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
from pathlib import Path
from typing import Any

import yaml

from ac_export.profiles.match import link_all
from ac_export.profiles.probabilistic import level_sql
from ac_export.profiles.probabilistic_config import ProbabilisticConfig
from ac_export.profiles.sources_config import SOURCES_FILE
from ac_export.profiles.unify_config import UNIFY_FILE, Condition
from benchmarks.linking import Linked, LinkInput, timed_link
from benchmarks.splink_rules import INPUT_TABLE, splink_input
from benchmarks.worker import Figures, Params

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
    return timed_link(params, _link_ours)


def _link_ours(run: LinkInput) -> Linked:
    _, model = link_all(run.con, "records", run.config, run.sources)
    assert model is not None
    figures = {"pairs": model.linked_pairs, "candidate_pairs": model.candidate_pairs}
    return Linked("SELECT rid, component AS cluster_id FROM clusters", figures=figures)


def splink_task(params: Params) -> Figures:
    """Splink's Fellegi–Sunter model with the same blocking, comparisons and threshold; writes clusters."""
    return timed_link(params, _link_splink)


def _link_splink(run: LinkInput) -> Linked:
    from splink import DuckDBAPI, Linker, SettingsCreator

    model = run.config.probabilistic
    assert model is not None
    columns = splink_input(run.con, _model_keys(model))
    blocking = [_blocking_sql(model, rule_keys, columns) for rule_keys in _rule_keys(model)]
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="rid",
        comparisons=_comparisons(model, columns),
        blocking_rules_to_generate_predictions=blocking,  # type: ignore[arg-type,unused-ignore]
        retain_matching_columns=False,
    )
    linker = Linker(DuckDBAPI(connection=run.con).register(INPUT_TABLE), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(blocking, recall=0.9)  # type: ignore[arg-type,unused-ignore]
    linker.training.estimate_u_using_random_sampling(max_pairs=model.u_sample_pairs, seed=model.seed)
    for rule in blocking:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    pairs = linker.inference.predict(threshold_match_probability=model.threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, model.threshold)
    return Linked(
        f"SELECT rid, cluster_id FROM {clusters.physical_name}", counts={"pairs": pairs.physical_name}
    )


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
