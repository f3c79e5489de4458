"""The export tests' world (a pytest plugin): a warehouse with a segment, an emulated list, the export."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ac_export_tests.support.emulator import READINGS, EmulatorHandle

# The root conftest loads this plugin for every test run: the engine and Dagster are imported when a
# world is used, so a run of an area that never uses one does not pay for them.
if TYPE_CHECKING:
    from ac_export.activecampaign.config import Export
    from ac_export.activecampaign.list_export import ExportResult
    from ac_export.defs.activecampaign.resources import ActiveCampaignResource
    from ac_export.state.backend import StateBackend
    from ac_export.warehouse import Warehouse

SEGMENT = "testers"
ATTRIBUTE_TYPES = {
    "customer_id": "string",
    "email": "string",
    "first_name": "string",
    "last_name": "string",
    "phone": "string",
    "tier": "string",
    "spend": "float",
}


def _embedded_state() -> StateBackend:
    from ac_export.state.backend import StateBackend

    return StateBackend()


@dataclass
class ExportWorld:
    """A warehouse with one segment, an emulated account with one list, and the export between them."""

    warehouse: Warehouse
    emulator: EmulatorHandle
    list_id: int
    profiles: dict[str, dict[str, object]] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)
    state: StateBackend = field(default_factory=_embedded_state)

    def people(self, count: int, start: int = 0) -> list[str]:
        """Add `count` profiles with valid emails and make them members; returns their customer ids."""
        ids = [f"c{n:05d}" for n in range(start, start + count)]
        for n, customer in zip(range(start, start + count), ids, strict=True):
            self.profiles[customer] = {
                "email": f"Person{n}@Example.com",
                "first_name": f"First{n}",
                "last_name": "Tester",
                "phone": "+12025550143",
                "tier": "gold" if n % 2 else "silver",
                "spend": float(n),
            }
        self.members.update(ids)
        return ids

    def write(self) -> None:
        """Write profiles and current members to the warehouse tables the export reads."""
        import polars as pl

        rows = [{"customer_id": c, **values} for c, values in sorted(self.profiles.items())]
        self.warehouse.write_frame("profiles/unified_profiles", pl.DataFrame(rows, infer_schema_length=None))
        members = sorted(self.members)
        self.warehouse.write_frame(
            f"segments/members/{SEGMENT}",
            pl.DataFrame(
                {
                    "customer_id": members,
                    "joined_at": [None] * len(members),
                    "left_at": [None] * len(members),
                },
                schema={"customer_id": pl.String, "joined_at": pl.Datetime, "left_at": pl.Datetime},
            ),
        )

    def export(self, **overrides: object) -> Export:
        """The export under test, with optional overrides of its settings."""
        from ac_export.activecampaign.config import Export, FieldMapping

        settings: dict[str, object] = {
            "segment": SEGMENT,
            "connection": "test",
            "list_id": self.list_id,
            "fields": FieldMapping(
                first_name="first_name", last_name="last_name", phone="phone", custom={"TIER": "tier"}
            ),
            "tags": ["tested"],
            "create_missing_fields": True,
            "removal_guard": 1.0,
        }
        settings.update(overrides)
        return Export.model_validate(settings)

    def resource(self, **overrides: object) -> ActiveCampaignResource:
        """A resource for the emulated account: no pacing (the emulator runs with limits off)."""
        from ac_export.defs.activecampaign.resources import ActiveCampaignResource

        fields: dict[str, object] = {
            "api_host": self.emulator.base_url,
            "api_key": self.emulator.api_key,
            "pace": False,
            "poll_interval_s": 0.02,
        }
        fields.update(overrides)
        return ActiveCampaignResource(**fields)  # type: ignore[arg-type]

    def run(
        self,
        export: Export | None = None,
        resource: ActiveCampaignResource | None = None,
        state: StateBackend | None = None,
        **request: object,
    ) -> ExportResult:
        """Write the tables and run the export once (state: the world's unless given); returns its result."""
        from ac_export.activecampaign.list_export import ExportRequest, run_export

        self.write()
        export = export or self.export()
        resource = resource or self.resource()
        with resource.get_client() as client:
            return run_export(
                ExportRequest("test_export", export, resource.host().host, ATTRIBUTE_TYPES, **request),  # type: ignore[arg-type]
                client,
                self.warehouse,
                resource.upload_settings(export.run_automations),
                logging.getLogger("test-export"),
                state=state or self.state,
            )

    def subscribed(self) -> set[str]:
        """Emails the emulator holds as subscribed to the list."""
        return self.emulator.list_members(self.list_id, status=1)

    def expected(self) -> set[str]:
        """Lower-cased emails of current members that have one."""
        return {
            str(self.profiles[c]["email"]).strip().lower()
            for c in self.members
            if self.profiles[c].get("email")
        }


@pytest.fixture(params=sorted(READINGS))
def reading(request: pytest.FixtureRequest) -> str:
    """Each reading of ActiveCampaign's ambiguous points in turn: the export must be right under all."""
    return str(request.param)


@pytest.fixture
def world(emulator: EmulatorHandle, tmp_path: Path, reading: str) -> ExportWorld:
    """A fresh account (limits off, fast processing) with one list, and an empty warehouse."""
    from ac_export.warehouse import Warehouse

    emulator.configure(rate_limit=False, processing_delay=0.0, **READINGS[reading])
    list_id = emulator.create_list(SEGMENT)
    return ExportWorld(Warehouse(tmp_path / "warehouse"), emulator, list_id)


WorldFactory = Callable[[], ExportWorld]
