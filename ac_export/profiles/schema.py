"""The attribute catalogue of unified profiles: canonical attributes and their types.

This is the contract between profiles (which produce the attributes), segments (whose rules
name them) and exports (whose field mappings name them).
"""

from __future__ import annotations

from typing import Literal

AttributeType = Literal["string", "integer", "float", "boolean", "date", "timestamp", "list"]

CANONICAL_ATTRIBUTES: dict[str, AttributeType] = {
    "email": "string",
    "first_name": "string",
    "last_name": "string",
    "full_name": "string",
    "phone": "string",
    "birth_date": "date",
    "gender": "string",
    "street": "string",
    "city": "string",
    "state": "string",
    "postcode": "string",
    "country": "string",
    "created_at": "timestamp",
    "updated_at": "timestamp",
}

# Columns every unified profile carries besides its attributes.
PROFILE_SYSTEM_COLUMNS: dict[str, AttributeType] = {
    "customer_id": "string",
    "record_count": "integer",
    "sources": "list",
}

# Columns of every `sources/<name>` table besides its attributes: the record's key and its position.
SOURCE_SYSTEM_COLUMNS: dict[str, AttributeType] = {"source_key": "string", "_row": "integer"}

# Columns of every `activities/<name>` table besides its attributes.
ACTIVITY_SYSTEM_COLUMNS: dict[str, AttributeType] = {
    "activity_id": "string",
    "profile_source": "string",
    "profile_key": "string",
    "_row": "integer",
}

# Names a profile attribute cannot take: they are columns of the tables that unification writes.
RESERVED_PROFILE_NAMES: frozenset[str] = frozenset(
    {*PROFILE_SYSTEM_COLUMNS, *SOURCE_SYSTEM_COLUMNS, "source", "matched_by"}
)

DUCKDB_TYPES: dict[AttributeType, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "float": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "list": "VARCHAR[]",
}


def profile_attribute_types(extra_attributes: dict[str, AttributeType]) -> dict[str, AttributeType]:
    """Every column of `unified_profiles` with its type: system columns, canonical, then extras."""
    return {**PROFILE_SYSTEM_COLUMNS, **CANONICAL_ATTRIBUTES, **extra_attributes}
