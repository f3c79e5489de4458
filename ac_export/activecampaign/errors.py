"""Errors of the export engine, each with a message that says what to do."""

from __future__ import annotations


class ExportStopped(Exception):
    """An export stopped before writing anything, for a reason the user must act on."""
