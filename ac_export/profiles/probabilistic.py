"""Probabilistic linking (Fellegi–Sunter) in DuckDB: blocking, comparison levels, u, m by EM, links.

1. **Candidate pairs**: records sharing every key of a blocking rule (rules joined by OR), within
   the configured pair scope; blocks larger than `max_block_size` are skipped and reported.
2. **Comparison levels**: each pair gets, per comparison, the number of the first level that holds
   (0 when either value is NULL, n+1 "else" when none does), in SQL.
3. **u** (chance of each level among non-matches) from all pairs among records drawn at random
   (by a seeded hash of their names, so the same data gives the same model): random pairs are
   nearly all non-matches.
4. **m** (chance of each level among matches) and the prior (share of candidate pairs that match)
   by expectation maximisation with u fixed, over the distinct level patterns and their counts —
   a few hundred rows, whatever the number of pairs.
5. **Links**: a pair's match weight is log2(prior odds) plus, per comparison, log2(m/u) of its
   level; pairs whose match probability reaches the threshold are linked and kept, with every
   level and weight, for the explanation table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import numpy as np

from ac_export.profiles.match_terms import Normaliser, similar_sql
from ac_export.profiles.probabilistic_config import Comparison, Level, ProbabilisticConfig
from ac_export.profiles.reading import quote_ident, quote_literal

# (attribute, sorted normalisers) → column of `match_keys` holding that normalised value.
KeyColumns = dict[tuple[str, tuple[Normaliser, ...]], str]
# Probabilities are kept off 0 and 1: a level never seen would otherwise weigh ±infinity.
_FLOOR = 1e-9
# Pairs of different values a fuzzy comparison is computed on when estimating u.
_FUZZY_PAIRS = 250_000


@dataclass(frozen=True)
class LevelWeight:
    """One comparison level's estimated probabilities and weight."""

    comparison: str
    level: int
    label: str
    m_probability: float
    u_probability: float
    match_weight: float


@dataclass(frozen=True)
class ModelOutcome:
    """What the probabilistic model estimated and linked."""

    candidate_pairs: int
    linked_pairs: int
    prior: float
    iterations: int
    converged: bool
    u_pairs: int
    skipped_blocks: int
    skipped_records: int
    weights: list[LevelWeight]


def link_probabilistically(
    con: duckdb.DuckDBPyConnection,
    model: ProbabilisticConfig,
    key_columns: KeyColumns,
    max_block_size: int,
    records: str,
) -> ModelOutcome:
    """Score candidate pairs of `match_keys` and keep the links in `fs_links(a, b, ...)`.

    `records(rid, source, source_key)` names the records: the u sample is drawn by their names.
    """
    skipped = _candidate_pairs(con, model, key_columns, max_block_size)
    columns = [key_columns[(c.attribute, tuple(sorted(c.normalize)))] for c in model.comparisons]
    levels = _levels_sql(model.comparisons, columns)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE fs_gammas AS
        SELECT p.a, p.b, p.blocked_by, {levels}
        FROM fs_pairs p JOIN match_keys x ON x.rid = p.a JOIN match_keys y ON y.rid = p.b
    """)
    u, u_pairs = _estimate_u(con, model, columns, records)
    patterns, counts = _patterns(con, "fs_gammas", len(columns))
    m, share, iterations, converged = _estimate_m(patterns, counts, u, model)
    # Scores use the chance that two records drawn at random match (the prior over all pairs, as u is
    # estimated over all pairs): the matches EM finds among candidates, over every pair in scope.
    prior = model.prior if model.prior is not None else _clip(share * counts.sum() / _all_pairs(con, model))
    weights = _weights(model.comparisons, m, u)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE fs_links AS
        SELECT *, 1.0 / (1.0 + pow(2.0, -match_weight)) AS match_probability
        FROM (SELECT *, {_weight_sql(weights, prior, len(columns))} AS match_weight FROM fs_gammas)
        WHERE match_weight >= {_logit2(model.threshold)!r}
    """)
    return ModelOutcome(
        candidate_pairs=int(counts.sum()),
        linked_pairs=_count(con, "fs_links"),
        prior=prior,
        iterations=iterations,
        converged=converged,
        u_pairs=u_pairs,
        skipped_blocks=skipped[0],
        skipped_records=skipped[1],
        weights=weights,
    )


def _all_pairs(con: duckdb.DuckDBPyConnection, model: ProbabilisticConfig) -> float:
    """How many record pairs the scope holds: every pair, those across sources, or those within one."""
    sizes = [float(n) for (n,) in con.execute("SELECT count(*) FROM match_keys GROUP BY source").fetchall()]
    total, squares = sum(sizes), sum(n * n for n in sizes)
    pairs = {
        "all": total * (total - 1) / 2,
        "across_sources": (total * total - squares) / 2,
        "within_source": (squares - total) / 2,
    }[model.pairs]
    return max(pairs, 1.0)


def _scope_sql(model: ProbabilisticConfig) -> str:
    return {"all": "TRUE", "across_sources": "x.source <> y.source", "within_source": "x.source = y.source"}[
        model.pairs
    ]


def _candidate_pairs(
    con: duckdb.DuckDBPyConnection, model: ProbabilisticConfig, key_columns: KeyColumns, max_block_size: int
) -> tuple[int, int]:
    """`fs_pairs(a, b, blocked_by)`: each candidate pair once, credited to its first blocking rule."""
    selects, skipped_blocks, skipped_records = [], 0, 0
    for index, rule in enumerate(model.blocking):
        keys = ", ".join(key_columns[(k.attribute, tuple(sorted(k.normalize)))] for k in rule.keys)
        present = " AND ".join(f"{k} IS NOT NULL" for k in keys.split(", "))
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE fs_blocks_{index} AS
            SELECT {keys}, count(*) AS size FROM match_keys WHERE {present} GROUP BY ALL HAVING count(*) > 1
        """)
        row = con.execute(
            f"SELECT count(*), coalesce(sum(size), 0) FROM fs_blocks_{index} WHERE size > {max_block_size}"
        ).fetchall()[0]
        skipped_blocks, skipped_records = skipped_blocks + int(row[0]), skipped_records + int(row[1])
        selects.append(f"""
            SELECT x.rid AS a, y.rid AS b, {index} AS rule FROM
            (SELECT m.rid, m.source, {keys} FROM match_keys m JOIN fs_blocks_{index} USING ({keys})
             WHERE size <= {max_block_size}) x
            JOIN match_keys y USING ({keys})
            WHERE x.rid < y.rid AND {_scope_sql(model)}
        """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE fs_pairs AS
        SELECT a, b, min(rule) AS blocked_by FROM ({" UNION ALL ".join(selects)}) GROUP BY a, b
    """)
    return skipped_blocks, skipped_records


def _levels_sql(comparisons: list[Comparison], columns: list[str]) -> str:
    """`g0, g1, ...`: each comparison's level number for records `x` and `y`."""
    return ", ".join(
        _level_sql(comparison, f"x.{column}", f"y.{column}") + f" AS g{index}"
        for index, (comparison, column) in enumerate(zip(comparisons, columns, strict=True))
    )


def _level_sql(comparison: Comparison, left: str, right: str) -> str:
    cases = [f"WHEN {left} IS NULL OR {right} IS NULL THEN 0"]
    cases += [
        f"WHEN {level_sql(level, left, right)} THEN {n}" for n, level in enumerate(comparison.levels, 1)
    ]
    return f"CASE {' '.join(cases)} ELSE {len(comparison.levels) + 1} END"


def level_sql(level: Level, left: str, right: str) -> str:
    """SQL that holds when two values are at least at this level (exact, or similar enough)."""
    if level.compare == "exact":
        return f"{left} = {right}"
    # Fuzzy levels compare the text form, so dates and numbers can have "one digit off" bands.
    text_left, text_right = f"CAST({left} AS VARCHAR)", f"CAST({right} AS VARCHAR)"
    return similar_sql(level.similarity, level.threshold, text_left, text_right)


def _estimate_u(
    con: duckdb.DuckDBPyConnection, model: ProbabilisticConfig, columns: list[str], records: str
) -> tuple[list[np.ndarray], int]:
    """u per comparison (index = level; 0 unused) from all pairs among records sampled at random.

    Each comparison is computed on the sample's distinct values, each pair of values weighted by how
    many record pairs show it: names and states repeat, so this is far fewer comparisons than pairs.
    """
    sample = max(2, math.ceil(math.sqrt(2 * model.u_sample_pairs)))
    # Drawn by a seeded hash of each record's name, not by row position: rows arrive in a different
    # order from run to run (parallel reads), and the same data must give the same model.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE fs_sample AS
        SELECT m.* FROM match_keys m JOIN (
            SELECT rid FROM {records} ORDER BY hash(source, source_key, {model.seed}) LIMIT {sample}
        ) USING (rid)
    """)
    u, pairs = [], 0
    for comparison, column in zip(model.comparisons, columns, strict=True):
        seen = _random_pair_levels(con, model, comparison, column)
        pairs = max(pairs, int(seen.sum() // 2))
        # Add-one smoothing: a level no random pair shows is rare, not impossible.
        u.append(np.concatenate([[1.0], (seen[1:] + 1) / (seen[1:].sum() + len(seen) - 1)]))
    return u, pairs


def _random_pair_levels(
    con: duckdb.DuckDBPyConnection, model: ProbabilisticConfig, comparison: Comparison, column: str
) -> np.ndarray:
    """How many ordered pairs of sampled records fall at each level of one comparison.

    Pairs of equal values are all at the first level and are counted exactly. Pairs of different
    values are compared only for fuzzy levels, on a hashed share of at most `_FUZZY_PAIRS` value
    pairs, scaled back up: similarity functions (Levenshtein above all) cost microseconds a pair.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE fs_values AS
        SELECT source, {column} AS v, count(*) AS n FROM fs_sample WHERE {column} IS NOT NULL GROUP BY ALL
    """)
    distinct = _count(con, "fs_values")
    fuzzy = any(level.compare == "fuzzy" for level in comparison.levels)
    share = min(1.0, _FUZZY_PAIRS / max(distinct * distinct, 1)) if fuzzy else 1.0
    level = _level_sql(comparison, "x.v", "y.v") if fuzzy else str(len(comparison.levels) + 1)
    sampled = f"AND hash(x.v, y.v) % 1000000 < {round(share * 1_000_000)}" if share < 1 else ""
    rows = con.execute(f"""
        SELECT g, sum(w) FROM (
            SELECT 1 AS g, x.n * y.n - CASE WHEN x.source = y.source THEN x.n ELSE 0 END AS w
            FROM fs_values x JOIN fs_values y ON x.v = y.v AND {_scope_sql(model)}
            UNION ALL
            SELECT {level} AS g, x.n * y.n / {share!r} AS w
            FROM fs_values x JOIN fs_values y ON x.v <> y.v AND {_scope_sql(model)} {sampled}
        ) GROUP BY g
    """).fetchall()
    seen = np.zeros(len(comparison.levels) + 2)
    for g, w in rows:
        seen[int(g)] += float(w)
    return seen


def _patterns(con: duckdb.DuckDBPyConnection, table: str, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct level patterns of a table of `g0..` columns and how many rows have each."""
    columns = ", ".join(f"g{i}" for i in range(width))
    rows = con.execute(f"SELECT {columns}, count(*) FROM {table} GROUP BY ALL").fetchnumpy()
    patterns = np.column_stack([np.asarray(rows[f"g{i}"], dtype=np.int64) for i in range(width)])
    return patterns.reshape(-1, width), np.asarray(rows["count_star()"], dtype=np.float64)


def _estimate_m(
    patterns: np.ndarray, counts: np.ndarray, u: list[np.ndarray], model: ProbabilisticConfig
) -> tuple[list[np.ndarray], float, int, bool]:
    """m per comparison and the share of candidates that match, by EM with u fixed; and how EM ended."""
    m = [_initial_m(len(levels)) for levels in u]
    prior = 0.5
    log_u = sum((np.log(u_k[patterns[:, k]]) for k, u_k in enumerate(u)), np.zeros(len(counts)))
    for iteration in range(1, model.max_iterations + 1):
        log_m = sum((np.log(m_k[patterns[:, k]]) for k, m_k in enumerate(m)), np.zeros(len(counts)))
        odds = np.clip(math.log(prior / (1 - prior)) + log_m - log_u, -700, 700)
        share = counts / (1.0 + np.exp(-odds))  # expected matches among the rows of each pattern
        new_prior = _clip(share.sum() / max(counts.sum(), 1))
        new_m = [_m_step(patterns[:, k], share, len(m_k)) for k, m_k in enumerate(m)]
        moves = [float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True)]
        change = max([abs(new_prior - prior), *moves])
        m, prior = new_m, new_prior
        if change < 1e-7:
            return m, prior, iteration, True
    return m, prior, model.max_iterations, False


def _initial_m(size: int) -> np.ndarray:
    # Matches mostly agree: most weight on the strongest level, a little on "else".
    listed = size - 2
    values = np.array([0.0] + [0.9 / 2**i for i in range(listed)] + [0.05])
    values[1:] /= values[1:].sum()
    values[0] = 1.0
    return values


def _m_step(levels: np.ndarray, share: np.ndarray, size: int) -> np.ndarray:
    expected = np.bincount(levels, weights=share, minlength=size)[1:]
    total = expected.sum()
    m = np.clip(expected / total if total > 0 else np.full(size - 1, 1 / (size - 1)), _FLOOR, 1.0)
    return np.concatenate([[1.0], m])


def _clip(value: float) -> float:
    return min(max(float(value), _FLOOR), 1 - _FLOOR)


def _logit2(probability: float) -> float:
    return math.log2(probability / (1 - probability))


def _weights(comparisons: list[Comparison], m: list[np.ndarray], u: list[np.ndarray]) -> list[LevelWeight]:
    weights = []
    for comparison, m_k, u_k in zip(comparisons, m, u, strict=True):
        for level, label in enumerate(comparison.labels()):
            if level == 0:
                weights.append(LevelWeight(comparison.column(), 0, label, 1.0, 1.0, 0.0))
                continue
            mp, up = float(m_k[level]), float(u_k[level])
            weights.append(LevelWeight(comparison.column(), level, label, mp, up, math.log2(mp / up)))
    return weights


def _weight_sql(weights: list[LevelWeight], prior: float, width: int) -> str:
    terms = [repr(_logit2(prior))]
    names = list(dict.fromkeys(w.comparison for w in weights))
    for index, column in enumerate(names[:width]):
        cases = " ".join(f"WHEN {w.level} THEN {w.match_weight!r}" for w in weights if w.comparison == column)
        terms.append(f"CASE g{index} {cases} END")
    return " + ".join(terms)


def explained_links_sql(model: ProbabilisticConfig, outcome: ModelOutcome, records: str, ids: str) -> str:
    """The explanation table: one row per link, with its records, customer, blocking rule, levels, weights.

    `records(rid, source, source_key)` names the records; `ids(rid, customer_id)` their customers.
    """
    blocked = " ".join(f"WHEN {i} THEN {quote_literal(b.name)}" for i, b in enumerate(model.blocking))
    columns = []
    for index, comparison in enumerate(model.comparisons):
        name = comparison.column()
        mine = [w for w in outcome.weights if w.comparison == name]
        label = " ".join(f"WHEN {w.level} THEN {quote_literal(w.label)}" for w in mine)
        weight = " ".join(f"WHEN {w.level} THEN {w.match_weight!r}" for w in mine)
        columns += [
            f"CASE l.g{index} {label} END AS {quote_ident(name + '_level')}",
            f"CASE l.g{index} {weight} END AS {quote_ident(name + '_weight')}",
        ]
    return f"""
        SELECT i.customer_id, x.source AS source_a, x.source_key AS source_key_a,
               y.source AS source_b, y.source_key AS source_key_b,
               CASE l.blocked_by {blocked} END AS blocked_by,
               l.match_weight, l.match_probability, {", ".join(columns)}
        FROM fs_links l JOIN {records} x ON x.rid = l.a JOIN {records} y ON y.rid = l.b
        JOIN {ids} i ON i.rid = l.a
    """


def model_sql(outcome: ModelOutcome) -> str:
    """The model table: the prior, then per comparison and level its m, u and match weight."""
    rows = [f"('prior', 0, 'prior', NULL, NULL, {_logit2(outcome.prior)!r})"]
    rows += [
        f"({quote_literal(w.comparison)}, {w.level}, {quote_literal(w.label)}, {w.m_probability!r}, "
        f"{w.u_probability!r}, {w.match_weight!r})"
        for w in outcome.weights
    ]
    return (
        "SELECT comparison, level, label, CAST(m AS DOUBLE) AS m_probability, CAST(u AS DOUBLE) AS "
        "u_probability, CAST(w AS DOUBLE) AS match_weight FROM (VALUES " + ", ".join(rows) + ") "
        "AS t(comparison, level, label, m, u, w)"
    )


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
