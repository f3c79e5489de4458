"""Fixtures of the command tests, shared with the tests of the areas the commands drive."""

from ac_export_tests.activecampaign.conftest import reading, world
from ac_export_tests.automation.conftest import config_dir

__all__ = ["config_dir", "reading", "world"]
