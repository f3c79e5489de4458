"""The input both linkers start from: the pipeline's own `records` table and phone map.

Our linker (`profiles.match.link_records`) and Splink's are timed from what
`profiles.unify.prepare_records` builds, so the comparison covers normalising, blocking,
comparing and clustering only, on identical rows.
"""

from __future__ import annotations

import duckdb

from ac_export.profiles.sources_config import SourcesConfig
from ac_export.profiles.unify import prepare_records
from ac_export.profiles.unify_config import UnifyConfig
from ac_export.warehouse import Warehouse


def load_link_records(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, sources: SourcesConfig, config: UnifyConfig
) -> int:
    """Create `records(rid, source, source_key, <attributes>)` and `phone_map`; returns the record count."""
    prepare_records(con, warehouse, sources, config)
    return int(con.execute("SELECT count(*) FROM records").fetchall()[0][0])
