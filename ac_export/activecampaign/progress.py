"""Progress of running exports: the run log's lines, and for whoever shows it live (the terminal's
progress bars) the structured side of the same news, so a terminal can
draw a bar without parsing log text. Listeners are called in the exporting thread and must be quick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ac_export.activecampaign.export_request import ExportRequest
    from ac_export.contracts import ExportCounts


@dataclass(frozen=True)
class Progress:
    """Where one export is: `stage` is planned, sending or done; counts are contacts."""

    export: str
    stage: str
    total: int
    confirmed: int = 0
    refused: int = 0

    @property
    def processed(self) -> int:
        """Contacts ActiveCampaign has answered for, confirmed or refused."""
        return self.confirmed + self.refused


Listener = Callable[[Progress], None]
_listeners: list[Listener] = []


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Call `listener` with every progress report made while the block runs."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def report(progress: Progress) -> None:
    """Tell every listener; a listener's failure never stops an export."""
    for listener in list(_listeners):
        try:
            listener(progress)
        except Exception:
            continue


def contacts_per_s(confirmed: int, seconds: float) -> float:
    """The one rate users see: contacts ActiveCampaign confirmed per second since the export started."""
    return round(confirmed / seconds, 1) if seconds > 0 else 0.0


def sending_line(name: str, done: ExportCounts, total: int, elapsed: float) -> str:
    """The run log's line while sending: confirmed so far, the rate, and the time left."""
    processed = done.settled
    pace = processed / elapsed if elapsed > 0 else 0.0
    left = (total - processed) / pace if pace > 0 else float("nan")
    share = processed / total if total else 1.0
    refused = f", {done.rejected_by_activecampaign:,} refused" if done.rejected_by_activecampaign else ""
    return (
        f"export {name}: {done.sent:,} of {total:,} contacts confirmed by ActiveCampaign{refused} "
        f"({share:.0%} processed), {contacts_per_s(done.sent, elapsed):,} contacts/s, "
        f"about {_duration(left)} left"
    )


def _duration(seconds: float) -> str:
    if seconds != seconds:  # NaN: no rate yet
        return "unknown time"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def plan_line(request: ExportRequest, counts: ExportCounts) -> str:
    """The run log's line of the plan: how the members divide up."""
    prefix = "dry run: " if request.dry_run else ""
    return (
        f"{prefix}export {request.name} → list {request.export.list_id}: {counts.members} members; "
        f"add {counts.added}, update {counts.updated}, unchanged {counts.unchanged}, "
        f"remove {counts.removed}, re-subscribe {counts.resubscribed}, repair {counts.repaired}, "
        f"pre-existing (never removed) {counts.pre_existing}, opted out {counts.opted_out}, "
        f"unsubscribed in ActiveCampaign {counts.unsubscribed_in_activecampaign}, "
        f"missing email {counts.rejected_missing_email}, invalid email "
        f"{counts.rejected_invalid_email}, duplicates folded {counts.duplicates_folded}"
    )
