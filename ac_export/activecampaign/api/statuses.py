"""What ActiveCampaign's numbers mean: a contact's status on a list (`contactList.status`, `?status=`)."""

from __future__ import annotations

from enum import IntEnum


class ListStatus(IntEnum):
    """A contact's membership status on a list, as ActiveCampaign numbers it."""

    SUBSCRIBED = 1
    UNSUBSCRIBED = 2
    # Only as a filter (`GET /contacts?listid=&status=-1`): the list's contacts whatever their status.
    ANY = -1

    @property
    def side(self) -> str:
        """The status in words for a message."""
        return {ListStatus.SUBSCRIBED: "subscribed", ListStatus.UNSUBSCRIBED: "unsubscribed"}.get(self, "any")
