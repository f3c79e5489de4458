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

from ac_export.profiles.match_graph import Credit, LinkGraph, write_clusters
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
    graph = LinkGraph(len(rules) + (model is not None))
    skipped: dict[int, tuple[int, int]] = {}
    for number, family in enumerate(_families(rules, sources)):
        table = _stage_records(con, family, key_columns, f"rule_records_{number}")
        skipped |= _link_family(con, table, family, config.max_block_size, graph)
    outcome = None
    if model is not None:
        outcome = link_probabilistically(con, model, key_columns, config.max_block_size, records)
        skipped[len(rules)] = (outcome.skipped_blocks, outcome.skipped_records)
        links = con.execute("SELECT a, b FROM fs_links").fetchnumpy()
        graph.add_edges(links["a"], links["b"])
        graph.credit(len(rules), np.concatenate([links["a"], links["b"]]))
    size = int(con.execute(f"SELECT coalesce(max(rid) + 1, 0) FROM {records}").fetchall()[0][0])
    credit = write_clusters(con, graph, size)
    return _outcomes(rules, skipped, credit, outcome is not None), outcome


@dataclass(frozen=True)
class Family:
    """Rules with the same conditions over the same sources: one pass over their records serves all.

    A dedup rule and a match rule with the same conditions compare the same blocks; the first keeps
    the links within a source, the second those across sources.
    """

    rule: Rule
    sources: tuple[str, ...]
    dedup: tuple[int, ...]
    match: tuple[int, ...]


def _families(rules: list[tuple[Literal["dedup", "match"], Rule]], sources: SourcesConfig) -> list[Family]:
    grouped: dict[tuple[object, ...], tuple[Rule, tuple[str, ...], list[int], list[int]]] = {}
    for index, (kind, rule) in enumerate(rules):
        scope = tuple(rule_sources(rule, sources))
        conditions = tuple((c.compare, _key(c), c.similarity, c.threshold) for c in rule.conditions)
        entry = grouped.setdefault((conditions, scope), (rule, scope, [], []))
        (entry[2] if kind == "dedup" else entry[3]).append(index)
    return [Family(rule, scope, tuple(d), tuple(m)) for rule, scope, d, m in grouped.values()]


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
    con: duckdb.DuckDBPyConnection, family: Family, key_columns: KeyColumns, table: str
) -> str:
    """View `table(rid, source, k0.., f0..)`: the records a family compares, keys non-NULL."""
    exact = [key_columns[_key(c)] for c in family.rule.exact_conditions()]
    fuzzy = [key_columns[_key(c)] for c in family.rule.fuzzy_conditions()]
    columns = [f"{n} AS k{i}" for i, n in enumerate(exact)] + [f"{n} AS f{i}" for i, n in enumerate(fuzzy)]
    present = " AND ".join(f"{n} IS NOT NULL" for n in [*exact, *fuzzy])
    listed = ", ".join(quote_literal(s) for s in family.sources) or "NULL"
    # A view: a family reads its records once or twice, and copying them cost more than the filter.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT rid, source, {', '.join(columns)} "
        f"FROM match_keys WHERE source IN ({listed}) AND {present}"
    )
    return table


Skipped = dict[int, tuple[int, int]]


def _link_family(
    con: duckdb.DuckDBPyConnection, records: str, family: Family, max_block_size: int, graph: LinkGraph
) -> Skipped:
    """Add a family's links to the graph, credited to its rules; returns each rule's skipped blocks."""
    if not family.rule.fuzzy_conditions():
        links = con.execute(_stars_sql(records, family)).fetchnumpy()
        graph.add_edges(links["a"], links["b"])
        for rules, flags in ((family.dedup, links["within"]), (family.match, links["across"])):
            for rule in rules:
                # A star's root has a row of its own: each row credits its own record only.
                graph.credit(rule, links["a"][flags])
        return {rule: (0, 0) for rule in (*family.dedup, *family.match)}
    selects, skipped = _pairs_sql(con, records, family, max_block_size)
    pairs = con.execute(" UNION ALL ".join(selects)).fetchnumpy()
    graph.add_edges(pairs["a"], pairs["b"])
    within = pairs["within"]
    for rules, flags in ((family.dedup, within), (family.match, ~within)):
        for rule in rules:
            graph.credit(rule, np.concatenate([pairs["a"][flags], pairs["b"][flags]]))
    return skipped


def _block_keys(family: Family) -> str:
    """A family's block columns: its exact keys, and the source when only dedup rules compare."""
    keys = [f"k{i}" for i in range(len(family.rule.exact_conditions()))]
    return ", ".join(keys + ([] if family.match else ["source"]))


def _stars_sql(records: str, family: Family) -> str:
    """`a, b, within, across`: every record of a linked block to the block's first record.

    One edge per record, whatever the block's size, straight from the grouping (no join back).
    `within`: a dedup rule linked the record (another of its source is in the block); `across`: a
    match rule did (the block holds two sources).
    """
    keys = _block_keys(family)
    if not family.match:
        return (
            f"SELECT unnest(rids) AS a, root AS b, TRUE AS within, FALSE AS across FROM ("
            f"SELECT list(rid) AS rids, min(rid) AS root FROM {records} GROUP BY {keys} HAVING count(*) >= 2)"
        )
    across = "min(source) < max(source)"
    if not family.dedup:
        return (
            f"SELECT unnest(rids) AS a, root AS b, FALSE AS within, TRUE AS across FROM ("
            f"SELECT list(rid) AS rids, min(rid) AS root FROM {records} GROUP BY {keys} HAVING {across})"
        )
    # A block of one source links as a dedup block; one of several sources links whole by the match
    # rule, and a record there is also a dedup link when its source appears twice.
    counts = [f"count(*) FILTER (WHERE source = {quote_literal(s)})" for s in family.sources]
    own = "CASE s " + " ".join(f"WHEN {quote_literal(s)} THEN c{i}" for i, s in enumerate(family.sources))
    return (
        f"SELECT a, b, {own} END >= 2 AS within, across FROM ("
        f"SELECT unnest(rids) AS a, unnest(sources) AS s, root AS b, across, "
        f"{', '.join(f'c{i}' for i in range(len(counts)))} FROM ("
        f"SELECT list(rid) AS rids, list(source) AS sources, min(rid) AS root, {across} AS across, "
        f"{', '.join(f'{c} AS c{i}' for i, c in enumerate(counts))} "
        f"FROM {records} GROUP BY {keys} HAVING count(*) >= 2))"
    )


def _pairs_sql(
    con: duckdb.DuckDBPyConnection, records: str, family: Family, max_block_size: int
) -> tuple[list[str], Skipped]:
    """Queries of `a, b, within`: the pairs inside blocks that pass the fuzzy tests; skipped blocks.

    The guard finds the blocks past `max_block_size`; the rest are compared as they are, cheaper
    than joining block sizes back. A block holds every source when match rules compare; inside an
    oversized one, the family's dedup rules still compare each source's part when it is small enough.
    """
    keys = _block_keys(family)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE big_blocks AS SELECT {keys}, count(*) AS size, "
        f"min(source) < max(source) AS across FROM {records} "
        f"GROUP BY {keys} HAVING count(*) > {max_block_size}"
    )
    row = con.execute(
        "SELECT count(*), coalesce(sum(size), 0), count(*) FILTER (across), "
        "coalesce(sum(size) FILTER (across), 0) FROM big_blocks"
    ).fetchall()[0]
    skipped = {rule: (int(row[2]), int(row[3])) for rule in family.match}
    skipped |= {rule: (int(row[0]), int(row[1])) for rule in family.dedup}
    members = f"(SELECT * FROM {records} ANTI JOIN big_blocks USING ({keys}))" if row[0] else records
    # Match rules alone need only the pairs across sources (dedup rules alone block by source).
    scope = "" if family.dedup else "AND x.source <> y.source"
    selects = [
        f"SELECT x.rid AS a, y.rid AS b, x.source = y.source AS within FROM {members} x "
        f"JOIN {members} y USING ({keys}) WHERE x.rid < y.rid {scope} AND {_tests_sql(family.rule)}"
    ]
    if row[0] and family.dedup and family.match:
        dedup_skipped, select = _oversized_dedup_sql(con, records, family, max_block_size)
        skipped |= {rule: dedup_skipped for rule in family.dedup}
        selects.append(select)
    return selects, skipped


def _oversized_dedup_sql(
    con: duckdb.DuckDBPyConnection, records: str, family: Family, max_block_size: int
) -> tuple[tuple[int, int], str]:
    """Skipped blocks of a dedup rule inside `big_blocks`, and the pairs of its parts small enough."""
    keys = _block_keys(family)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE big_parts AS SELECT {keys}, source, count(*) AS size "
        f"FROM {records} SEMI JOIN big_blocks USING ({keys}) GROUP BY {keys}, source HAVING count(*) >= 2"
    )
    row = con.execute(
        f"SELECT count(*), coalesce(sum(size), 0) FROM big_parts WHERE size > {max_block_size}"
    ).fetchall()[0]
    members = (
        f"(SELECT r.* FROM {records} r JOIN big_parts p USING ({keys}, source) "
        f"WHERE p.size <= {max_block_size})"
    )
    select = (
        f"SELECT x.rid AS a, y.rid AS b, TRUE AS within FROM {members} x "
        f"JOIN {members} y USING ({keys}, source) WHERE x.rid < y.rid AND {_tests_sql(family.rule)}"
    )
    return (int(row[0]), int(row[1])), select


def _tests_sql(rule: Rule) -> str:
    fuzzy = enumerate(rule.fuzzy_conditions())
    return " AND ".join(similar_sql(c.similarity, c.threshold, f"x.f{i}", f"y.f{i}") for i, c in fuzzy)


def _outcomes(
    rules: list[tuple[Literal["dedup", "match"], Rule]], skipped: Skipped, credit: Credit, probabilistic: bool
) -> list[RuleOutcome]:
    named: list[tuple[Literal["dedup", "match", "probabilistic"], str]] = [(k, r.name) for k, r in rules]
    named += [("probabilistic", PROBABILISTIC_RULE)] if probabilistic else []
    return [
        RuleOutcome(name, kind, credit.linked[i], credit.first[i], *skipped[i])
        for i, (kind, name) in enumerate(named)
    ]
