"""A tiny but complete project on disk: one source file, one segment, one export, for whole-pipeline tests.

The folder looks like `data/`: `sources/people.csv` and `config/*.yaml`; the export's connection
reads its host and key from `ACTIVECAMPAIGN_API_HOST` and `ACTIVECAMPAIGN_API_KEY`, as the demo's does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

SEGMENT = "testers"
EXPORT = "testers_to_activecampaign"
HOST_ENV = "ACTIVECAMPAIGN_API_HOST"
KEY_ENV = "ACTIVECAMPAIGN_API_KEY"

SOURCES: dict[str, Any] = {
    "profile_sources": {
        "people": {
            "path": "sources/people.csv",
            "primary_key": "Id",
            "columns": {
                "Email": "email",
                "First": "first_name",
                "Last": "last_name",
                "Phone": "phone",
                "Tier": {"attribute": "tier", "type": "string"},
            },
        }
    }
}
UNIFY: dict[str, Any] = {
    "dedup": [{"name": "same_email", "conditions": [{"attribute": "email", "normalize": ["trim_case"]}]}]
}
SEGMENTS: dict[str, Any] = {
    "as_of": "2019-03-31",
    "guard": {"max_change_fraction": 1.0},
    "segments": {
        SEGMENT: {
            "description": "Everyone with an email address.",
            "rules": [{"attribute": "email", "operator": "is_not_empty"}],
        }
    },
}
CONNECTIONS: dict[str, Any] = {
    "connections": {
        "test": {
            "display_name": "The emulated test account",
            "api_host_env": HOST_ENV,
            "api_key_env": KEY_ENV,
            "data_privacy_consent": True,
            "usable_by": "contributors",
        }
    }
}


@dataclass(frozen=True)
class TinyProject:
    """Where a tiny project lives: its config folder, source file and warehouse."""

    root: Path

    @property
    def config_dir(self) -> Path:
        """The YAML configuration folder."""
        return self.root / "config"

    @property
    def warehouse_dir(self) -> Path:
        """The warehouse folder (Parquet tables and ledgers)."""
        return self.root / "warehouse"

    @property
    def source_file(self) -> Path:
        """The one profile source."""
        return self.root / "sources" / "people.csv"


def people_frame(count: int) -> pl.DataFrame:
    """`count` people with valid, distinct emails, names, a phone and a tier."""
    numbers = list(range(count))
    return pl.DataFrame(
        {
            "Id": [f"P{n:05d}" for n in numbers],
            "Email": [f"person{n}@example.com" for n in numbers],
            "First": [f"First{n}" for n in numbers],
            "Last": ["Tester"] * count,
            "Phone": ["+12025550143"] * count,
            "Tier": ["gold" if n % 2 else "silver" for n in numbers],
        }
    )


def export_config(list_id: int, **overrides: Any) -> dict[str, Any]:
    """`exports.yaml` with one export of the segment to a list of the test connection."""
    export = {
        "segment": SEGMENT,
        "connection": "test",
        "list_id": list_id,
        "fields": {
            "email": "email",
            "first_name": "first_name",
            "last_name": "last_name",
            "phone": "phone",
            "custom": {"TIER": "tier"},
        },
        "tags": ["tested"],
        "create_missing_fields": True,
        "removal_guard": 1.0,
        **overrides,
    }
    return {"exports": {EXPORT: export}}


def write_project(root: Path, people: int, list_id: int, **export_overrides: Any) -> TinyProject:
    """Write the config folder and the source file of a tiny project under `root`."""
    project = TinyProject(root)
    project.config_dir.mkdir(parents=True, exist_ok=True)
    project.source_file.parent.mkdir(parents=True, exist_ok=True)
    people_frame(people).write_csv(project.source_file)
    files = {
        "sources.yaml": SOURCES,
        "unify.yaml": UNIFY,
        "segments.yaml": SEGMENTS,
        "connections.yaml": CONNECTIONS,
        "exports.yaml": export_config(list_id, **export_overrides),
    }
    for name, content in files.items():
        (project.config_dir / name).write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return project
