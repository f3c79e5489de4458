"""Whether a bulk import would start the account's automations for each contact (they run by default)."""

from __future__ import annotations

from typing import Any

# Set on each queued import row: True when ActiveCampaign would run automations for that contact.
STARTS_AUTOMATIONS = "_starts_automations"


def excludes(value: Any) -> bool:
    """Whether an `exclude_automations` value asks to skip automations, read strictly.

    Only `true`, `1`, `"1"` and `"true"` (any case) exclude. Anything else (`false`, `0`, `"yes"`,
    `"banana"`, null, absent) leaves ActiveCampaign's default: automations run.
    """
    if value is True or (type(value) is int and value == 1):
        return True
    return isinstance(value, str) and value.strip().lower() in ("1", "true")


def mark_automations(contacts: list[dict[str, Any]], top_level: Any, reading: str) -> None:
    """Mark every contact with whether its import starts automations under the `automations_flag` reading."""
    top = excludes(top_level) and reading in ("top-level", "both")
    per_contact = reading in ("per-contact", "both")
    for row in contacts:
        excluded = top or (per_contact and excludes(row.get("exclude_automations")))
        row[STARTS_AUTOMATIONS] = not excluded
