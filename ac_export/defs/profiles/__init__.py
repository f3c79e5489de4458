"""Dagster definitions of the profiles: source, activity and unified profile assets and their checks."""
