"""Dagster definitions that run the pipeline: jobs, the refresh schedule, the file and failure sensors."""
