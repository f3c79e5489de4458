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

from ac_export.profiles.match_terms import similar_sql
from ac_export.profiles.normalize import normalised_sql
from ac_export.profiles.phones import PHONE_MAP
from ac_export.profiles.probabilistic import ModelOutcome, link_probabilistically
from ac_export.profiles.reading import quote_ident, quote_literal
from ac_export.profiles.sources_config import SourcesConfig
from ac_export.profiles.unify_config import (
    PROBABILISTIC_RULE,
    Condition,
    Normaliser,
    Rule,
    UnifyConfig,
    rule_sources,
)


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule did: records it linked, records it linked first, fuzzy blocks it skipped."""

    name: str
    kind: Literal["dedup", "match", "probabilistic"]
    linked_records: int
    first_linked: int
    skipped_blocks: int
    skipped_records: int


def link_records(
    con: duckdb.DuckDBPyConnection, records: str, config: UnifyConfig, sources: SourcesConfig
) -> list[RuleOutcome]:
    """Cluster the records of `records(rid, source, ...)` into `clusters(rid, component, first_rule)`."""
    return link_all(con, records, config, sources)[0]


def link_all(
    con: duckdb.DuckDBPyConnection, records: str, config: UnifyConfig, sources: SourcesConfig
) -> tuple[list[RuleOutcome], ModelOutcome | None]:
    """`link_records`, and the probabilistic model's outcome when unify.yaml has one (links in `fs_links`).

    The model's links are rule number len(rules): after every rule in precedence.
    """
    rules = config.rules()
    model = config.probabilistic
    conditions = [c for _, rule in rules for c in rule.conditions]
    if model is not None:
        keys = [k for b in model.blocking for k in b.keys] + list(model.comparisons)
        conditions += [Condition(attribute=k.attribute, normalize=list(k.normalize)) for k in keys]
    key_columns = _materialise_keys(con, records, conditions)
    con.execute("CREATE OR REPLACE TEMP TABLE edges (a BIGINT, b BIGINT, rule INTEGER)")
    skipped: list[tuple[int, int]] = []
    staged: dict[tuple[object, ...], str] = {}
    for index, (kind, rule) in enumerate(rules):
        # A dedup rule and a match rule with the same conditions compare the same records.
        signature = (tuple(_key(c) for c in rule.conditions), tuple(rule_sources(rule, sources)))
        if signature not in staged:
            staged[signature] = _stage_records(con, rule, sources, key_columns, f"rule_records_{len(staged)}")
        edges = _edges_sql(con, staged[signature], rule, kind, config.max_block_size)
        con.execute(f"INSERT INTO edges SELECT a, b, {index} FROM ({edges})")
        skipped.append(_skipped(con, rule, config.max_block_size))
    outcome = None
    if model is not None:
        outcome = link_probabilistically(con, model, key_columns, config.max_block_size, len(rules), records)
        skipped.append((outcome.skipped_blocks, outcome.skipped_records))
    _components(con, records)
    return _outcomes(con, rules, skipped, outcome is not None), outcome


KeyColumns = dict[tuple[str, tuple[Normaliser, ...]], str]


def _key(condition: Condition) -> tuple[str, tuple[Normaliser, ...]]:
    return condition.attribute, tuple(sorted(condition.normalize))


def _materialise_keys(
    con: duckdb.DuckDBPyConnection, records: str, conditions: list[Condition]
) -> KeyColumns:
    """`match_keys(rid, source, n0, n1, ...)`: each normalised value computed once for all rules.

    Regular-expression normalisers run once per distinct value and are joined back: names repeat
    a lot, and a join is cheaper than a regular expression on every row. Phone numbers are looked
    up in the phone map (`phones.create_phone_map`), which must exist.
    """
    columns: KeyColumns = {}
    for condition in conditions:
        columns.setdefault(_key(condition), f"n{len(columns)}")
    selected: list[str] = []
    costly: dict[str, list[tuple[str, str]]] = {}
    for (attribute, normalisers), name in columns.items():
        if "phone_e164" in normalisers:
            selected.append(f"m_{name}.e164 AS {name}")
        elif set(normalisers) & _COSTLY:
            costly.setdefault(attribute, []).append((normalised_sql(attribute, normalisers), name))
            selected.append(f"m_{attribute}.{name}")
        else:
            selected.append(f"{normalised_sql(attribute, normalisers)} AS {name}")
    joins = [
        f"LEFT JOIN {PHONE_MAP} AS m_{name} ON m_{name}.raw = r.{quote_ident(attribute)}"
        for (attribute, normalisers), name in columns.items()
        if "phone_e164" in normalisers
    ]
    # One distinct-value table per attribute carries all of its costly forms: one join each.
    for attribute, forms in costly.items():
        column = quote_ident(attribute)
        computed = ", ".join(f"{expression} AS {name}" for expression, name in forms)
        joins.append(
            f"LEFT JOIN (SELECT {column} AS v, {computed} FROM (SELECT DISTINCT {column} FROM {records})) "
            f"AS m_{attribute} ON m_{attribute}.v = r.{column}"
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE match_keys AS SELECT r.rid, r.source, {', '.join(selected)} "
        f"FROM {records} r {' '.join(joins)}"
    )
    return columns


_COSTLY = frozenset({"symbols", "whitespace", "name_order", "accents"})


def _stage_records(
    con: duckdb.DuckDBPyConnection, rule: Rule, sources: SourcesConfig, key_columns: KeyColumns, table: str
) -> str:
    """View `table(rid, source, k0.., f0..)`: the records a rule compares, keys non-NULL."""
    exact = [key_columns[_key(c)] for c in rule.exact_conditions()]
    fuzzy = [key_columns[_key(c)] for c in rule.fuzzy_conditions()]
    columns = [f"{n} AS k{i}" for i, n in enumerate(exact)] + [f"{n} AS f{i}" for i, n in enumerate(fuzzy)]
    present = " AND ".join(f"{n} IS NOT NULL" for n in [*exact, *fuzzy])
    listed = ", ".join(quote_literal(s) for s in rule_sources(rule, sources)) or "NULL"
    # A view: a rule reads its records once or twice, and copying them cost more than the filter.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT rid, source, {', '.join(columns)} "
        f"FROM match_keys WHERE source IN ({listed}) AND {present}"
    )
    return table


def _edges_sql(
    con: duckdb.DuckDBPyConnection, records: str, rule: Rule, kind: str, max_block_size: int
) -> str:
    """The edges of one rule over its staged records: star edges for exact rules, tested pairs for fuzzy."""
    keys = ", ".join(
        [f"k{i}" for i in range(len(rule.exact_conditions()))] + (["source"] if kind == "dedup" else [])
    )
    # A block can link only with two records (dedup) or records of two sources (match).
    enough = "count(*) >= 2" if kind == "dedup" else "min(source) < max(source)"
    if not rule.fuzzy_conditions():
        # Every record of a block links to the block's first record: one edge per record, whatever the
        # size, straight from the grouping (no join back).
        return (
            f"SELECT unnest(rids) AS a, root AS b FROM (SELECT list(rid) AS rids, min(rid) AS root "
            f"FROM {records} GROUP BY {keys} HAVING {enough})"
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE rule_blocks AS SELECT {keys}, count(*) AS size "
        f"FROM {records} GROUP BY {keys} HAVING {enough}"
    )
    same = "x.source = y.source" if kind == "dedup" else "x.source <> y.source"
    tests = " AND ".join(
        similar_sql(c.similarity, c.threshold, f"x.f{i}", f"y.f{i}")
        for i, c in enumerate(rule.fuzzy_conditions())
    )
    return (
        f"WITH members AS (SELECT r.* FROM {records} r JOIN rule_blocks b USING ({keys}) "
        f"WHERE b.size <= {max_block_size}) "
        f"SELECT x.rid AS a, y.rid AS b FROM members x JOIN members y USING ({keys}) "
        f"WHERE x.rid < y.rid AND {same} AND {tests}"
    )


def _skipped(con: duckdb.DuckDBPyConnection, rule: Rule, max_block_size: int) -> tuple[int, int]:
    if not rule.fuzzy_conditions():
        return 0, 0
    row = con.execute(
        f"SELECT count(*), coalesce(sum(size), 0) FROM rule_blocks WHERE size > {max_block_size}"
    ).fetchall()[0]
    return int(row[0]), int(row[1])


def _components(con: duckdb.DuckDBPyConnection, records: str) -> None:
    # One node per rid; unused numbers would only be singletons that no record joins back to.
    size = int(con.execute(f"SELECT coalesce(max(rid) + 1, 0) FROM {records}").fetchall()[0][0])
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
    probabilistic: bool,
) -> list[RuleOutcome]:
    linked = dict(con.execute("SELECT rule, count(DISTINCT rid) FROM incidences GROUP BY rule").fetchall())
    first = dict(
        con.execute(
            "SELECT first_rule, count(*) FROM clusters WHERE first_rule IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    named: list[tuple[Literal["dedup", "match", "probabilistic"], str]] = [(k, r.name) for k, r in rules]
    named += [("probabilistic", PROBABILISTIC_RULE)] if probabilistic else []
    return [
        RuleOutcome(name, kind, int(linked.get(i, 0)), int(first.get(i, 0)), *skipped[i])
        for i, (kind, name) in enumerate(named)
    ]
