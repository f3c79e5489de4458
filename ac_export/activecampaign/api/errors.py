"""Errors of the ActiveCampaign client, each with a message that says what to do."""

from __future__ import annotations

from ac_export.errors import UserError


class ActiveCampaignError(UserError):
    """ActiveCampaign answered with an error the client cannot recover from by retrying."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code

    @property
    def refuses_everyone(self) -> bool:
        """Whether the refusal is not about one contact: no answer at all, the key refused, or the list gone.

        Then asking again for another contact would be refused the same way, so the run stops.
        """
        return self.status_code in (None, 401, 403, 404)


class AuthenticationError(ActiveCampaignError):
    """The API key was refused (HTTP 403)."""


class NotFoundError(ActiveCampaignError):
    """The requested list, field or contact does not exist (HTTP 404)."""


class ActiveCampaignUnavailable(ActiveCampaignError):
    """Retries were exhausted on timeouts, dropped connections, 5xx or rate limits."""


class BulkValidationError(ActiveCampaignError):
    """A bulk import was refused whole; `reasons` holds (contact index or None, reason) pairs."""

    def __init__(self, message: str, reasons: list[tuple[int | None, str]]) -> None:
        super().__init__(f"bulk import refused: {message}", 400)
        self.reasons = reasons

    def suspects(self, contact_count: int) -> dict[int, str]:
        """0-based positions in the request that a reason may name, with the reason.

        Whether `failureReasons[].contact` counts from 0 or from 1 is not documented, so each index
        names two suspects (itself and the one before it): neither reading can get a valid
        neighbour marked refused, because the caller re-sends suspects one by one.
        """
        found: dict[int, str] = {}
        for index, reason in self.reasons:
            if index is None:
                continue
            for position in (index, index - 1):
                if 0 <= position < contact_count:
                    found.setdefault(position, reason)
        return found

    @property
    def names_contacts(self) -> bool:
        """Whether any reason points at a contact (else the request itself was wrong)."""
        return any(index is not None for index, _ in self.reasons)


class InconsistentRead(ActiveCampaignError):
    """A read whose answers contradict each other (a repeated page, a changing total, no `meta`).

    Nothing read that way is used: the export stops before any write, and the message says what
    the server did wrong.
    """


class ImpossibleCount(InconsistentRead):
    """A count that cannot be true beside what the same account answered in the same run."""


class AnswerTooLarge(ActiveCampaignError):
    """An answer larger than any page of this API can be; it is not read further."""
