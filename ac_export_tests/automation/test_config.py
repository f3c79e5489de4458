"""automation.yaml: defaults, the demo file, and errors that name the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from ac_export.automation.config import AUTOMATION_FILE, AutomationConfig, check_cron, load_automation_config
from ac_export.config.loading import ConfigError
from ac_export.settings import PROJECT_ROOT


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / AUTOMATION_FILE).write_text(text, encoding="utf-8")
    return tmp_path


def test_an_absent_file_means_everything_stopped_and_the_default_webhook_variable(tmp_path: Path) -> None:
    config = load_automation_config(tmp_path)
    assert config == AutomationConfig()
    assert not config.refresh.enabled
    assert not config.source_files.enabled
    assert config.alerts.webhook_url_env == "AC_EXPORT_ALERT_WEBHOOK_URL"


def test_the_demo_file_refreshes_four_times_a_day_with_the_file_sensor_on() -> None:
    config = load_automation_config(PROJECT_ROOT / "data" / "config")
    assert config.refresh.cron == "0 0,6,12,18 * * *"
    assert config.refresh.enabled
    assert config.source_files.enabled


def test_a_full_file_is_read(tmp_path: Path) -> None:
    config = load_automation_config(
        _write(
            tmp_path,
            "refresh: {cron: '30 7 * * MON-FRI', timezone: Europe/Paris, enabled: true}\n"
            "source_files: {enabled: true, minimum_interval_seconds: 5}\n"
            "alerts: {webhook_url_env: null}\n",
        )
    )
    assert (config.refresh.cron, config.refresh.timezone) == ("30 7 * * MON-FRI", "Europe/Paris")
    assert config.source_files.minimum_interval_seconds == 5
    assert config.alerts.webhook_url_env is None


@pytest.mark.parametrize(
    "cron", ["0 6,12,18 * * *", "*/15 * * * *", "0 0 1 JAN,jul *", "5 4 * * SUN-SAT", "0 9-17/2 * * 1-5"]
)
def test_cron_expressions_dagster_accepts(cron: str) -> None:
    check_cron(cron)
    dg.ScheduleDefinition(name="probe", cron_schedule=cron, target=dg.AssetSelection.all())


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 6 * *", "has 4 fields, not 5"),
        ("61 * * * *", "'61' is out of range 0-59 in cron field 1"),
        ("0 24 * * *", "'24' is out of range 0-23 in cron field 2"),
        ("0 0 0 * *", "'0' is out of range 1-31 in cron field 3"),
        ("0 0 * FOO *", "'FOO' is out of range 1-12 in cron field 4"),
        ("*/0 * * * *", "'*/0' in '*/0 * * * *' is not valid"),
        ("0 6;12 * * *", "'6;12' in '0 6;12 * * *' is not valid"),
    ],
)
def test_bad_cron_expressions_say_what_is_wrong(cron: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_cron(cron)
    assert message in str(caught.value)


def test_errors_name_the_file_and_every_field(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "refresh: {cron: '0 25 * * *', timezone: Mars/Olympus}\n"
        "source_files: {minimum_interval_seconds: 1}\n"
        "alerts: {webhook_url_env: 'https://hooks.example/x'}\n"
        "schedule: daily\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_automation_config(tmp_path)
    text = str(caught.value)
    assert text.startswith(f"{tmp_path / AUTOMATION_FILE}: 5 problem(s):")
    assert "refresh.cron: '25' is out of range 0-23 in cron field 2" in text
    assert "refresh.timezone: 'Mars/Olympus' is not an IANA time zone" in text
    assert "source_files.minimum_interval_seconds: Input should be greater than or equal to 5" in text
    assert "alerts.webhook_url_env: String should match pattern" in text
    assert "schedule: unknown key; known keys here:" in text


def test_email_masking_is_shared_by_default_everywhere_on_request_and_checked(tmp_path: Path) -> None:
    assert not load_automation_config(tmp_path).privacy.mask_everywhere
    assert load_automation_config(PROJECT_ROOT / "data" / "config").privacy.mask_emails == "shared"
    assert load_automation_config(
        _write(tmp_path, "privacy: {mask_emails: everywhere}\n")
    ).privacy.mask_everywhere
    with pytest.raises(ConfigError) as caught:
        load_automation_config(_write(tmp_path, "privacy: {mask_emails: always}\n"))
    message = str(caught.value)
    assert "automation.yaml" in message and "privacy.mask_emails" in message
    assert "shared" in message and "everywhere" in message
