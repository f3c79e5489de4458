"""How far two clusterings of the same records agree: shared links and the adjusted Rand index.

Both are computed from group sizes (n records give n(n-1)/2 links), never by listing pairs.
"""

from __future__ import annotations

import polars as pl

KEYS = ["source", "source_key"]


def cluster_agreement(first: pl.DataFrame, second: pl.DataFrame) -> dict[str, float | int]:
    """Compare two `(source, source_key, customer_id)` clusterings over the records both contain.

    `first_links_in_second` is the share of the first's links the second also makes (and the
    reverse); `adjusted_rand` is 1 for identical clusterings and about 0 for unrelated ones.
    """
    joined = first.select(*KEYS, a="customer_id").join(
        second.select(*KEYS, b="customer_id"), on=KEYS, how="inner"
    )
    shared, links_a, links_b = _links(joined, ["a", "b"]), _links(joined, ["a"]), _links(joined, ["b"])
    return {
        "records": joined.height,
        "first_links": links_a,
        "second_links": links_b,
        "shared_links": shared,
        "first_links_in_second": shared / links_a if links_a else 1.0,
        "second_links_in_first": shared / links_b if links_b else 1.0,
        "adjusted_rand": adjusted_rand(shared, links_a, links_b, joined.height),
    }


def adjusted_rand(shared: int, links_a: int, links_b: int, records: int) -> float:
    """Hubert and Arabie's adjusted Rand index from link counts (1.0 when both have no links)."""
    total = records * (records - 1) // 2
    if total == 0:
        return 1.0
    expected = links_a * links_b / total
    best = (links_a + links_b) / 2
    if best == expected:
        return 1.0
    return (shared - expected) / (best - expected)


def _links(frame: pl.DataFrame, by: list[str]) -> int:
    sizes = frame.group_by(by).len()["len"].cast(pl.Int64)
    return int((sizes * (sizes - 1) // 2).sum())
