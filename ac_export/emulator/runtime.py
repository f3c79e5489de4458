"""The emulator process's state: the account, its batches, keys, knobs, windows, faults and counters."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ac_export.emulator.batches import BatchQueue
from ac_export.emulator.entities import ALL_LISTS
from ac_export.emulator.knobs import Knobs
from ac_export.emulator.limits import FaultInjector, RateLimits
from ac_export.emulator.snapshot import SnapshotError, read_snapshot, write_snapshot
from ac_export.emulator.stats import Stats
from ac_export.emulator.store import Account

# Rewriting a large state file costs time on the event loop: never spend more than a tenth of it there.
MIN_SAVE_INTERVAL_S, SAVE_COST_FACTOR = 1.0, 10.0


@dataclass(frozen=True)
class StartupSpec:
    """What the command line asked for; `POST /_emulator/reset` returns to exactly this."""

    api_keys: tuple[str, ...]
    knobs: Knobs
    lists: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    state_file: Path | None = None


class Emulator:
    """One emulated ActiveCampaign account and everything the emulator tracks about it."""

    def __init__(self, spec: StartupSpec) -> None:
        self.spec = spec
        self.faults = FaultInjector(spec.knobs.seed)
        self._start_fresh()
        if spec.state_file is not None:
            self._load(spec.state_file)
        self._create_startup_entities()
        self._saved_mutations, self._next_save_at = -1, 0.0

    def _load(self, path: Path) -> None:
        """The account and batches saved in the state file, when it exists."""
        saved = read_snapshot(path)
        if saved is None:
            return
        try:
            self.account = Account.from_snapshot(saved["account"])
            self.batches = BatchQueue.from_snapshot(saved["batches"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SnapshotError(
                f"{path}: not a valid emulator state file ({exc!r}); delete it to start afresh"
            ) from None

    def _start_fresh(self) -> None:
        self.knobs = dataclasses.replace(self.spec.knobs)
        self.api_keys = set(self.spec.api_keys)
        self.account = Account()
        self.batches = BatchQueue()
        self.limits = RateLimits()
        self.stats = Stats()
        self.faults.reseed(self.knobs.seed)
        self.mutations = 0

    def _create_startup_entities(self) -> None:
        """Lists and fields named on the command line, unless a loaded state already has them."""
        names = {lst.name for lst in self.account.lists.values()}
        for name in self.spec.lists:
            if name not in names:
                self.account.create_list(name)
        for perstag, field_type in self.spec.fields:
            if self.account.field_by_perstag(perstag) is None:
                created = self.account.create_field(
                    perstag.replace("_", " ").capitalize(), field_type, perstag
                )
                # As the app creates a field for "all lists": a fieldRel with relid 0.
                self.account.create_field_rel(created.id, ALL_LISTS)

    def reset(self) -> None:
        """Back to the start-up account: no contacts, start-up lists and fields, start-up knobs and keys."""
        self._start_fresh()
        self._create_startup_entities()
        self.mutations += 1

    def configure(self, changes: dict[str, Any]) -> Knobs:
        """Change knobs at run time (validated as a whole); a new seed restarts the fault sequence."""
        self.knobs = self.knobs.updated(changes)
        if "seed" in changes:
            self.faults.reseed(self.knobs.seed)
        return self.knobs

    def tick(self) -> None:
        """Apply every batch whose processing time has come."""
        if self.batches.process_due(self.account, self.knobs.contact_limit, time.time(), self.knobs.readings):
            self.mutations += 1

    def save_if_due(self, force: bool = False) -> None:
        """Write the state file when something changed, at most as often as its size allows."""
        path = self.spec.state_file
        now = time.monotonic()
        if (
            path is None
            or self.mutations == self._saved_mutations
            or (not force and now < self._next_save_at)
        ):
            return
        mutations = self.mutations
        write_snapshot(path, {"account": self.account.to_snapshot(), "batches": self.batches.to_snapshot()})
        cost = time.monotonic() - now
        self._saved_mutations = mutations
        self._next_save_at = time.monotonic() + max(MIN_SAVE_INTERVAL_S, SAVE_COST_FACTOR * cost)
