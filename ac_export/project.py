"""Every configuration file loaded and cross-checked at once: what a run or a command needs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ac_export.activecampaign.config import (
    ConnectionsConfig,
    ExportsConfig,
    load_connections_config,
    load_exports_config,
)
from ac_export.activecampaign.segment_export import SegmentExports
from ac_export.automation.config import AutomationConfig, load_automation_config
from ac_export.profiles.sources_config import SourcesConfig, load_sources_config
from ac_export.profiles.unify_config import UnifyConfig, load_unify_config
from ac_export.segments.config import SegmentsConfig, load_segments_config


@dataclass(frozen=True)
class ProjectConfig:
    """The whole configuration folder, validated file by file and across files."""

    sources: SourcesConfig
    unify: UnifyConfig
    segments: SegmentsConfig
    connections: ConnectionsConfig
    exports: ExportsConfig
    automation: AutomationConfig

    def attribute_types(self) -> dict[str, str]:
        """Every profile attribute and measure an export may map, with its type."""
        return dict(self.segments.attribute_types())

    def segment_exports(self, segment: str) -> SegmentExports:
        """A segment's exports with what governs them: their connections, owners and the approval limit."""
        exports = self.exports.for_segment(segment)
        return SegmentExports(
            segment=segment,
            exports=exports,
            owners={name: self.exports.owner(name) for name in exports},
            connections=dict(self.connections.connections),
            approval_limit=self.automation.approval.removals_above,
            mask_emails=self.automation.privacy.mask_everywhere,
            attribute_types=self.attribute_types(),
        )


def load_project_config(config_dir: Path, *, today: date | None = None) -> ProjectConfig:
    """Load every file in the configuration folder; the first problem raises one ConfigError."""
    sources = load_sources_config(config_dir)
    unify = load_unify_config(config_dir, sources)
    segments = load_segments_config(config_dir, sources, today=today)
    # Hosts named by variables are the deployment's to give; this loader is what every edge calls.
    connections = load_connections_config(config_dir, os.environ)
    exports = load_exports_config(config_dir, connections, set(segments.segments), segments.attribute_types())
    return ProjectConfig(
        sources=sources,
        unify=unify,
        segments=segments,
        connections=connections,
        exports=exports,
        automation=load_automation_config(config_dir),
    )
