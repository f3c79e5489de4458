"""The emulator's run-time knobs: set by start-up flags, changed by `POST /_emulator/config`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ac_export.emulator.readings import BY_NAME, ReadingError, Readings

# `403` is ActiveCampaign's intermittent 403 on a valid key; `empty` and `not_json` are 200s whose body
# is empty or an HTML page. All three strike before any work is done.
FAULT_KINDS = ("500", "503", "429", "drop", "drop_after", "slow", "403", "empty", "not_json")


class KnobError(ValueError):
    """A knob value that the emulator cannot use; the message names the knob and the fix."""


@dataclass(slots=True)
class Knobs:
    """Everything a test may tune; durations are in real-world seconds before `time_scale`."""

    time_scale: float = 1.0
    rate_limit: bool = True
    processing_delay: float = 0.2
    contact_limit: int | None = None
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    slow_delay: float = 1.0
    latency: float = 0.0
    seed: int | None = None
    readings: Readings = field(default_factory=Readings)

    def scaled(self, seconds: float) -> float:
        """A real-world duration shrunk by the time scale (how tests fit minute windows in seconds)."""
        return seconds / self.time_scale

    def as_json(self) -> dict[str, Any]:
        """The knobs as a JSON-ready object."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "readings"}
        data["fault_kinds"] = list(self.fault_kinds)
        # Readings are knobs too: `/_emulator/config` takes them flat, beside the others.
        return data | self.readings.as_json()

    def updated(self, changes: dict[str, Any]) -> Knobs:
        """A validated copy with `changes` applied; raises KnobError naming the bad knob."""
        known = {f.name for f in dataclasses.fields(self)} - {"readings"} | set(BY_NAME)
        unknown = sorted(set(changes) - known)
        if unknown:
            raise KnobError(f"unknown knob(s) {unknown}; known knobs: {sorted(known)}")
        readings = {name: value for name, value in changes.items() if name in BY_NAME}
        try:
            new_readings = self.readings.updated(readings)
        except ReadingError as exc:
            raise KnobError(str(exc)) from None
        candidate = dataclasses.replace(
            self,
            readings=new_readings,
            **{name: _coerce(name, value) for name, value in changes.items() if name not in BY_NAME},
        )
        candidate.validate()
        return candidate

    def validate(self) -> None:
        """Raise KnobError when a knob is out of range."""
        if self.time_scale <= 0:
            raise KnobError("time_scale must be > 0 (e.g. 60 makes a minute last one second)")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise KnobError("fault_rate must be between 0 and 1")
        for name in ("processing_delay", "slow_delay", "latency"):
            if getattr(self, name) < 0:
                raise KnobError(f"{name} must be >= 0 seconds")
        if self.contact_limit is not None and self.contact_limit < 0:
            raise KnobError("contact_limit must be >= 0, or null for no limit")
        bad_kinds = sorted(set(self.fault_kinds) - set(FAULT_KINDS))
        if bad_kinds or not self.fault_kinds:
            raise KnobError(f"fault_kinds must be a non-empty subset of {list(FAULT_KINDS)}, got {bad_kinds}")


def parse_fault_kinds(text: str) -> tuple[str, ...]:
    """Fault kinds from a comma-separated flag value, e.g. `500,drop`."""
    return tuple(kind.strip() for kind in text.split(",") if kind.strip())


def _coerce(name: str, value: Any) -> Any:
    """A JSON value converted to the knob's type, or KnobError naming the knob."""
    try:
        if name == "rate_limit":
            if not isinstance(value, bool):
                raise TypeError
            return value
        if name in ("contact_limit", "seed"):
            return None if value is None else int(value)
        if name == "fault_kinds":
            return parse_fault_kinds(value) if isinstance(value, str) else tuple(str(kind) for kind in value)
        return float(value)
    except (TypeError, ValueError):
        raise KnobError(f"knob {name!r} has an invalid value {value!r}") from None
