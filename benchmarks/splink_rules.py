"""Splink's deterministic linking (`deterministic_link` and its clustering) with our unify.yaml rules.

Each rule becomes one Splink blocking rule: its exact conditions as equi-join keys on the same
normalised values (`profiles.normalize.normalised_sql`), its fuzzy conditions as the same
similarity test, and the rule's kind as a source condition (dedup: same source, match: different
sources). Splink starts from the same `records` table as our linker (see `linking.py`).
"""

from __future__ import annotations

import logging

import duckdb

from ac_export.profiles.match_terms import similar_sql
from ac_export.profiles.normalize import normalised_sql
from ac_export.profiles.phones import PHONE_MAP
from ac_export.profiles.reading import quote_ident, quote_literal
from ac_export.profiles.sources_config import SourcesConfig
from ac_export.profiles.unify_config import Condition, Rule, UnifyConfig, rule_sources
from benchmarks.linking import Linked, LinkInput, timed_link
from benchmarks.worker import Figures, Params

INPUT_TABLE = "splink_input"

KeyColumns = dict[tuple[str, tuple[str, ...]], str]


def splink_task(params: Params) -> Figures:
    """Splink on DuckDB, timed from the `records` table to clusters; writes the clusters as Parquet."""
    return timed_link(params, _link_splink)


def _link_splink(run: LinkInput) -> Linked:
    from splink import DuckDBAPI, Linker, SettingsCreator

    key_columns = create_splink_input(run.con, run.config)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="rid",
        # Splink takes SQL strings as rules; its annotation names only its rule objects.
        blocking_rules_to_generate_predictions=blocking_rules(run.config, run.sources, key_columns),  # type: ignore[arg-type,unused-ignore]
    )
    linker = Linker(DuckDBAPI(connection=run.con).register(INPUT_TABLE), settings, log_level=logging.WARNING)
    pairs = linker.inference.deterministic_link()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs)
    return Linked(
        f"SELECT rid, cluster_id FROM {clusters.physical_name}", counts={"pairs": pairs.physical_name}
    )


def create_splink_input(con: duckdb.DuckDBPyConnection, config: UnifyConfig) -> KeyColumns:
    """`splink_input(rid, source, n0, n1, ...)`: each normalised value the rules compare, once."""
    return splink_input(con, [c for _, rule in config.rules() for c in rule.conditions])


def splink_input(con: duckdb.DuckDBPyConnection, conditions: list[Condition]) -> KeyColumns:
    """`splink_input(rid, source, n0, n1, ...)`: each normalised value of the conditions, once.

    Text normalisers are our SQL expressions; phone numbers are looked up in the phone map, as our
    linker does.
    """
    columns: KeyColumns = {}
    for condition in conditions:
        columns.setdefault(_key(condition), f"n{len(columns)}")
    selected, joins = [], []
    for (attribute, normalisers), name in columns.items():
        if "phone_e164" in normalisers:
            joins.append(f"LEFT JOIN {PHONE_MAP} AS m_{name} ON m_{name}.raw = r.{quote_ident(attribute)}")
            selected.append(f"m_{name}.e164 AS {name}")
        else:
            selected.append(f"{normalised_sql(attribute, normalisers)} AS {name}")  # type: ignore[arg-type]
    con.execute(
        f"CREATE OR REPLACE TABLE {INPUT_TABLE} AS "
        f"SELECT r.rid, r.source, {', '.join(selected)} FROM records AS r {' '.join(joins)}"
    )
    return columns


def blocking_rules(config: UnifyConfig, sources: SourcesConfig, key_columns: KeyColumns) -> list[str]:
    """One Splink blocking rule (SQL over `l.` and `r.`) per unify rule, in precedence order."""
    return [_blocking_rule(kind, rule, sources, key_columns) for kind, rule in config.rules()]


def _blocking_rule(kind: str, rule: Rule, sources: SourcesConfig, key_columns: KeyColumns) -> str:
    tests = [
        f"l.{key_columns[_key(c)]} = r.{key_columns[_key(c)]}"
        if c.compare == "exact"
        else similar_sql(c.similarity, c.threshold, f"l.{key_columns[_key(c)]}", f"r.{key_columns[_key(c)]}")
        for c in rule.conditions
    ]
    listed = ", ".join(quote_literal(s) for s in rule_sources(rule, sources)) or "NULL"
    tests += [f"l.source IN ({listed})", f"r.source IN ({listed})"]
    tests.append("l.source = r.source" if kind == "dedup" else "l.source <> r.source")
    return " AND ".join(tests)


def _key(condition: Condition) -> tuple[str, tuple[str, ...]]:
    return condition.attribute, tuple(sorted(condition.normalize))
