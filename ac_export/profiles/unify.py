"""Unification end to end: source tables → linked clusters → stable ids → merged profiles, in DuckDB.

Reads `sources/<name>` for every profile source and the previous `profiles/profile_sources`, and
writes `profiles/unified_profiles` (one row per customer) and `profiles/profile_sources` (one row
per source record: `customer_id, source, source_key, matched_by`). Rows are not sorted: sorting a
million rows costs more than merging them, and readers select what they need.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb

from ac_export import contracts
from ac_export.contracts import MATCH_MODEL_TABLE, PROFILE_LINKS_TABLE, PROFILE_SOURCES_TABLE, PROFILES_TABLE
from ac_export.errors import UserError
from ac_export.profiles.identity import IdentityOutcome, assign_ids
from ac_export.profiles.ingest import open_connection
from ac_export.profiles.match import RuleOutcome, link_all
from ac_export.profiles.merge import profiles_sql, ranked_sql
from ac_export.profiles.normalize import email_sql
from ac_export.profiles.phones import PHONE_MAP, map_phones
from ac_export.profiles.probabilistic import ModelOutcome, explained_links_sql, model_sql
from ac_export.profiles.reading import quote_ident, quote_literal
from ac_export.profiles.sources_config import ProfileSource, SourcesConfig
from ac_export.profiles.unify_config import PROBABILISTIC_RULE, UnifyConfig
from ac_export.warehouse import Warehouse


class UnifyError(UserError):
    """Unification cannot run: a source table is missing or out of date with sources.yaml."""


@dataclass(frozen=True)
class UnifyReport:
    """What a unification produced, for metadata and logs."""

    records: int
    profiles: int
    multi_source_profiles: int
    largest_profile: int
    rules: list[RuleOutcome]
    ids: IdentityOutcome
    seconds: float
    model: ModelOutcome | None = None


def unify(warehouse: Warehouse, sources: SourcesConfig, config: UnifyConfig) -> UnifyReport:
    """Unify the warehouse's source tables into profiles and replace the two profile tables."""
    started = time.perf_counter()
    with open_connection() as con:
        attributes = prepare_records(con, warehouse, sources, config)
        outcomes, model = link_all(con, "records", config, sources)
        con.execute(
            "CREATE TEMP TABLE members AS SELECT r.rid, r.source, r.source_key, c.component, c.first_rule "
            "FROM records r JOIN clusters c USING (rid)"
        )
        previous = _previous_links(con, warehouse)
        ids = assign_ids(con, "members", previous)
        _rank(con, sources, config, attributes)
        warehouse.write_query(PROFILES_TABLE, con, profiles_sql("ranked", sources, config.merge, attributes))
        warehouse.write_query(PROFILE_SOURCES_TABLE, con, _links_sql(config))
        if config.probabilistic is not None and model is not None:
            con.execute(
                "CREATE TEMP VIEW record_ids AS SELECT m.rid, ids.customer_id "
                "FROM members m JOIN customer_ids ids USING (component)"
            )
            explained = explained_links_sql(config.probabilistic, model, "records", "record_ids")
            warehouse.write_query(PROFILE_LINKS_TABLE, con, explained)
            warehouse.write_query(MATCH_MODEL_TABLE, con, model_sql(model))
        else:
            _empty_model_tables(con, warehouse)
        stats = con.execute(f"""
            SELECT count(*), count(*) FILTER (WHERE len(sources) > 1), coalesce(max(record_count), 0),
                   coalesce(sum(record_count), 0)
            FROM {warehouse.scan(PROFILES_TABLE)}
        """).fetchall()[0]
    return UnifyReport(
        records=int(stats[3]),
        profiles=int(stats[0]),
        multi_source_profiles=int(stats[1]),
        largest_profile=int(stats[2]),
        rules=outcomes,
        ids=ids,
        seconds=time.perf_counter() - started,
        model=model,
    )


def prepare_records(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, sources: SourcesConfig, config: UnifyConfig
) -> list[str]:
    """Create `records(rid, source, source_key, <attributes>)` and the phone map; returns the attributes.

    `rid` is a dense row index (0..n-1) for the graph step; nothing depends on its order.
    """
    selects = [
        _source_select(con, warehouse, name, source) for name, source in sources.profile_sources.items()
    ]
    con.execute(f"CREATE OR REPLACE TEMP TABLE records_base AS {' UNION ALL BY NAME '.join(selects)}")
    # rowid of a freshly written table is dense and free, where row_number() would cost a pass.
    con.execute("CREATE OR REPLACE TEMP VIEW records AS SELECT rowid AS rid, * FROM records_base")
    attributes = list(sources.profile_attributes())
    map_phones(con, "records_base", _phone_attributes(config, attributes), config.phone_region)
    return attributes


def _source_select(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, name: str, source: ProfileSource
) -> str:
    table = contracts.source_table(name)
    if not warehouse.exists(table):
        raise UnifyError(
            f"{table} has not been materialized yet; materialize the sources before unified_profiles"
        )
    present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {warehouse.scan(table)}").fetchall()}
    missing = [a for a in source.attributes() if a not in present]
    if missing:
        raise UnifyError(
            f"{table} lacks {missing}: sources.yaml changed since it was built; materialize {table} again"
        )
    columns = ", ".join(quote_ident(a) for a in source.attributes())
    return f"SELECT {quote_literal(name)} AS source, source_key, {columns} FROM {warehouse.scan(table)}"


def _phone_attributes(config: UnifyConfig, attributes: list[str]) -> list[str]:
    """Attributes needing an E.164 form: the profile's phone, and any a rule normalises with phone_e164."""
    named = {
        c.attribute for _, rule in config.rules() for c in rule.conditions if "phone_e164" in c.normalize
    }
    model = config.probabilistic
    if model is not None:
        keys = [k for b in model.blocking for k in b.keys] + list(model.comparisons)
        named |= {k.attribute for k in keys if "phone_e164" in k.normalize}
    return [a for a in attributes if a in named or a == "phone"]


def _empty_model_tables(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    """Without a model, an earlier run's links and model would explain links no longer made: empty them."""
    for table in (PROFILE_LINKS_TABLE, MATCH_MODEL_TABLE):
        if warehouse.exists(table):
            warehouse.write_query(table, con, f"SELECT * FROM {warehouse.scan(table)} LIMIT 0")


def _previous_links(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> str | None:
    """The last run's record → customer map, copied in before the table is replaced."""
    if not warehouse.exists(PROFILE_SOURCES_TABLE):
        return None
    con.execute(
        f"CREATE TEMP TABLE previous_links AS SELECT customer_id, source, source_key "
        f"FROM {warehouse.scan(PROFILE_SOURCES_TABLE)}"
    )
    return "previous_links"


def _rank(
    con: duckdb.DuckDBPyConnection, sources: SourcesConfig, config: UnifyConfig, attributes: list[str]
) -> None:
    """`ranked`: records in profile form (email normalised, phone E.164), with ranking columns."""
    replaced = []
    if "email" in attributes:
        replaced.append(f"{email_sql('email')} AS email")
    if "phone" in attributes:
        replaced.append(f"(SELECT e164 FROM {PHONE_MAP} p WHERE p.raw = r.phone) AS phone")
    replace = f" REPLACE ({', '.join(replaced)})" if replaced else ""
    columns = ", ".join(quote_ident(a) for a in attributes)
    con.execute(f"""
        CREATE TEMP VIEW ranked_base AS
        SELECT ids.customer_id, r.source, r.source_key, {columns}
        FROM (SELECT *{replace} FROM records r) r
        JOIN members m USING (rid) JOIN customer_ids ids USING (component)
    """)
    # Views, not tables: the merge reads each record once, so materializing would only copy them.
    con.execute(f"CREATE TEMP VIEW ranked AS {ranked_sql('ranked_base', sources, config.merge, attributes)}")


def _links_sql(config: UnifyConfig) -> str:
    names = [rule.name for _, rule in config.rules()]
    names += [PROBABILISTIC_RULE] if config.probabilistic is not None else []
    matched_by = (
        "CASE m.first_rule "
        + " ".join(f"WHEN {i} THEN {quote_literal(n)}" for i, n in enumerate(names))
        + " END"
    )
    if not names:
        matched_by = "CAST(NULL AS VARCHAR)"
    return (
        f"SELECT ids.customer_id, m.source, m.source_key, {matched_by} AS matched_by "
        "FROM members m JOIN customer_ids ids USING (component)"
    )
