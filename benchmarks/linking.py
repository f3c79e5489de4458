"""What every linker of the race shares: the same input, and the same clock around the linking.

Our linker (`profiles.match.link_records`) and Splink's are timed from what
`profiles.unify.prepare_records` builds, so the comparison covers normalising, blocking,
comparing and clustering only, on identical rows. `timed_link` loads the records, times one
linker (wall and CPU), then counts and writes its clusters outside the clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ac_export.profiles.ingest import open_connection
from ac_export.profiles.sources_config import SourcesConfig, load_sources_config
from ac_export.profiles.unify import prepare_records
from ac_export.profiles.unify_config import UnifyConfig, load_unify_config
from ac_export.warehouse import Warehouse
from benchmarks.worker import Figures, Params, cpu_seconds, peak_rss_bytes


@dataclass(frozen=True)
class LinkInput:
    """A connection holding `records` and `phone_map`, and the configuration the linker reads."""

    con: duckdb.DuckDBPyConnection
    sources: SourcesConfig
    config: UnifyConfig


@dataclass(frozen=True)
class Linked:
    """What a linker left: a query of `rid, cluster_id`, tables to count, and figures of its own."""

    clusters: str
    counts: dict[str, str] = field(default_factory=dict)
    figures: Figures = field(default_factory=dict)


Linker = Callable[[LinkInput], Linked]


def load_link_records(
    con: duckdb.DuckDBPyConnection, warehouse: Warehouse, sources: SourcesConfig, config: UnifyConfig
) -> int:
    """Create `records(rid, source, source_key, <attributes>)` and `phone_map`; returns the record count."""
    prepare_records(con, warehouse, sources, config)
    return int(con.execute("SELECT count(*) FROM records").fetchall()[0][0])


def timed_link(params: Params, link: Linker) -> Figures:
    """Time `link` on the records of `params["warehouse"]`; its clusters go to `params["clusters"]`."""
    warehouse, config_dir = Warehouse(Path(params["warehouse"])), Path(params["config_dir"])
    sources = load_sources_config(config_dir)
    config = load_unify_config(config_dir, sources)
    with open_connection() as con:
        started = time.perf_counter()
        records = load_link_records(con, warehouse, sources, config)
        loaded, cpu_loaded = time.perf_counter(), cpu_seconds()
        linked = link(LinkInput(con, sources, config))
        done, cpu_done = time.perf_counter(), cpu_seconds()
        peak = peak_rss_bytes()
        counts = {
            name: int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
            for name, table in linked.counts.items()
        }
        con.execute(
            f"COPY (SELECT r.rid, r.source, r.source_key, c.cluster_id FROM ({linked.clusters}) c "
            f"JOIN records r USING (rid)) TO '{params['clusters']}' (FORMAT parquet)"
        )
    return {
        "records": records,
        "load_seconds": loaded - started,
        "link_seconds": done - loaded,
        # CPU time of the linking alone (DuckDB threads included): what the load does not inflate.
        "link_cpu_seconds": cpu_done - cpu_loaded,
        **counts,
        **linked.figures,
        "peak_rss_bytes": peak,
    }
