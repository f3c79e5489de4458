"""Run tags set by the automation, so a run says what started it (filter on them in the Runs page)."""

from __future__ import annotations

TRIGGER_TAG = "ac_export/trigger"
"""What requested the run: `schedule`, `source_files` or `refresh` (a segment run after a refresh)."""

REFRESH_RUN_TAG = "ac_export/refresh_run"
"""On a segment run: the id of the refresh run whose profiles and measures it reads."""

CHANGED_FILES_TAG = "ac_export/changed_files"
"""On a refresh requested by the file sensor: the names of the new or changed files."""

REFRESH_TAG = "ac_export/refresh"
"""On every `refresh` run. dagster.yaml runs one such run at a time: two refreshes would both rewrite
the shared tables (sources, profiles, measures) and could leave them from different runs."""
