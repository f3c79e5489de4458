"""The segments area's definitions: `customer_measures`, `segment_members[segment]`, the partition sensor."""

from __future__ import annotations

import dagster as dg

from ac_export.defs.segments.assets import build_segment_assets
from ac_export.defs.segments.sensors import segment_partitions_sensor
from ac_export.profiles.sources_config import SourcesConfig


def build_defs(sources: SourcesConfig) -> dg.Definitions:
    """Segment assets (measures depend on every activity source) and the sensor keeping partitions."""
    return dg.Definitions(assets=build_segment_assets(sources), sensors=[segment_partitions_sensor])
