"""The asset jobs a refresh is made of: the shared upstream, every segment in one run, each export in its own.

They are separate because segment runs must read the profiles and measures that the refresh has
just written: `segment_refresh_sensor` starts `evaluate_segments` only once `refresh` has succeeded,
and `segment_exports_sensor` starts one `export_lists` run per segment it accepted.
"""

from __future__ import annotations

import dagster as dg

from ac_export.automation.tags import DRY_RUN_TAG, REFRESH_TAG
from ac_export.defs.keys import EXPORT_ASSET_KEY, SEGMENT_MEMBERS_KEY

SEGMENT_ASSETS = dg.AssetSelection.assets(SEGMENT_MEMBERS_KEY, EXPORT_ASSET_KEY)

REFRESH_JOB = "refresh"
EXPORT_SEGMENT_JOB = "export_segment"
EVALUATE_SEGMENTS_JOB = "evaluate_segments"
EXPORT_LISTS_JOB = "export_lists"
PREVIEW_SEGMENT_JOB = "preview_segment"

refresh_job = dg.define_asset_job(
    name=REFRESH_JOB,
    selection=dg.AssetSelection.all() - SEGMENT_ASSETS,
    tags={REFRESH_TAG: "upstream"},
    description="Sources → profiles → measures (every asset shared by all segments). When it succeeds, "
    "segment_refresh_sensor starts one evaluate_segments run over every configured segment.",
)

export_segment_job = dg.define_asset_job(
    name=EXPORT_SEGMENT_JOB,
    selection=SEGMENT_ASSETS,
    description="One segment (the `segments` partition): its members, then every export of it in "
    "exports.yaml.",
)

evaluate_segments_job = dg.define_asset_job(
    name=EVALUATE_SEGMENTS_JOB,
    selection=dg.AssetSelection.assets(SEGMENT_MEMBERS_KEY),
    description="Every segment's members in one run (a range of the `segments` partitions): one join of "
    "profiles and measures, one materialization and guard result per segment. segment_exports_sensor then "
    "runs the exports of each segment it accepted, one export_lists run per segment.",
)

export_lists_job = dg.define_asset_job(
    name=EXPORT_LISTS_JOB,
    selection=dg.AssetSelection.assets(EXPORT_ASSET_KEY),
    description="One segment's exports (the `segments` partition) over its members as segment_members last "
    "accepted them; started by segment_exports_sensor after evaluate_segments.",
)

preview_segment_job = dg.define_asset_job(
    name=PREVIEW_SEGMENT_JOB,
    selection=dg.AssetSelection.assets(EXPORT_ASSET_KEY),
    config={"ops": {EXPORT_ASSET_KEY.path[-1]: {"config": {"dry_run": True}}}},
    tags={DRY_RUN_TAG: "true"},
    description="Preview one segment's exports (a dry run): who would be added, updated, removed, left "
    "alone or rejected, and why, against the segment's current members. Nothing is sent; the plan is the "
    "warehouse table exports/<export>/plan and a table in the run's observation of activecampaign_list.",
)
