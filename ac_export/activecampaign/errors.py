"""Errors of the export engine, each with a message that says what to do."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from ac_export.state.postgres.connection import StateDatabaseError

P = ParamSpec("P")
R = TypeVar("R")


class ExportStopped(Exception):
    """An export stopped for a reason the user must act on (before any write, or its state kept to resume)."""


def stops_on_lost_state(run: Callable[P, R]) -> Callable[P, R]:
    """An export whose state database goes away mid-run stops with the state layer's one line.

    Every entry point (the asset, the preview job, the CLI) already reports ExportStopped as one
    line, so a restart or network cut of PostgreSQL never reaches the user as a driver traceback.
    """

    @functools.wraps(run)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return run(*args, **kwargs)
        except StateDatabaseError as exc:
            raise ExportStopped(str(exc)) from None

    return guarded
