"""The one `dg.Definitions` of ac_export: each area's definitions (`ac_export/defs/<area>/`), merged.

Source assets, connection resources and the schedule and sensor settings (automation.yaml) follow
the configuration at load time; segments, exports and everything else in the YAML files are read
at run time, so editing them needs no reload.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from ac_export import settings
from ac_export.activecampaign.config import load_connections_config
from ac_export.automation.config import load_automation_config
from ac_export.defs.activecampaign import definitions as activecampaign
from ac_export.defs.automation import definitions as automation
from ac_export.defs.profiles import definitions as profiles
from ac_export.defs.resources import ProjectConfigResource, WarehouseResource, state_resource
from ac_export.defs.segments import definitions as segments
from ac_export.profiles.sources_config import load_sources_config


def shared_defs(config_dir: Path) -> dg.Definitions:
    """What every area uses: the warehouse, the configuration folder, the executor."""
    return dg.Definitions(
        resources={
            "warehouse": WarehouseResource(),
            "state": state_resource(settings.current()),
            "project_config": ProjectConfigResource(config_dir=str(config_dir)),
        },
        # One process per run, steps in order: parallelism comes from running segments side by side
        # (one run each) and from DuckDB's own threads, and a process per step would cost more
        # start-up than most steps take.
        executor=dg.in_process_executor,
    )


def build_definitions(config_dir: Path) -> dg.Definitions:
    """Assemble the project's definitions from a configuration folder."""
    sources = load_sources_config(config_dir)
    connections = load_connections_config(config_dir, os.environ)
    return dg.Definitions.merge(
        shared_defs(config_dir),
        profiles.build_defs(sources),
        segments.build_defs(sources),
        activecampaign.build_defs(connections, config_dir),
        automation.build_defs(load_automation_config(config_dir), connections),
    )


defs = build_definitions(settings.config_dir())
