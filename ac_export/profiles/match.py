"""Linking records: rules to edges in SQL (blocking on exact keys), edges to clusters with scipy.

A rule's exact conditions define blocks: records sharing every exact normalised value. A rule with
only exact conditions links each block as a star (every record to the block's first record), so
a block of any size costs one edge per record. Fuzzy conditions are compared pair by pair inside
blocks only, and blocks larger than `max_block_size` are skipped and reported. Match rules link
records of different sources, dedup rules records of the same source. Clusters are the connected
components of all edges, so matches are transitive and rules are joined by OR.

Rule order is precedence: each record is credited to the first rule (dedup rules, then match
rules, in file order) that linked it, in `profile_sources.matched_by` and in the per-rule counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb
import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ac_export.config.sources import SourcesConfig
from ac_export.config.unify import Condition, Rule, UnifyConfig, rule_sources
from ac_export.profiles.normalize import normalised_sql
from ac_export.profiles.reading import quote_literal


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule did: records it linked, records it linked first, fuzzy blocks it skipped."""

    name: str
    kind: Literal["dedup", "match"]
    linked_records: int
    first_linked: int
    skipped_blocks: int
    skipped_records: int


def link_records(
    con: duckdb.DuckDBPyConnection, records: str, config: UnifyConfig, sources: SourcesConfig
) -> list[RuleOutcome]:
    """Cluster the records of `records(rid, source, ...)` into `clusters(rid, component, first_rule)`."""
    rules = config.rules()
    key_columns = _materialise_keys(con, records, [c for _, rule in rules for c in rule.conditions])
    con.execute("CREATE OR REPLACE TEMP TABLE edges (a BIGINT, b BIGINT, rule INTEGER)")
    skipped: list[tuple[int, int]] = []
    for index, (kind, rule) in enumerate(rules):
        block = _block(rule, kind, sources, key_columns)
        edges = _edges_sql(block, rule, kind, config.max_block_size)
        con.execute(f"INSERT INTO edges SELECT a, b, {index} FROM ({edges})")
        skipped.append(_skipped(con, block, rule, config.max_block_size))
    _components(con, records)
    return _outcomes(con, rules, skipped)


def _key(condition: Condition) -> tuple[str, tuple[str, ...]]:
    return condition.attribute, tuple(sorted(condition.normalize))


def _materialise_keys(
    con: duckdb.DuckDBPyConnection, records: str, conditions: list[Condition]
) -> dict[tuple[str, tuple[str, ...]], str]:
    """`match_keys(rid, source, n0, n1, ...)`: each normalised value computed once for all rules."""
    columns: dict[tuple[str, tuple[str, ...]], str] = {}
    for condition in conditions:
        columns.setdefault(_key(condition), f"n{len(columns)}")
    selected = "".join(
        f", {normalised_sql(attribute, normalisers)} AS {name}"
        for (attribute, normalisers), name in columns.items()
    )  # type: ignore[arg-type]
    con.execute(f"CREATE OR REPLACE TEMP TABLE match_keys AS SELECT rid, source{selected} FROM {records}")
    return columns


@dataclass(frozen=True)
class _Block:
    keyed_sql: str
    keys: list[str]


def _block(
    rule: Rule, kind: str, sources: SourcesConfig, key_columns: dict[tuple[str, tuple[str, ...]], str]
) -> _Block:
    """The records a rule compares, with their exact keys k0.. and fuzzy values f0.., none NULL."""
    exact = [key_columns[_key(c)] for c in rule.exact_conditions()]
    fuzzy = [key_columns[_key(c)] for c in rule.fuzzy_conditions()]
    columns = [f"{n} AS k{i}" for i, n in enumerate(exact)] + [f"{n} AS f{i}" for i, n in enumerate(fuzzy)]
    present = " AND ".join(f"{n} IS NOT NULL" for n in [*exact, *fuzzy])
    listed = ", ".join(quote_literal(s) for s in rule_sources(rule, sources)) or "NULL"
    keyed = (
        f"SELECT rid, source, {', '.join(columns)} FROM match_keys WHERE source IN ({listed}) AND {present}"
    )
    keys = [f"k{i}" for i in range(len(exact))] + (["source"] if kind == "dedup" else [])
    return _Block(keyed, keys)


def _edges_sql(block: _Block, rule: Rule, kind: str, max_block_size: int) -> str:
    keys = ", ".join(block.keys)
    if not rule.fuzzy_conditions():
        # Every record of a block links to the block's first record: one edge per record, whatever the size.
        enough = "count(*) >= 2" if kind == "dedup" else "count(DISTINCT source) >= 2"
        return (
            f"WITH keyed AS ({block.keyed_sql}), "
            f"blocks AS (SELECT {keys}, min(rid) AS root FROM keyed GROUP BY {keys} HAVING {enough}) "
            f"SELECT keyed.rid AS a, blocks.root AS b FROM keyed JOIN blocks USING ({keys})"
        )
    same = "x.source = y.source" if kind == "dedup" else "x.source <> y.source"
    tests = " AND ".join(_similar(c, f"x.f{i}", f"y.f{i}") for i, c in enumerate(rule.fuzzy_conditions()))
    return (
        f"WITH keyed AS ({block.keyed_sql}), "
        f"sized AS (SELECT *, count(*) OVER (PARTITION BY {keys}) AS block_size FROM keyed) "
        f"SELECT x.rid AS a, y.rid AS b FROM sized x JOIN sized y USING ({keys}) "
        f"WHERE x.block_size <= {max_block_size} AND x.rid < y.rid AND {same} AND {tests}"
    )


def _similar(condition: Condition, left: str, right: str) -> str:
    threshold = repr(float(condition.threshold or 0.0))
    if condition.similarity == "levenshtein":
        return (
            f"1.0 - levenshtein({left}, {right}) / greatest(length({left}), length({right})) >= {threshold}"
        )
    return f"jaro_winkler_similarity({left}, {right}) >= {threshold}"


def _skipped(
    con: duckdb.DuckDBPyConnection, block: _Block, rule: Rule, max_block_size: int
) -> tuple[int, int]:
    if not rule.fuzzy_conditions():
        return 0, 0
    keys = ", ".join(block.keys)
    row = con.execute(
        f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM ({block.keyed_sql}) "
        f"GROUP BY {keys} HAVING count(*) > {max_block_size})"
    ).fetchall()[0]
    return int(row[0]), int(row[1])


def _components(con: duckdb.DuckDBPyConnection, records: str) -> None:
    size = int(con.execute(f"SELECT count(*) FROM {records}").fetchall()[0][0])
    edges = con.execute("SELECT a, b FROM edges").fetchnumpy()
    a, b = np.asarray(edges["a"], dtype=np.int64), np.asarray(edges["b"], dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(size, size)).tocsr()
    _, labels = connected_components(graph, directed=False)
    con.register(
        "component_labels", pl.DataFrame({"rid": np.arange(size, dtype=np.int64), "component": labels})
    )
    # Each end of each edge: the records a rule touched, whichever side of the edge they are on.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE incidences AS "
        "SELECT a AS rid, rule FROM edges UNION ALL SELECT b AS rid, rule FROM edges"
    )
    con.execute("""
        CREATE OR REPLACE TEMP TABLE clusters AS
        SELECT l.rid, l.component, f.rule AS first_rule
        FROM component_labels l LEFT JOIN (
            SELECT rid, min(rule) AS rule FROM incidences GROUP BY rid
        ) f USING (rid)
    """)
    con.unregister("component_labels")


def _outcomes(
    con: duckdb.DuckDBPyConnection,
    rules: list[tuple[Literal["dedup", "match"], Rule]],
    skipped: list[tuple[int, int]],
) -> list[RuleOutcome]:
    linked = dict(con.execute("SELECT rule, count(DISTINCT rid) FROM incidences GROUP BY rule").fetchall())
    first = dict(
        con.execute(
            "SELECT first_rule, count(*) FROM clusters WHERE first_rule IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    return [
        RuleOutcome(rule.name, kind, int(linked.get(i, 0)), int(first.get(i, 0)), *skipped[i])
        for i, (kind, rule) in enumerate(rules)
    ]
