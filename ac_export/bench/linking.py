"""The input both linkers start from: every profile-source record, and the phone map (text → E.164).

Our linker (`profiles.match.link_records`) and Splink's are timed from the same `records` table,
built here the way unification builds it, so the comparison covers blocking, comparing and
clustering only, on identical rows.
"""

from __future__ import annotations

import duckdb

from ac_export.config.sources import SourcesConfig
from ac_export.config.unify import UnifyConfig
from ac_export.profiles.phones import map_phones
from ac_export.profiles.reading import quote_ident, quote_literal
from ac_export.warehouse import Warehouse


def load_link_records(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, sources: SourcesConfig, config: UnifyConfig
) -> int:
    """Create `records(rid, source, source_key, <attributes>)` and `phone_map`; returns the record count."""
    selects = []
    for name, source in sources.profile_sources.items():
        columns = ", ".join(quote_ident(a) for a in source.attributes())
        selects.append(
            f"SELECT {quote_literal(name)} AS source, source_key, {columns} "
            f"FROM {warehouse.scan(f'sources/{name}')}"
        )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE records AS
        SELECT row_number() OVER (ORDER BY source, source_key) - 1 AS rid, *
        FROM ({" UNION ALL BY NAME ".join(selects)})
    """)
    phones = sorted(
        {c.attribute for _, rule in config.rules() for c in rule.conditions if "phone_e164" in c.normalize}
    )
    map_phones(con, "records", phones, config.phone_region)
    return int(con.execute("SELECT count(*) FROM records").fetchall()[0][0])
