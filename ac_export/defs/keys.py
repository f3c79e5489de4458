"""The contracts' asset keys as Dagster keys, for the definitions and anyone reading their events."""

from __future__ import annotations

import dagster as dg

from ac_export import contracts

UNIFIED_PROFILES_KEY = dg.AssetKey(contracts.UNIFIED_PROFILES_ASSET)
CUSTOMER_MEASURES_KEY = dg.AssetKey(contracts.CUSTOMER_MEASURES_ASSET)
SEGMENT_MEMBERS_KEY = dg.AssetKey(contracts.SEGMENT_MEMBERS_ASSET)
EXPORT_ASSET_KEY = dg.AssetKey(contracts.EXPORT_ASSET)


def source_key(name: str) -> dg.AssetKey:
    """The asset key of one configured source file."""
    return dg.AssetKey([contracts.SOURCE_ASSET_PREFIX, name])


def activity_key(name: str) -> dg.AssetKey:
    """The asset key of one configured activity file."""
    return dg.AssetKey([contracts.ACTIVITY_ASSET_PREFIX, name])
