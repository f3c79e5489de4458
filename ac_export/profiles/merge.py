"""Merging a customer's records into one profile row, attribute by attribute or group by group.

Each attribute (or group of attributes taken together, such as an address) comes from one record:
among the customer's records that have a value (for a group: at least one of its attributes),
the first in the policy's order wins.

- `source_priority`: the source's `priority` (lower first), then the most recent record;
- `most_recent` / `least_recent`: the record's recency — the first non-empty `merge.recency`
  attribute (default updated_at, then created_at); records without one come last;
- `most_filled`: the record with the most of the group's attributes, then the most attributes
  overall (for a single attribute: the most complete record).

Remaining ties go to the smallest (source, source_key), so the result never depends on row order.
"""

from __future__ import annotations

from ac_export.config.sources import SourcesConfig
from ac_export.config.unify import MergeConfig, Policy
from ac_export.profiles.reading import quote_ident
from ac_export.profiles.schema import CANONICAL_ATTRIBUTES, DUCKDB_TYPES

_LAST = "9223372036854775807"


def ranking_columns_sql(sources: SourcesConfig, merge: MergeConfig, attributes: list[str]) -> str:
    """Columns a `ranked` table adds to records: `_priority`, `_recent_first`, `_recent_last`, `_filled`."""
    priority = " ".join(f"WHEN '{name}' THEN {s.priority}" for name, s in sources.profile_sources.items())
    stamps = [f"CAST({quote_ident(a)} AS TIMESTAMP)" for a in merge.recency if a in attributes]
    recency = f"coalesce({', '.join(stamps)})" if stamps else "CAST(NULL AS TIMESTAMP)"
    filled = " + ".join(f"CAST({quote_ident(a)} IS NOT NULL AS INTEGER)" for a in attributes) or "0"
    return (
        f"CASE source {priority} END AS _priority, "
        f"coalesce(-epoch_us({recency}), {_LAST}) AS _recent_first, "
        f"coalesce(epoch_us({recency}), {_LAST}) AS _recent_last, "
        f"{filled} AS _filled"
    )


def profiles_sql(ranked: str, sources: SourcesConfig, merge: MergeConfig, attributes: list[str]) -> str:
    """SELECT of `unified_profiles` from `ranked(customer_id, rid, source, <attributes>, ranking columns)`."""
    grouped = {a for g in merge.groups.values() for a in g.attributes}
    aggregates = [
        f"arg_min({quote_ident(a)}, {_order(merge.policy_for(a), [a])}) "
        f"FILTER (WHERE {quote_ident(a)} IS NOT NULL) AS {quote_ident(a)}"
        for a in attributes
        if a not in grouped
    ]
    for name, group in merge.groups.items():
        present = [a for a in group.attributes if a in attributes]
        if not present:
            continue
        packed = ", ".join(f"{quote_ident(a)} := {quote_ident(a)}" for a in present)
        any_value = " OR ".join(f"{quote_ident(a)} IS NOT NULL" for a in present)
        aggregates.append(
            f"arg_min(struct_pack({packed}), {_order(group.policy, present)}) FILTER (WHERE {any_value}) "
            f"AS {quote_ident('_group_' + name)}"
        )
    group_of = {a: name for name, g in merge.groups.items() for a in g.attributes}
    outputs = [
        _output(a, group_of, attributes) for a in [*CANONICAL_ATTRIBUTES, *sources.extra_attribute_types()]
    ]
    return (
        "SELECT customer_id, record_count, sources, " + ", ".join(outputs) + " FROM ("
        "SELECT customer_id, count(*) AS record_count, list(DISTINCT source ORDER BY source) AS sources, "
        + ", ".join(aggregates)
        + f" FROM {ranked} GROUP BY customer_id) ORDER BY customer_id"
    )


def _output(attribute: str, group_of: dict[str, str], present: list[str]) -> str:
    if attribute not in present:
        kind = CANONICAL_ATTRIBUTES[attribute]
        return f"CAST(NULL AS {DUCKDB_TYPES[kind]}) AS {quote_ident(attribute)}"
    if attribute in group_of:
        group = quote_ident("_group_" + group_of[attribute])
        return f"{group}.{quote_ident(attribute)} AS {quote_ident(attribute)}"
    return quote_ident(attribute)


def _order(policy: Policy, group: list[str]) -> str:
    """A struct that is smallest for the winning record (DuckDB compares structs field by field)."""
    if policy == "source_priority":
        fields = ["_priority", "_recent_first", "rid"]
    elif policy == "most_recent":
        fields = ["_recent_first", "_priority", "rid"]
    elif policy == "least_recent":
        fields = ["_recent_last", "_priority", "rid"]
    else:
        in_group = " + ".join(f"CAST({quote_ident(a)} IS NOT NULL AS INTEGER)" for a in group)
        fields = [f"-({in_group})", "-_filled", "_priority", "rid"]
    return "{" + ", ".join(f"'o{i}': {f}" for i, f in enumerate(fields)) + "}"
