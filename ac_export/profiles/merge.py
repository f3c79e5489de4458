"""Merging a customer's records into one profile row, attribute by attribute or group by group.

Each attribute (or group of attributes taken together, such as an address) comes from one record:
among the customer's records that have a value (for a group: at least one of its attributes),
the first in the policy's order wins.

- `source_priority`: the source's `priority` (lower first), then the most recent record;
- `most_recent` / `least_recent`: the record's recency — the first non-empty `merge.recency`
  attribute (default updated_at, then created_at); records without one come last;
- `most_filled`: the record with the most of the group's attributes, then the most attributes
  overall (for a single attribute: the most complete record).

Remaining ties go by a hash of (source, source_key): fixed per record, so the result never
depends on row order.
"""

from __future__ import annotations

from ac_export.profiles.reading import quote_ident
from ac_export.profiles.schema import CANONICAL_ATTRIBUTES, DUCKDB_TYPES
from ac_export.profiles.sources_config import SourcesConfig
from ac_export.profiles.unify_config import MergeConfig, Policy

# Ranking keys are packed into one HUGEINT, smallest wins: arg_min over an integer is about twice
# as fast as over a struct of the same fields. Field widths (bits), most significant first:
_PRIORITY_BITS = 14  # sources.yaml caps priority at 16383
_RECENCY_BITS = 36  # seconds since 1900, through year 3000; the largest value means "no date"
_COUNT_BITS = 10  # attributes missing from a record or group (at most 1023)
_TIEBREAK_BITS = 64  # hash of (source, source_key): ties never depend on row order
_NO_DATE = (1 << _RECENCY_BITS) - 1
_SECONDS_1900_TO_1970 = 2208988800


def ranked_sql(records: str, sources: SourcesConfig, merge: MergeConfig, attributes: list[str]) -> str:
    """`records` plus one packed ordering key per policy (`_order_<policy>`) and the fields they pack."""
    priority = " ".join(f"WHEN '{name}' THEN {s.priority}" for name, s in sources.profile_sources.items())
    stamps = [f"CAST({quote_ident(a)} AS TIMESTAMP)" for a in merge.recency if a in attributes]
    recency = f"coalesce({', '.join(stamps)})" if stamps else "CAST(NULL AS TIMESTAMP)"
    seconds = (
        f"least(greatest(CAST(epoch({recency}) AS BIGINT) + {_SECONDS_1900_TO_1970}, 0), {_NO_DATE - 1})"
    )
    missing = " + ".join(f"CAST({quote_ident(a)} IS NULL AS INTEGER)" for a in attributes) or "0"
    base = (
        f"SELECT *, CASE source {priority} END AS _priority, "
        f"coalesce({_NO_DATE - 1} - {seconds}, {_NO_DATE}) AS _recent_first, "
        f"coalesce({seconds}, {_NO_DATE}) AS _recent_last, "
        f"{missing} AS _missing, hash(source, source_key) AS _tiebreak"
    )
    keys = ", ".join(f"{_order(policy, [])} AS _order_{policy}" for policy in _POLICIES)
    return f"SELECT *, {keys} FROM ({base} FROM {records})"


def profiles_sql(ranked: str, sources: SourcesConfig, merge: MergeConfig, attributes: list[str]) -> str:
    """SELECT of `unified_profiles` from `ranked` (customer_id, source, source_key, attributes, keys)."""
    grouped = {a for g in merge.groups.values() for a in g.attributes}
    aggregates = [
        f"arg_min({quote_ident(a)}, _order_{merge.policy_for(a)}) "
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
        + f" FROM {ranked} GROUP BY customer_id)"
    )


def _output(attribute: str, group_of: dict[str, str], present: list[str]) -> str:
    if attribute not in present:
        kind = CANONICAL_ATTRIBUTES[attribute]
        return f"CAST(NULL AS {DUCKDB_TYPES[kind]}) AS {quote_ident(attribute)}"
    if attribute in group_of:
        group = quote_ident("_group_" + group_of[attribute])
        return f"{group}.{quote_ident(attribute)} AS {quote_ident(attribute)}"
    return quote_ident(attribute)


_POLICIES: tuple[Policy, ...] = ("source_priority", "most_recent", "least_recent", "most_filled")


def _order(policy: Policy, group: list[str]) -> str:
    """The packed key of a policy (for most_filled, of a group: its own attributes count first)."""
    priority, tiebreak = ("_priority", _PRIORITY_BITS), ("_tiebreak", _TIEBREAK_BITS)
    if policy == "source_priority":
        fields = [priority, ("_recent_first", _RECENCY_BITS), tiebreak]
    elif policy == "most_recent":
        fields = [("_recent_first", _RECENCY_BITS), priority, tiebreak]
    elif policy == "least_recent":
        fields = [("_recent_last", _RECENCY_BITS), priority, tiebreak]
    else:
        in_group = " + ".join(f"CAST({quote_ident(a)} IS NULL AS INTEGER)" for a in group) or "0"
        fields = [(in_group, _COUNT_BITS), ("_missing", _COUNT_BITS), priority, tiebreak]
    return _packed(fields)


def _packed(fields: list[tuple[str, int]]) -> str:
    """Non-negative fields side by side in one HUGEINT, the first most significant."""
    parts, offset = [], 0
    for expression, bits in reversed(fields):
        parts.append(f"(CAST({expression} AS HUGEINT) << {offset})")
        offset += bits
    return " + ".join(reversed(parts))
