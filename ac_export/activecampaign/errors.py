"""Errors of the export engine, each with a message that says what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ac_export.activecampaign.preview import PlanPreview


class ExportStopped(Exception):
    """An export stopped before writing anything, for a reason the user must act on."""


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
