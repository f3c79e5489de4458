"""Stable customer ids: keep the previous run's ids where clusters carry on, hash new clusters' first record.

- A cluster none of whose records was seen before gets `cus_` + 16 hex digits of the SHA-256 of
  its smallest (source, source_key): the same records give the same id whatever the row order.
- A cluster holding records that had ids in the previous run keeps one of those ids. When
  clusters merged or split, ids go by the most shared records, then the smallest id, then the
  smallest first record; each previous id goes to one cluster at most, so ids stay unique.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

ID_PREFIX = "cus_"
ID_HEX_DIGITS = 16


@dataclass(frozen=True)
class IdentityOutcome:
    """How ids were assigned: kept from the previous run, new, and previous ids no longer used."""

    kept: int
    new: int
    retired: int


def assign_ids(con: duckdb.DuckDBPyConnection, members: str, previous: str | None) -> IdentityOutcome:
    """Create `customer_ids(component, customer_id)` for `members(source, source_key, component)`.

    `previous` is a table expression with `customer_id, source, source_key` from the last run, or
    None on the first run.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE id_clusters AS
        SELECT component, first.source AS first_source, first.source_key AS first_key, first
        FROM (SELECT component, min({{'source': source, 'source_key': source_key}}) AS first
              FROM {members} GROUP BY component)
    """)
    con.execute("CREATE OR REPLACE TEMP TABLE kept_ids (component BIGINT, customer_id VARCHAR)")
    previous_ids = 0
    if previous is not None:
        _keep_previous_ids(con, members, previous)
        previous_ids = int(
            con.execute(f"SELECT count(DISTINCT customer_id) FROM {previous}").fetchall()[0][0]
        )
    _mint_new_ids(con)
    kept = int(con.execute("SELECT count(*) FROM kept_ids").fetchall()[0][0])
    total = int(con.execute("SELECT count(*) FROM customer_ids").fetchall()[0][0])
    return IdentityOutcome(kept=kept, new=total - kept, retired=previous_ids - kept)


def _keep_previous_ids(con: duckdb.DuckDBPyConnection, members: str, previous: str) -> None:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE id_candidates AS
        SELECT m.component, p.customer_id, count(*) AS shared, any_value(c.first) AS first
        FROM {members} m
        JOIN (SELECT DISTINCT customer_id, source, source_key FROM {previous}) p USING (source, source_key)
        JOIN id_clusters c USING (component)
        GROUP BY m.component, p.customer_id
    """)
    # Rounds of mutual best choices under one total order: each round settles at least the best
    # remaining pair, and in practice nearly all clusters settle in the first round.
    while True:
        order = "shared DESC, customer_id, first"
        added = con.execute(f"""
            INSERT INTO kept_ids
            WITH open AS (
                SELECT * FROM id_candidates
                WHERE component NOT IN (SELECT component FROM kept_ids)
                  AND customer_id NOT IN (SELECT customer_id FROM kept_ids)
            ), ranked AS (
                SELECT component, customer_id,
                       row_number() OVER (PARTITION BY component ORDER BY {order}) AS by_cluster,
                       row_number() OVER (PARTITION BY customer_id ORDER BY {order}) AS by_id
                FROM open
            )
            SELECT component, customer_id FROM ranked WHERE by_cluster = 1 AND by_id = 1
        """).fetchall()[0][0]
        if not added:
            return


def _mint_new_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Ids for clusters without a previous id, re-hashed with a counter in the rare case of a clash."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE minted_ids AS
        SELECT component, first, first_source, first_key, 0 AS attempt,
               CAST(NULL AS VARCHAR) AS customer_id
        FROM id_clusters WHERE component NOT IN (SELECT component FROM kept_ids)
    """)
    while True:
        con.execute(f"""
            UPDATE minted_ids SET customer_id = '{ID_PREFIX}' || left(sha256(
                first_source || chr(31) || first_key
                || CASE WHEN attempt = 0 THEN '' ELSE chr(31) || attempt END
            ), {ID_HEX_DIGITS})
        """)
        clashes = con.execute("""
            UPDATE minted_ids SET attempt = attempt + 1 WHERE component IN (
                SELECT component FROM (
                    SELECT component, customer_id,
                           row_number() OVER (PARTITION BY customer_id ORDER BY first) AS nth
                    FROM minted_ids
                ) m
                WHERE nth > 1 OR customer_id IN (SELECT customer_id FROM kept_ids)
            )
        """).fetchall()[0][0]
        if not clashes:
            break
    con.execute("""
        CREATE OR REPLACE TEMP TABLE customer_ids AS
        SELECT component, customer_id FROM kept_ids
        UNION ALL SELECT component, customer_id FROM minted_ids
    """)
