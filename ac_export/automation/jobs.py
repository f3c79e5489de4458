"""The two asset jobs a refresh is made of: the shared upstream, then one run per segment.

They are separate because segment runs must read the profiles and measures that the refresh has
just written: `segment_refresh_sensor` starts them only once `refresh` has succeeded.
"""

from __future__ import annotations

import dagster as dg

from ac_export.activecampaign.assets import EXPORT_ASSET_KEY
from ac_export.automation.tags import REFRESH_TAG

SEGMENT_MEMBERS_KEY = dg.AssetKey("segment_members")
SEGMENT_ASSETS = dg.AssetSelection.assets(SEGMENT_MEMBERS_KEY, EXPORT_ASSET_KEY)

refresh_job = dg.define_asset_job(
    name="refresh",
    selection=dg.AssetSelection.all() - SEGMENT_ASSETS,
    tags={REFRESH_TAG: "upstream"},
    description="Sources → profiles → measures (every asset shared by all segments). When it succeeds, "
    "segment_refresh_sensor starts one export_segment run per configured segment.",
)

export_segment_job = dg.define_asset_job(
    name="export_segment",
    selection=SEGMENT_ASSETS,
    description="One segment (the `segments` partition): its members, then every export of it in "
    "exports.yaml.",
)
