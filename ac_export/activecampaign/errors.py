"""Errors of the export engine, each with a message that says what to do."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from ac_export.state.postgres.connection import StateDatabaseError

if TYPE_CHECKING:
    from ac_export.activecampaign.preview import PlanPreview

P = ParamSpec("P")
R = TypeVar("R")


class ExportStopped(Exception):
    """An export stopped for a reason the user must act on (before any write, or its state kept to resume)."""


class ApprovalRequired(ExportStopped):
    """A run would remove more contacts than automation.yaml lets go without a person's approval.

    `removals` is the number to approve with: an approval only counts when it names the plan's own
    number, so an approval given for an older plan cannot pass a larger one.
    """

    def __init__(self, message: str, *, export: str, removals: int, limit: int, plan: PlanPreview) -> None:
        super().__init__(message)
        self.export = export
        self.removals = removals
        self.limit = limit
        self.plan = plan


class ExportFailed(Exception):
    """One export of a segment failed; the message names the export, its segment and list, then why."""

    def __init__(self, message: str, *, export: str, list_id: int, requests: int, cause: Exception) -> None:
        super().__init__(message)
        self.export = export
        self.list_id = list_id
        self.requests = requests
        self.cause = cause

    @property
    def approval(self) -> ApprovalRequired | None:
        """The approval this export waits for, when that is why it stopped."""
        return self.cause if isinstance(self.cause, ApprovalRequired) else None


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
