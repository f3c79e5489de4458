"""The segment partitions shared by `segment_members` and `activecampaign_list`: one key per segment name."""

from __future__ import annotations

import dagster as dg

from ac_export.contracts import SEGMENTS_PARTITIONS

segments_partitions = dg.DynamicPartitionsDefinition(name=SEGMENTS_PARTITIONS)
