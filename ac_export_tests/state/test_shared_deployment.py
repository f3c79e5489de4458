"""The shared configuration end to end in one process: warehouse on object storage, state in PostgreSQL."""

from __future__ import annotations

import pytest

from ac_export.activecampaign.errors import ExportStopped
from ac_export.contracts import rejections_table
from ac_export.state.backend import StateBackend
from ac_export.warehouse import Warehouse
from ac_export_tests.support.export_world import ExportWorld


@pytest.fixture
def reading() -> str:
    """The documented reading only."""
    return "documented"


def test_an_export_over_an_object_store_warehouse_with_postgres_state(
    world: ExportWorld, s3_warehouse_url: str, postgres_dsn: str
) -> None:
    world.warehouse = Warehouse(s3_warehouse_url)
    world.people(300)
    world.profiles["c00007"]["email"] = "not-an-email"

    result = world.run(state=StateBackend("postgres", postgres_dsn))

    assert result.counts.added == 299
    assert world.subscribed() == world.expected() - {"not-an-email"}
    rejections = Warehouse(s3_warehouse_url).read_frame(rejections_table("test_export"))
    assert rejections["kind"].to_list() == ["rejected_invalid_email"]


def test_embedded_state_over_an_object_store_warehouse_stops_with_the_fix(
    world: ExportWorld, s3_warehouse_url: str
) -> None:
    world.warehouse = Warehouse(s3_warehouse_url)
    world.people(3)

    with pytest.raises(ExportStopped, match="AC_EXPORT_STATE=postgres"):
        world.run(state=StateBackend())
    assert world.subscribed() == set()
