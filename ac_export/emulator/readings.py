"""Where ActiveCampaign's documentation is ambiguous: the readings the emulator can serve, one place each.

The first choice of every reading is the default: the documented or the stricter reading. A reading is
set by its start-up flag (`--resubscribe lenient`) or at run time through `POST /_emulator/config`
(`{"resubscribe": "lenient"}`), so one emulator can judge a client under every reading in turn.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


class ReadingError(ValueError):
    """A reading value the emulator does not offer; the message names the reading and its choices."""


@dataclass(frozen=True)
class Reading:
    """One ambiguous point: its knob name, choices (default first) and where each comes from."""

    name: str
    choices: tuple[str | int, ...]
    source: str

    @property
    def flag(self) -> str:
        """The start-up flag, e.g. `--failure-index`."""
        return "--" + self.name.replace("_", "-")

    @property
    def default(self) -> str | int:
        """The documented or stricter reading."""
        return self.choices[0]


RESUBSCRIBE = Reading(
    "resubscribe",
    ("documented", "lenient"),
    "bulk import reference: 'Contacts may not be subscribed to lists which they have previously "
    "unsubscribed from' (documented: whoever unsubscribed them); lenient: only self opt-outs",
)
AUTOMATIONS_FLAG = Reading(
    "automations_flag",
    ("per-contact", "top-level", "both"),
    "official bulk import example puts exclude_automations inside each contact; third-party clients "
    "send it at the top level",
)
FAILURE_INDEX = Reading(
    "failure_index",
    (0, 1),
    "failureReasons[].contact base: unconfirmed; 0 is the stricter default, 1 a third-party guide's",
)
SUCCESS_KEY = Reading(
    "success_key",
    ("Success", "success"),
    "official bulk import example spells 'Success'; another official example spells 'success'",
)
LISTS_ID_GREATER = Reading(
    "lists_id_greater",
    ("ignored", "honoured"),
    "retrieve-all-lists documents limit/offset, filters[name] and orders; not id_greater",
)
FIELDRELS = Reading(
    "fieldrels",
    ("required", "lenient"),
    "create-a-custom-field-relationship-to-lists: a field is available on a list through a fieldRel "
    "(relid 0 = every list), as ActiveCampaign's own tools create it",
)
LISTS_CHANNEL = Reading(
    "lists_channel",
    ("email", "all"),
    "ActiveCampaign's MCP server (list_lists): filters[channel] is email, sms or all and defaults to "
    "email; whether a GET /lists without it shows SMS lists is not said elsewhere",
)
LISTS_ID_FILTER = Reading(
    "lists_id_filter",
    ("like", "exact"),
    "ActiveCampaign's MCP server (list_lists): filters[id] 'filters lists where the id field is like "
    "the provided value'",
)
DATE_BOUNDS = Reading(
    "date_bounds",
    ("exclusive", "inclusive"),
    "list-all-contacts: filters[created_before|created_after|updated_before|updated_after] keep "
    "contacts created 'prior to' / 'after' the date; whether the date itself is kept is not said",
)
TAG_SEARCH = Reading(
    "tag_search",
    ("contains", "eq"),
    "list-all-tags documents filters[search][<operator>]; what a bare filters[search]=X matches is not said",
)
READINGS: tuple[Reading, ...] = (
    RESUBSCRIBE,
    AUTOMATIONS_FLAG,
    FAILURE_INDEX,
    SUCCESS_KEY,
    LISTS_ID_GREATER,
    FIELDRELS,
    LISTS_CHANNEL,
    LISTS_ID_FILTER,
    DATE_BOUNDS,
    TAG_SEARCH,
)
BY_NAME = {reading.name: reading for reading in READINGS}


@dataclass(frozen=True, slots=True)
class Readings:
    """The reading in force for each ambiguous point (defaults: documented / stricter)."""

    resubscribe: str = "documented"
    automations_flag: str = "per-contact"
    failure_index: int = 0
    success_key: str = "Success"
    lists_id_greater: str = "ignored"
    fieldrels: str = "required"
    lists_channel: str = "email"
    lists_id_filter: str = "like"
    date_bounds: str = "exclusive"
    tag_search: str = "contains"

    @property
    def documented_resubscribe(self) -> bool:
        """Whether a bulk import refuses anyone unsubscribed from a list it would subscribe them to."""
        return self.resubscribe == "documented"

    @property
    def fieldrels_required(self) -> bool:
        """Whether a custom field value is stored only where a fieldRel makes the field available."""
        return self.fieldrels == "required"

    def as_json(self) -> dict[str, Any]:
        """The readings as a JSON-ready object (the keys of `/_emulator/config`)."""
        return dataclasses.asdict(self)

    def updated(self, changes: dict[str, Any]) -> Readings:
        """A copy with `changes` applied; ReadingError naming the reading and its choices when one is bad."""
        coerced: dict[str, Any] = {name: coerce(name, value) for name, value in changes.items()}
        return dataclasses.replace(self, **coerced)


def coerce(name: str, value: Any) -> str | int:
    """A flag or JSON value as the reading's choice (`"1"` → 1 for failure_index), or ReadingError."""
    reading = BY_NAME[name]
    if isinstance(value, bool):
        value = None  # a JSON true is no reading of any point
    elif reading is FAILURE_INDEX and isinstance(value, str) and value.strip() in ("0", "1"):
        value = int(value)
    if value not in reading.choices:
        choices = ", ".join(str(choice) for choice in reading.choices)
        raise ReadingError(
            f"reading {name!r} must be one of {choices} (default {reading.default}), got {value!r}"
        )
    return value
