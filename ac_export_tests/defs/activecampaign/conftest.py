"""The export tests' world (an emulator account, a warehouse, a segment) for the asset's tests."""

from ac_export_tests.activecampaign.conftest import reading, world

__all__ = ["reading", "world"]
