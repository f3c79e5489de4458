"""Progress of running exports, for whoever shows it live (the terminal's progress bars).

The run log gets its own lines; this is the structured side of the same news, so a terminal can
draw a bar without parsing log text. Listeners are called in the exporting thread and must be quick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


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
