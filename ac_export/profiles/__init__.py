"""Unified customer profiles: read sources, normalise, match, merge, assign stable ids."""
