"""Segments and measures: per-customer aggregates, the rule language, membership history."""
