"""The export-world fixtures, for the state tests that run exports."""

from ac_export_tests.activecampaign.conftest import reading, world

__all__ = ["reading", "world"]
