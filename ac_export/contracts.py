"""The names every area agrees on, each defined once: asset keys, warehouse tables, partitions, counts.

A rename here is a rename everywhere, checked at import time. Asset keys are plain paths so that the
core stays free of Dagster; `ac_export.defs` turns them into `dg.AssetKey`s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

# Asset keys (paths), a contract with users: DESIGN.md's asset graph.
SOURCE_ASSET_PREFIX = "sources"
ACTIVITY_ASSET_PREFIX = "activities"
UNIFIED_PROFILES_ASSET = ("unified_profiles",)
CUSTOMER_MEASURES_ASSET = ("customer_measures",)
SEGMENT_MEMBERS_ASSET = ("segment_members",)
EXPORT_ASSET = ("activecampaign_list",)

# The one partitions definition shared by `segment_members` and `activecampaign_list`.
SEGMENTS_PARTITIONS = "segments"

# Warehouse tables (paths under the warehouse root).
PROFILES_TABLE = "profiles/unified_profiles"
PROFILE_SOURCES_TABLE = "profiles/profile_sources"
# Written when unify.yaml has a `probabilistic` model: each link with its levels and weights, and
# the model's estimated probabilities.
PROFILE_LINKS_TABLE = "profiles/profile_links"
MATCH_MODEL_TABLE = "profiles/match_model"
MEASURES_TABLE = "segments/customer_measures"


def source_table(name: str) -> str:
    """The warehouse table of one configured source file."""
    return f"{SOURCE_ASSET_PREFIX}/{name}"


def activity_table(name: str) -> str:
    """The warehouse table of one configured activity file."""
    return f"{ACTIVITY_ASSET_PREFIX}/{name}"


def members_table(segment: str) -> str:
    """The warehouse table of a segment's membership spells."""
    return f"segments/members/{segment}"


def rejections_table(export: str) -> str:
    """The warehouse table of every contact an export's latest run rejected, with the reason."""
    return f"exports/{export}/rejections"


def plan_table(export: str) -> str:
    """The warehouse table of an export's latest dry run: each contact it would change, and why."""
    return f"exports/{export}/plan"


def history_table(export: str) -> str:
    """The warehouse table of an export's runs: one row of counts per run, oldest first."""
    return f"exports/{export}/history"


@dataclass(frozen=True)
class ExportCounts:
    """What one export run did, in the order users see it as materialization metadata."""

    members: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    resubscribed: int = 0
    repaired: int = 0
    pre_existing: int = 0
    # Members whose email changed: counted in `removed` (old address) and `added` (new one) as well.
    email_changed: int = 0
    opted_out: int = 0
    unsubscribed_in_activecampaign: int = 0
    rejected_missing_email: int = 0
    rejected_invalid_email: int = 0
    # Refused this run, too large to send, or refused on an earlier run with data unchanged since
    # (remembered, so not sent again; each is listed in the run's rejections with the reason).
    rejected_by_activecampaign: int = 0
    # Members sharing an email with another member: folded into that member's contact, not sent apart.
    duplicates_folded: int = 0
    # Not members, so outside MEMBER_PARTS: leavers whose unsubscribe ActiveCampaign refused (retried
    # next run), and contacts an earlier run left in flight that this run settled before planning.
    removals_refused: int = 0
    resumed: int = 0
    batches: int = 0
    requests: int = 0
    throttled: int = 0
    retries: int = 0
    duration_s: float = 0.0
    contacts_per_s: float = 0.0

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every count's name, in metadata order."""
        return tuple(f.name for f in fields(cls))

    @property
    def rejected(self) -> int:
        """Every contact not exported: before sending (no or invalid email) or refused by ActiveCampaign."""
        return self.rejected_missing_email + self.rejected_invalid_email + self.rejected_by_activecampaign

    @property
    def accounted(self) -> int:
        """The members as the counts divide them (MEMBER_PARTS); always equal to `members`."""
        return sum(getattr(self, name) for name in MEMBER_PARTS)

    @property
    def sent(self) -> int:
        """Contacts whose change ActiveCampaign processed this run (a plan's: it would send)."""
        return sum(getattr(self, name) for name in SENT_PARTS)

    @property
    def settled(self) -> int:
        """Contacts sent and answered for, whatever ActiveCampaign answered."""
        return self.sent + self.rejected_by_activecampaign + self.removals_refused

    def unsent(self) -> ExportCounts:
        """These counts with nothing sent: a plan before its sends are confirmed, or a skipped run."""
        return dataclasses.replace(self, **dict.fromkeys(SENT_PARTS, 0))

    def __add__(self, other: ExportCounts) -> ExportCounts:
        """Count by count, the sum of two (as `total`)."""
        return ExportCounts.total((self, other))

    def as_dict(self) -> dict[str, int | float]:
        """The counts by name, for metadata and JSON."""
        return dataclasses.asdict(self)

    @classmethod
    def total(cls, counts: Iterable[ExportCounts]) -> ExportCounts:
        """Several exports' counts added up (one segment may feed several lists)."""
        items = list(counts)
        whole = {f.name: sum(getattr(c, f.name) for c in items) for f in _FIELDS if not f.is_float}
        return cls(
            **whole,
            duration_s=round(sum(c.duration_s for c in items), 3),
            contacts_per_s=round(sum(c.contacts_per_s for c in items), 1),
        )

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> ExportCounts:
        """Counts read back from metadata or JSON; a name that is absent counts as 0."""
        whole = {f.name: int(f.number(values.get(f.name))) for f in _FIELDS if not f.is_float}
        return cls(
            **whole,
            duration_s=_FIELD_BY_NAME["duration_s"].number(values.get("duration_s")),
            contacts_per_s=_FIELD_BY_NAME["contacts_per_s"].number(values.get("contacts_per_s")),
        )


# The counts of contacts whose change is sent to ActiveCampaign.
SENT_PARTS = ("added", "updated", "removed", "resubscribed", "repaired")

# How a run divides the segment's members: each member is counted in exactly one of these, so
# members = added + updated + unchanged + resubscribed + repaired + opted_out
#         + unsubscribed_in_activecampaign + duplicates_folded + rejected (missing, invalid, by AC).
# `removed` (leavers), `email_changed` (within added and removed) and `pre_existing` (subscribers
# we did not add, members or not; the members among them are updated or unchanged) stand beside it.
MEMBER_PARTS = (
    "added",
    "updated",
    "unchanged",
    "resubscribed",
    "repaired",
    "opted_out",
    "unsubscribed_in_activecampaign",
    "duplicates_folded",
    "rejected_missing_email",
    "rejected_invalid_email",
    "rejected_by_activecampaign",
)


@dataclass(frozen=True)
class _Field:
    name: str
    is_float: bool

    def number(self, value: object) -> float:
        """A metadata value as a number; anything else (absent, text) counts as 0."""
        return float(value) if isinstance(value, int | float) else 0.0


_FIELDS = tuple(_Field(f.name, f.type in ("float", float)) for f in fields(ExportCounts))
_FIELD_BY_NAME = {f.name: f for f in _FIELDS}
