"""The one base of every error a user can act on: its message says what is wrong and how to fix it.

Every entry point (the CLI's one guard, Dagster's failures) shows such an error as its message
alone; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem the user must fix (a setting, a file, an account, an approval); the message names the fix."""
