"""Links to clusters and rule credit, in NumPy and SciPy on the links' record numbers.

Linkers hand over links as arrays: the edges of the graph (two records each) and, per rule, the
records the rule linked. Clusters are the connected components of every edge; a record's credit
goes to the first rule (lowest number) that linked it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

IntArray = np.ndarray


@dataclass
class LinkGraph:
    """The edges gathered so far, and for each rule number the records it linked."""

    rules: int
    edges: list[tuple[IntArray, IntArray]] = field(default_factory=list)
    linked: dict[int, list[IntArray]] = field(default_factory=dict)

    def add_edges(self, a: IntArray, b: IntArray) -> None:
        """Edges between records a[i] and b[i]."""
        self.edges.append((a, b))

    def credit(self, rule: int, records: IntArray) -> None:
        """Records a rule linked (repeats allowed)."""
        self.linked.setdefault(rule, []).append(records)


@dataclass(frozen=True)
class Credit:
    """Per rule number: records it linked, and records it linked first."""

    linked: list[int]
    first: list[int]


def write_clusters(con: duckdb.DuckDBPyConnection, graph: LinkGraph, size: int) -> Credit:
    """Create `clusters(rid, component, first_rule)` for rids 0..size-1; returns each rule's credit."""
    labels = _components(graph, size)
    first = np.full(size, -1, dtype=np.int32)
    linked = [0] * graph.rules
    # From the last rule to the first, so the first rule that linked a record writes last.
    for rule in reversed(range(graph.rules)):
        seen = np.zeros(size, dtype=bool)
        for records in graph.linked.get(rule, []):
            seen[records] = True
        first[seen] = rule
        linked[rule] = int(seen.sum())
    credited = np.bincount(first[first >= 0], minlength=graph.rules)
    frame = pl.DataFrame({"rid": np.arange(size, dtype=np.int64), "component": labels, "first_rule": first})
    con.register("cluster_labels", frame)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE clusters AS "
        "SELECT rid, component, NULLIF(first_rule, -1) AS first_rule FROM cluster_labels"
    )
    con.unregister("cluster_labels")
    return Credit(linked, [int(n) for n in credited])


def _components(graph: LinkGraph, size: int) -> IntArray:
    # Imported here: SciPy is a quarter of a second of every process's start, and only unifying needs it.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    # One node per rid; unused numbers would only be singletons that no record joins back to.
    a = np.concatenate([np.empty(0, dtype=np.int64), *(e[0] for e in graph.edges)]).astype(np.int64)
    b = np.concatenate([np.empty(0, dtype=np.int64), *(e[1] for e in graph.edges)]).astype(np.int64)
    matrix = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(size, size)).tocsr()
    _, labels = connected_components(matrix, directed=False)
    return np.asarray(labels)
