"""The segment partitions shared by `segment_members` and `activecampaign_list`: one key per segment name."""

from __future__ import annotations

import dagster as dg

segments_partitions = dg.DynamicPartitionsDefinition(name="segments")
