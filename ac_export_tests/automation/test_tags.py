"""Which segment a run is for, whether it ran one partition or a backfill's one-partition range."""

from __future__ import annotations

import pytest

from ac_export.automation.tags import segment_of


@pytest.mark.parametrize(
    ("tags", "segment"),
    [
        ({"dagster/partition": "vip"}, "vip"),
        ({"dagster/asset_partition_range_start": "vip", "dagster/asset_partition_range_end": "vip"}, "vip"),
        ({"dagster/asset_partition_range_start": "a", "dagster/asset_partition_range_end": "b"}, None),
        ({"dagster/asset_partition_range_start": "vip"}, None),
        ({"ac_export/refresh": "upstream"}, None),
    ],
)
def test_segment_of(tags: dict[str, str], segment: str | None) -> None:
    assert segment_of(tags) == segment
