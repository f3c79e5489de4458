"""Models of `automation.yaml`: when the scheduled refresh runs and how failures are reported."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from ac_export.config.loading import StrictModel, load_model

AUTOMATION_FILE = "automation.yaml"


class RefreshSchedule(StrictModel):
    """The scheduled refresh: sources → profiles → measures → segments → every export."""

    cron: str = Field(
        default="0 6,12,18 * * *", description="Cron expression (Customer Insights allows 4 a day)."
    )
    timezone: str = Field(default="UTC", description="IANA time zone the cron is read in.")
    enabled: bool = Field(
        default=False, description="Whether the schedule starts running when Dagster loads."
    )

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5 or not re.fullmatch(r"[0-9*/,\- A-Za-z]+", value):
            raise ValueError(f"{value!r} is not a five-field cron expression such as '0 6,12,18 * * *'")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as 'Europe/Paris'") from None
        return value


class FailureAlerts(StrictModel):
    """Where export failures are reported besides the run log."""

    webhook_url_env: str | None = Field(
        default="AC_EXPORT_ALERT_WEBHOOK_URL",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Environment variable holding a webhook URL that receives a JSON alert per failed run.",
    )


class AutomationConfig(StrictModel):
    """All of `automation.yaml`."""

    refresh: RefreshSchedule = Field(default_factory=RefreshSchedule)
    source_files_sensor_enabled: bool = Field(
        default=False, description="Whether new or changed source files trigger a refresh."
    )
    alerts: FailureAlerts = Field(default_factory=FailureAlerts)


def load_automation_config(config_dir: Path) -> AutomationConfig:
    """Load `automation.yaml` (absent means the defaults)."""
    return load_model(config_dir / AUTOMATION_FILE, AutomationConfig, optional=True)
