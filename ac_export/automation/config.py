"""Models of `automation.yaml`: when the scheduled refresh runs, what reacts to new files, where alerts go.

These settings shape Dagster definitions (a schedule's cron, a sensor's default state), so they
are read when the code location loads: reload it in the UI after editing the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from ac_export.config.loading import StrictModel, load_model

AUTOMATION_FILE = "automation.yaml"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

# Allowed range of each cron field: minute, hour, day of month, month, day of week (0 and 7 = Sunday).
_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_CRON_NAMES: tuple[dict[str, int], ...] = (
    {},
    {},
    {},
    {m: i + 1 for i, m in enumerate(_MONTHS)},
    {d: i for i, d in enumerate(_DAYS)},
)
_CRON_ITEM = re.compile(r"^(?P<range>\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/(?P<step>[0-9]+))?$")
CRON_EXAMPLE = "'0 6,12,18 * * *' (minute hour day-of-month month day-of-week)"


def _cron_value(text: str, field: int) -> int:
    names = _CRON_NAMES[field]
    value = names.get(text.upper()) if not text.isdigit() else int(text)
    low, high = _CRON_RANGES[field]
    if value is None or not low <= value <= high:
        raise ValueError(f"{text!r} is out of range {low}-{high} in cron field {field + 1}")
    return value


def check_cron(expression: str) -> None:
    """Raise ValueError naming the bad part unless this is a five-field cron expression Dagster accepts."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"{expression!r} has {len(fields)} fields, not 5; write it like {CRON_EXAMPLE}")
    for index, field in enumerate(fields):
        for item in field.split(","):
            match = _CRON_ITEM.match(item)
            if match is None or match["step"] == "0":
                raise ValueError(f"{item!r} in {expression!r} is not valid; write it like {CRON_EXAMPLE}")
            if match["range"] != "*":
                for bound in match["range"].split("-"):
                    _cron_value(bound, index)


class RefreshSchedule(StrictModel):
    """The scheduled refresh: sources → profiles → measures, then every segment and its exports."""

    cron: str = Field(
        default="0 0,6,12,18 * * *",
        description="Cron expression; Customer Insights allows a few refreshes a day, the default is 4.",
    )
    timezone: str = Field(default="UTC", description="IANA time zone the cron is read in.")
    enabled: bool = Field(
        default=False,
        description="Whether the schedule runs when Dagster first loads it (the UI toggle overrides this).",
    )

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        check_cron(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as 'Europe/Paris'") from None
        return value


class SourceFilesSensor(StrictModel):
    """The sensor that refreshes when a configured source file appears or its content changes."""

    enabled: bool = Field(
        default=False,
        description="Whether the sensor runs when Dagster first loads it (the UI toggle overrides this).",
    )
    minimum_interval_seconds: int = Field(
        default=60,
        ge=5,
        le=86_400,
        description="Seconds between checks; each check hashes only files whose size or mtime moved.",
    )


class FailureAlerts(StrictModel):
    """Where failed runs are reported besides the run log."""

    webhook_url_env: str | None = Field(
        default="AC_EXPORT_ALERT_WEBHOOK_URL",
        pattern=ENV_VAR_PATTERN,
        description="Environment variable holding a webhook URL that receives a JSON alert per failed run; "
        "null turns webhooks off. The URL itself never lives in this file: it often embeds a token.",
    )
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="How long one webhook POST may take before it is given up."
    )


class Approval(StrictModel):
    """Exports that wait for a person: a run that would remove many contacts stops with its preview."""

    removals_above: int | None = Field(
        default=None,
        ge=0,
        description="A run of an export that would remove more contacts than this stops before sending, "
        "showing its plan, until it is run with `approve_removals: N` (N: the plan's removals); null (the "
        "default) never waits.",
    )


class Privacy(StrictModel):
    """Where people see emails in full: the operator's own views, or nowhere."""

    mask_emails: Literal["shared", "everywhere"] = Field(
        default="shared",
        description="shared (the default): emails are masked where data leaves the operator (log lines, "
        "alerts, the asset's shared metadata such as the rejection sample) and shown in full in the "
        "plan (warehouse table, terminal, the run's plan in the UI) and the terminal's rejections; "
        "everywhere: masked in those too, and in the plan and rejections tables of the warehouse.",
    )

    @property
    def mask_everywhere(self) -> bool:
        """Whether the operator's own views mask emails too."""
        return self.mask_emails == "everywhere"


class AutomationConfig(StrictModel):
    """All of `automation.yaml`."""

    refresh: RefreshSchedule = Field(default_factory=RefreshSchedule)
    source_files: SourceFilesSensor = Field(default_factory=SourceFilesSensor)
    alerts: FailureAlerts = Field(default_factory=FailureAlerts)
    approval: Approval = Field(default_factory=Approval)
    privacy: Privacy = Field(default_factory=Privacy)


def load_automation_config(config_dir: Path) -> AutomationConfig:
    """Load `automation.yaml` (absent means the defaults: schedule and file sensor stopped)."""
    return load_model(config_dir / AUTOMATION_FILE, AutomationConfig, optional=True)
