"""Sources to profiles in one call, without Dagster: for the CLI, benchmarks and tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ac_export.profiles.ingest import IngestReport, ingest_profile_source
from ac_export.profiles.sources_config import SourcesConfig
from ac_export.profiles.unify import UnifyReport, unify
from ac_export.profiles.unify_config import UnifyConfig
from ac_export.warehouse import Warehouse


@dataclass(frozen=True)
class ProfilesBuild:
    """The ingest report of each profile source and the unification report."""

    ingested: dict[str, IngestReport]
    unified: UnifyReport


def build_profiles(
    warehouse: Warehouse, sources: SourcesConfig, config: UnifyConfig, data_dir: Path
) -> ProfilesBuild:
    """Ingest every profile source into the warehouse, then unify them."""
    ingested = {
        name: ingest_profile_source(warehouse, name, source, data_dir)
        for name, source in sources.profile_sources.items()
    }
    return ProfilesBuild(ingested=ingested, unified=unify(warehouse, sources, config))
