"""Dagster definitions of the segments: measures, members per segment, the partition sensor."""
