"""Small worlds for profile tests: source tables written straight into a warehouse, and configs in code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ac_export.profiles.sources_config import SourcesConfig
from ac_export.profiles.unify_config import UnifyConfig
from ac_export.warehouse import Warehouse

Record = tuple[str, str]

# The attributes the worlds use and how a source maps them (the column is named like the attribute).
EXTRA_TYPES = {"tier": "string", "points": "integer"}


def sources(**priorities_and_attributes: tuple[int, list[str]]) -> SourcesConfig:
    """Profile sources `name=(priority, [attributes])`, each column named after its attribute."""
    profile_sources: dict[str, Any] = {}
    for name, (priority, attributes) in priorities_and_attributes.items():
        columns = {a: {"attribute": a, "type": EXTRA_TYPES[a]} if a in EXTRA_TYPES else a for a in attributes}
        profile_sources[name] = {
            "path": f"{name}.csv",
            "primary_key": "id",
            "priority": priority,
            "columns": columns,
        }
    return SourcesConfig.model_validate({"profile_sources": profile_sources})


def exact(attribute: str, *normalize: str) -> dict[str, Any]:
    """An exact condition."""
    return {"attribute": attribute, "normalize": list(normalize)}


def fuzzy(
    attribute: str, threshold: float, *normalize: str, similarity: str = "jaro_winkler"
) -> dict[str, Any]:
    """A fuzzy condition."""
    return {
        "attribute": attribute,
        "normalize": list(normalize),
        "compare": "fuzzy",
        "threshold": threshold,
        "similarity": similarity,
    }


def rule(name: str, *conditions: dict[str, Any], only: list[str] | None = None) -> dict[str, Any]:
    """A rule of AND-ed conditions, optionally limited to some sources."""
    body: dict[str, Any] = {"name": name, "conditions": list(conditions)}
    if only is not None:
        body["sources"] = only
    return body


def unify_config(
    match: list[dict[str, Any]] | None = None, dedup: list[dict[str, Any]] | None = None, **rest: Any
) -> UnifyConfig:
    """A unify config from rule dicts and any further top-level fields."""
    return UnifyConfig.model_validate({"match_rules": match or [], "dedup": dedup or [], **rest})


def write_sources(
    warehouse: Warehouse, tables: dict[str, list[dict[str, Any]]], config: SourcesConfig
) -> None:
    """Write `sources/<name>` as the ingest step would: source_key, typed attributes, _row."""
    for name, rows in tables.items():
        types = config.profile_sources[name].attributes()
        schema: dict[str, Any] = {"source_key": pl.String}
        schema.update({a: _POLARS[kind] for a, kind in types.items()})
        frame = pl.DataFrame(
            [{"source_key": r["id"], **{a: r.get(a) for a in types}} for r in rows], schema=schema
        )
        warehouse.write_frame(
            f"sources/{name}",
            frame.with_row_index("_row", offset=1).select(
                "source_key", *types, pl.col("_row").cast(pl.Int64)
            ),
        )


_POLARS = {
    "string": pl.String,
    "integer": pl.Int64,
    "float": pl.Float64,
    "boolean": pl.Boolean,
    "date": pl.Date,
    "timestamp": pl.Datetime("us"),
}


def clusters(warehouse: Warehouse) -> set[frozenset[Record]]:
    """The profiles as sets of (source, source_key)."""
    links = warehouse.read_frame("profiles/profile_sources")
    grouped = links.group_by("customer_id").agg(pl.struct("source", "source_key").alias("records"))
    return {frozenset((r["source"], r["source_key"]) for r in records) for records in grouped["records"]}


def ids(warehouse: Warehouse) -> dict[Record, str]:
    """(source, source_key) → customer_id."""
    links = warehouse.read_frame("profiles/profile_sources")
    return {(r["source"], r["source_key"]): r["customer_id"] for r in links.iter_rows(named=True)}


def matched_by(warehouse: Warehouse) -> dict[Record, str | None]:
    """(source, source_key) → the rule credited with linking it."""
    links = warehouse.read_frame("profiles/profile_sources")
    return {(r["source"], r["source_key"]): r["matched_by"] for r in links.iter_rows(named=True)}


def profile_of(warehouse: Warehouse, record: Record) -> dict[str, Any]:
    """The unified profile holding a record, as a dict."""
    customer = ids(warehouse)[record]
    profiles = warehouse.read_frame("profiles/unified_profiles").filter(pl.col("customer_id") == customer)
    return profiles.row(0, named=True)


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    """A small CSV file (fields written as given: quote them in the test when needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(delimiter.join(line) for line in [header, *rows]) + "\n", encoding="utf-8")
    return path
