"""The Dagster layer: assets, checks, resources, schedules and sensors, one folder per area."""
