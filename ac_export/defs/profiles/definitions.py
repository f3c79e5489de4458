"""The profiles area's definitions: one asset per source and activity file, `unified_profiles`, checks."""

from __future__ import annotations

import dagster as dg

from ac_export.defs.profiles.assets import build_profile_assets
from ac_export.defs.profiles.checks import build_parse_checks, build_profile_checks
from ac_export.profiles.sources_config import SourcesConfig


def build_defs(sources: SourcesConfig) -> dg.Definitions:
    """Assets and checks for the configured sources."""
    return dg.Definitions(
        assets=build_profile_assets(sources),
        asset_checks=[*build_profile_checks(sources), *build_parse_checks(sources)],
    )
