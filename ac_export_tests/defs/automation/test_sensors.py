"""The sensors through Dagster: source files → refresh, refresh → segment runs, failures → alerts."""

# No `from __future__ import annotations`: Dagster inspects op annotations at runtime.

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from ac_export.automation.config import FailureAlerts, SourceFilesSensor
from ac_export.automation.tags import (
    CHANGED_FILES_TAG,
    EVALUATION_RUN_TAG,
    REFRESH_RUN_TAG,
    SEGMENT_TAG,
    TRIGGER_TAG,
)
from ac_export.defs.automation.sensors import (
    RUN_FAILURE_SENSOR,
    SEGMENT_REFRESH_SENSOR,
    build_run_failure_sensor,
    build_source_files_sensor,
    segment_exports_sensor,
    segment_refresh_sensor,
)
from ac_export.defs.resources import ProjectConfigResource
from ac_export_tests.automation.webhook import WebhookReceiver, webhook_receiver
from ac_export_tests.support.demo_config import copy_demo_config

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
SECRET_KEY = "5ecret0123456789abcdef0123456789"
URL_ENV = "TEST_AC_EXPORT_WEBHOOK"


def _resources(config_dir: Path) -> dict[str, object]:
    return {"project_config": ProjectConfigResource(config_dir=str(config_dir))}


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


class FileTicks:
    """Ticks the source files sensor, carrying its cursor from tick to tick as the daemon does."""

    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.sensor = build_source_files_sensor(SourceFilesSensor(enabled=True))
        self.cursor: str | None = None

    def __call__(self) -> dg.SensorResult | dg.SkipReason:
        context = dg.build_sensor_context(cursor=self.cursor, resources=_resources(self.config_dir))
        result = self.sensor(context)
        if isinstance(result, dg.SensorResult) and result.cursor is not None:
            self.cursor = result.cursor
        return result


def _skip_message(result: dg.SensorResult | dg.SkipReason) -> str:
    reason = result.skip_reason if isinstance(result, dg.SensorResult) else result
    return reason.skip_message or "" if reason is not None else ""


def test_the_first_check_records_the_files_and_requests_nothing(config_dir: Path) -> None:
    result = FileTicks(config_dir)()
    assert isinstance(result, dg.SensorResult)
    assert not result.run_requests
    assert _skip_message(result) == "Recorded 6 source files; later changes trigger a refresh."


def test_a_changed_source_file_requests_one_refresh(config_dir: Path) -> None:
    tick = FileTicks(config_dir)
    tick()
    contact = config_dir.parent / "sources" / "Contact.txt"
    contact.write_text(contact.read_text() + "a new row\n")
    result = tick()
    assert isinstance(result, dg.SensorResult)
    assert [(r.tags, r.partition_key, r.asset_selection) for r in result.run_requests or []] == [
        ({TRIGGER_TAG: "source_files", CHANGED_FILES_TAG: "Contact.txt"}, None, None)
    ]
    assert not tick().run_requests


def test_touching_a_file_or_saving_it_unchanged_requests_nothing(config_dir: Path) -> None:
    tick = FileTicks(config_dir)
    tick()
    contact = config_dir.parent / "sources" / "Contact.txt"
    contact.write_text(contact.read_text())
    contact.touch()
    result = tick()
    assert isinstance(result, dg.SensorResult)
    assert not result.run_requests
    assert _skip_message(result) == "Source files: no change."


def test_a_missing_file_waits_and_its_return_requests_a_refresh(config_dir: Path) -> None:
    tick = FileTicks(config_dir)
    tick()
    reviews = config_dir.parent / "sources" / "WebsiteReviews_LinkedToEcommerceContacts.txt"
    content = reviews.read_text()
    reviews.unlink()
    gone = tick()
    assert not gone.run_requests
    assert _skip_message(gone) == f"Source files: missing: {reviews}."
    reviews.write_text(content)
    assert [r.tags[CHANGED_FILES_TAG] for r in tick().run_requests or []] == [reviews.name]


def test_an_invalid_configuration_keeps_the_cursor_so_no_change_is_lost(config_dir: Path) -> None:
    tick = FileTicks(config_dir)
    tick()
    sources = config_dir / "sources.yaml"
    valid = sources.read_text()
    sources.write_text(valid.replace("priority: 10", "priority: ten"))
    pos = config_dir.parent / "sources" / "POSPurchases.txt"
    pos.write_text("changed while the config was broken\n")
    broken = tick()
    assert isinstance(broken, dg.SkipReason)
    assert "sources.yaml" in (broken.skip_message or "")
    sources.write_text(valid)
    assert [r.tags[CHANGED_FILES_TAG] for r in tick().run_requests or []] == ["POSPurchases.txt"]


def test_sensor_settings_come_from_automation_yaml() -> None:
    sensor = build_source_files_sensor(SourceFilesSensor(enabled=False, minimum_interval_seconds=120))
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert sensor.minimum_interval_seconds == 120
    assert sensor.job_name == "refresh"


@dg.op
def refresh_stand_in() -> None:
    """Stands in for a successful refresh run: the sensor only needs its run and success event."""


@dg.job(name="refresh")
def refresh_stand_in_job() -> None:
    """A job named like the real refresh."""
    refresh_stand_in()


def test_a_successful_refresh_requests_one_evaluation_run_over_every_configured_segment(
    config_dir: Path, instance: dg.DagsterInstance
) -> None:
    instance.add_dynamic_partitions("segments", ["win_back", "loyalty_members", "retired_segment"])
    result = refresh_stand_in_job.execute_in_process(instance=instance)
    context = dg.build_run_status_sensor_context(
        sensor_name=SEGMENT_REFRESH_SENSOR,
        dagster_event=result.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources=_resources(config_dir),
    )
    requests = segment_refresh_sensor(context)
    run_id = result.run_id
    assert isinstance(requests, list)
    assert [(r.partition_key, r.run_key, r.tags) for r in requests] == [
        (
            None,
            f"{run_id}:win_back..loyalty_members",
            {
                TRIGGER_TAG: "refresh",
                REFRESH_RUN_TAG: run_id,
                RANGE_START: "win_back",
                RANGE_END: "loyalty_members",
            },
        )
    ]
    assert segment_refresh_sensor.job_name == "evaluate_segments"
    assert segment_refresh_sensor.default_status == dg.DefaultSensorStatus.RUNNING


@dg.asset(key="segment_members", partitions_def=dg.DynamicPartitionsDefinition(name="segments"))
def members_stand_in(context: dg.AssetExecutionContext) -> None:
    """Stands in for segment_members: materializes its partition."""


def _materialize(instance: dg.DagsterInstance, job_name: str, segment: str, tags: dict[str, str]) -> str:
    job = dg.define_asset_job(job_name, selection=[members_stand_in.key])
    defs = dg.Definitions(assets=[members_stand_in], jobs=[job])
    result = defs.resolve_job_def(job_name).execute_in_process(
        instance=instance, partition_key=segment, tags=tags
    )
    return result.run_id


def test_each_segment_an_evaluation_run_accepts_gets_one_export_run(instance: dg.DagsterInstance) -> None:
    instance.add_dynamic_partitions("segments", ["vip", "loyal", "texans"])
    ticks = ExportTicks(instance)
    assert ticks().run_requests == []
    evaluation = _materialize(instance, "evaluate_segments", "vip", {REFRESH_RUN_TAG: "r-1"})
    _materialize(instance, "export_segment", "loyal", {})  # a run that exports in itself: not again
    second = _materialize(instance, "evaluate_segments", "texans", {})
    requests = ticks().run_requests or []
    assert [(r.partition_key, r.run_key, r.tags) for r in requests] == [
        (
            "vip",
            f"{evaluation}:vip",
            {
                TRIGGER_TAG: "refresh",
                EVALUATION_RUN_TAG: evaluation,
                SEGMENT_TAG: "vip",
                REFRESH_RUN_TAG: "r-1",
            },
        ),
        (
            "texans",
            f"{second}:texans",
            {TRIGGER_TAG: "evaluate_segments", EVALUATION_RUN_TAG: second, SEGMENT_TAG: "texans"},
        ),
    ]
    assert ticks().run_requests == []  # the cursor moved past them
    assert segment_exports_sensor.job_name == "export_lists"
    assert segment_exports_sensor.default_status == dg.DefaultSensorStatus.RUNNING


class ExportTicks:
    """Ticks segment_exports_sensor, carrying its cursor as the daemon does."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.cursor: str | None = None

    def __call__(self) -> dg.SensorResult:
        result = segment_exports_sensor(dg.build_sensor_context(instance=self.instance, cursor=self.cursor))
        assert isinstance(result, dg.SensorResult)
        self.cursor = result.cursor
        return result


@dg.op(name="activecampaign_list")
def failing_export() -> None:
    """Fails as the real export does when ActiveCampaign refuses the key."""
    raise dg.Failure(
        description=f"export loyalty_members_to_activecampaign (segment loyalty_members → list 1): "
        f"ActiveCampaign answered 403 for key {SECRET_KEY}; check ACTIVECAMPAIGN_API_KEY",
        metadata={"export": "loyalty_members_to_activecampaign", "list_id": 1},
    )


@dg.job(name="export_segment", tags={"dagster/partition": "loyalty_members"})
def failing_segment_job() -> None:
    """A segment run whose export fails."""
    failing_export()


class FailedRun:
    """A failed segment run in an instance, and the failure sensor ticked on it."""

    def __init__(self, instance: dg.DagsterInstance, config_dir: Path) -> None:
        self.instance = instance
        self.config_dir = config_dir
        self.result = failing_segment_job.execute_in_process(instance=instance, raise_on_error=False)

    def tick(self, alerts: FailureAlerts) -> list[str]:
        """Tick the failure sensor; returns the messages it added to the failed run's log."""
        seen = len(self._engine_messages())
        context = dg.build_run_status_sensor_context(
            sensor_name=RUN_FAILURE_SENSOR,
            dagster_event=self.result.get_run_failure_event(),
            dagster_instance=self.instance,
            dagster_run=self.result.dagster_run,
            resources=_resources(self.config_dir),
        ).for_run_failure()
        build_run_failure_sensor(alerts, ["ACTIVECAMPAIGN_API_KEY"])(context)
        return self._engine_messages()[seen:]

    def _engine_messages(self) -> list[str]:
        return [
            entry.message
            for entry in self.instance.all_logs(self.result.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
        ]


@pytest.fixture(scope="module")
def failed_segment_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FailedRun]:
    """One failed run shared by the alert tests; each looks only at what its own tick adds."""
    config_dir = copy_demo_config(tmp_path_factory.mktemp("failed_run"))
    with dg.instance_for_test() as test_instance:
        yield FailedRun(test_instance, config_dir)


@pytest.fixture
def failed_run(
    failed_segment_run: FailedRun, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FailedRun, WebhookReceiver]]:
    monkeypatch.setenv("ACTIVECAMPAIGN_API_KEY", SECRET_KEY)
    with webhook_receiver() as receiver:
        monkeypatch.setenv(URL_ENV, receiver.url)
        yield failed_segment_run, receiver


def test_a_failed_export_is_posted_to_the_webhook_without_secrets(
    failed_run: tuple[FailedRun, WebhookReceiver],
) -> None:
    run, receiver = failed_run
    run.tick(FailureAlerts(webhook_url_env=URL_ENV))
    [body] = receiver.bodies
    assert body["run_id"] == run.result.run_id
    assert (body["job"], body["segment"]) == ("export_segment", "loyalty_members")
    assert body["segment_exports"] == ["loyalty_members_to_activecampaign"]
    [failure] = body["failures"]
    assert (failure["step"], failure["export"], failure["list_id"]) == (
        "activecampaign_list",
        "loyalty_members_to_activecampaign",
        1,
    )
    assert "ActiveCampaign answered 403 for key ***; check ACTIVECAMPAIGN_API_KEY" in failure["message"]
    assert SECRET_KEY not in str(body)
    assert receiver.url not in str(body)


def test_the_failure_is_written_to_the_failed_runs_own_log(
    failed_run: tuple[FailedRun, WebhookReceiver],
) -> None:
    run, _ = failed_run
    alert_line, delivery = run.tick(FailureAlerts(webhook_url_env=URL_ENV))
    assert alert_line.startswith(f"Failure alert: ac_export run {run.result.run_id} (export_segment) ")
    assert "for segment loyalty_members failed: step activecampaign_list" in alert_line
    assert "(export loyalty_members_to_activecampaign)" in alert_line
    assert SECRET_KEY not in alert_line
    assert delivery == f"Failure alert to the webhook in ${URL_ENV} delivered"


def test_a_failing_webhook_is_logged_and_never_raises(failed_run: tuple[FailedRun, WebhookReceiver]) -> None:
    run, receiver = failed_run
    receiver.status = 503
    _, delivery = run.tick(FailureAlerts(webhook_url_env=URL_ENV))
    assert len(receiver.bodies) == 1
    assert (
        delivery == f"Failure alert to the webhook in ${URL_ENV} not delivered: the webhook answered HTTP 503"
    )


def test_without_a_webhook_the_run_log_still_gets_the_alert(
    failed_run: tuple[FailedRun, WebhookReceiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    run, receiver = failed_run
    monkeypatch.delenv(URL_ENV)
    unset = run.tick(FailureAlerts(webhook_url_env=URL_ENV))
    disabled = run.tick(FailureAlerts(webhook_url_env=None))
    assert receiver.bodies == []
    assert [len(unset), len(disabled)] == [1, 1]
    assert unset[0].startswith("Failure alert: ") and disabled[0].startswith("Failure alert: ")
