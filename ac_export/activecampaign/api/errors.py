"""Errors of the ActiveCampaign client, each with a message that says what to do."""

from __future__ import annotations


class ActiveCampaignError(Exception):
    """ActiveCampaign answered with an error the client cannot recover from by retrying."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class AuthenticationError(ActiveCampaignError):
    """The API key was refused (HTTP 403)."""


class NotFoundError(ActiveCampaignError):
    """The requested list, field or contact does not exist (HTTP 404)."""


class ActiveCampaignUnavailable(ActiveCampaignError):
    """Retries were exhausted on timeouts, dropped connections, 5xx or rate limits."""


class BulkValidationError(ActiveCampaignError):
    """A bulk import was refused whole; `reasons` holds (1-based contact index or None, reason) pairs."""

    def __init__(self, message: str, reasons: list[tuple[int | None, str]]) -> None:
        super().__init__(f"bulk import refused: {message}", 400)
        self.reasons = reasons

    @property
    def contact_reasons(self) -> dict[int, str]:
        """Reasons that name a contact, by its 0-based position in the request."""
        return {index - 1: reason for index, reason in self.reasons if index is not None}

