"""Fixtures of the Dagster-layer tests, shared with the plain-core tests of the same areas."""

from ac_export_tests.automation.conftest import config_dir

__all__ = ["config_dir"]
