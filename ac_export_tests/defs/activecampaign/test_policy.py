"""Every Dagster entry point keeps the export's promises: asset runs, the preview job, launchpad overrides.

The rules live in the engine (`export_segment`), so a run launched from the asset, the preview job,
a backfill or a sensor gets the same approval gate; and a run's config cannot change what the
deployment fixes (the account a connection reaches, its key, the configuration folder, the state).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
import yaml

from ac_export.activecampaign.config import load_connections_config
from ac_export.defs.activecampaign.assets import build_export_asset
from ac_export.defs.activecampaign.resources import resource_key
from ac_export.defs.automation.jobs import preview_segment_job
from ac_export.defs.resources import ProjectConfigResource, StateResource, WarehouseResource
from ac_export.state.backend import DSN_ENV, STATE_ENV
from ac_export_tests.defs.activecampaign.test_assets import project_config
from ac_export_tests.support.export_world import SEGMENT, ExportWorld

LIMIT = 5
LEAVERS = 10


@pytest.fixture
def reading() -> str:
    """One reading: these tests are about who may do what, not about ActiveCampaign's ambiguities."""
    return "documented"


@pytest.fixture(params=["embedded", "postgres"])
def state(request: pytest.FixtureRequest) -> StateResource:
    """Each state backend in turn: the gate holds wherever the ledger lives."""
    if request.param == "embedded":
        return StateResource()
    return StateResource(backend="postgres", dsn=request.getfixturevalue("postgres_dsn"))


def _deployment(tmp_path: Path, world: ExportWorld) -> Path:
    """The test export with removal_guard 1.0 (the gate is the subject) and approval above LIMIT."""
    config_dir = project_config(tmp_path, world)
    exports = yaml.safe_load((config_dir / "exports.yaml").read_text())
    exports["exports"]["test_export"]["removal_guard"] = 1.0
    (config_dir / "exports.yaml").write_text(yaml.safe_dump(exports))
    automation = yaml.safe_load((config_dir / "automation.yaml").read_text())
    automation["approval"] = {"removals_above": LIMIT}
    (config_dir / "automation.yaml").write_text(yaml.safe_dump(automation))
    connections = yaml.safe_load((config_dir / "connections.yaml").read_text())
    connections["connections"]["test"]["api_host"] = world.emulator.base_url
    (config_dir / "connections.yaml").write_text(yaml.safe_dump(connections))
    return config_dir


def _definitions(world: ExportWorld, config_dir: Path, state: StateResource) -> dg.Definitions:
    world.write()
    return dg.Definitions(
        assets=[build_export_asset(load_connections_config(config_dir), config_dir)],
        jobs=[preview_segment_job],
        resources={
            "warehouse": WarehouseResource(root=str(world.warehouse.root)),
            "state": state,
            "project_config": ProjectConfigResource(config_dir=str(config_dir)),
            resource_key("test"): world.resource(),
        },
    )


def _run(
    world: ExportWorld,
    config_dir: Path,
    state: StateResource,
    run_config: dict | None = None,
    job: str | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    defs = _definitions(world, config_dir, state)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("segments", [SEGMENT])
    job_def = defs.resolve_job_def(job) if job else defs.resolve_implicit_global_asset_job_def()
    return job_def.execute_in_process(
        run_config=run_config or {},
        partition_key=SEGMENT,
        instance=instance,
        tags=tags,
        raise_on_error=False,
    )


def _failure(result: dg.ExecuteInProcessResult) -> str:
    failure = next(event for event in result.all_events if event.is_step_failure)
    return str(failure.step_failure_data.user_failure_data.description)  # type: ignore[union-attr]


def _op_config(config: dict) -> dict:
    return {"ops": {"activecampaign_list": {"config": config}}}


@pytest.fixture
def leaving(world: ExportWorld, tmp_path: Path, state: StateResource) -> Path:
    """A list of 12 exported once, then 10 of them leave the segment: a plan of 10 removals."""
    for customer in world.people(12):
        world.profiles[customer]["loyalty_tier"] = "gold"
    config_dir = _deployment(tmp_path, world)
    assert _run(world, config_dir, state).success
    for customer in sorted(world.members)[:LEAVERS]:
        world.members.discard(customer)
    return config_dir


def test_an_asset_run_waits_for_approval_of_the_plans_own_number(
    world: ExportWorld, leaving: Path, state: StateResource
) -> None:
    waiting = _run(world, leaving, state)
    assert not waiting.success and len(world.subscribed()) == 12
    assert f"`approve_removals: {LEAVERS}`" in _failure(waiting)

    stale = _run(world, leaving, state, _op_config({"approve_removals": LEAVERS - 1}))
    assert not stale.success and len(world.subscribed()) == 12
    assert f"the approval given was for {LEAVERS - 1}, not this plan's {LEAVERS}" in _failure(stale)

    approved = _run(world, leaving, state, _op_config({"approve_removals": LEAVERS}))
    assert approved.success and len(world.subscribed()) == 12 - LEAVERS


def test_a_backfill_or_sensor_run_meets_the_same_gate(
    world: ExportWorld, leaving: Path, state: StateResource
) -> None:
    # What a backfill's or a sensor's run carries: its tags; the asset's code is the same either way.
    tags = {"dagster/backfill": "bf1", "dagster/sensor_name": "segment_refresh_sensor"}

    result = _run(world, leaving, state, tags=tags)

    assert not result.success and len(world.subscribed()) == 12
    assert f"`approve_removals: {LEAVERS}`" in _failure(result)


def test_the_preview_job_shows_the_approval_a_real_run_would_wait_for(
    world: ExportWorld, leaving: Path, state: StateResource
) -> None:
    result = _run(world, leaving, state, job=preview_segment_job.name)

    assert result.success and len(world.subscribed()) == 12
    [observation] = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    metadata = observation.event_specific_data.asset_observation.metadata  # type: ignore[union-attr]
    assert f"approve exactly {LEAVERS}" in str(metadata["preview/would_stop"].value)


def test_a_run_config_that_points_at_another_config_folder_is_refused(
    world: ExportWorld, leaving: Path, state: StateResource, tmp_path: Path
) -> None:
    # The same project without the approval limit, as an attacker would write it.
    lax = tmp_path / "lax"
    shutil.copytree(leaving, lax)
    (lax / "automation.yaml").write_text(yaml.safe_dump({"approval": {"removals_above": None}}))
    override = {"resources": {"project_config": {"config": {"config_dir": str(lax)}}}}

    result = _run(world, leaving, state, override)

    assert not result.success and len(world.subscribed()) == 12
    assert "resources.project_config.config.config_dir is set by the deployment" in _failure(result)


@pytest.mark.parametrize(
    ("field", "value"),
    [("api_host", "http://127.0.0.1:9"), ("api_key", "another-accounts-key"), ("api_key", {"env": "OTHER"})],
)
def test_a_launchpad_override_of_a_connection_is_refused(
    world: ExportWorld,
    leaving: Path,
    state: StateResource,
    field: str,
    value: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTHER", "another-accounts-key")  # the variable of an admins-only connection
    # A launchpad override gives the resource's whole config: the real values, one of them changed.
    given: dict[str, object] = {"api_host": world.emulator.base_url, "api_key": world.emulator.api_key}
    override = {"resources": {resource_key("test"): {"config": {**given, field: value}}}}

    result = _run(world, leaving, state, {**override, **_op_config({"approve_removals": LEAVERS})})

    assert not result.success and len(world.subscribed()) == 12
    description = _failure(result)
    assert f"resources.{resource_key('test')}.config.{field} is set by the deployment" in description
    assert "another-accounts-key" not in description


def test_an_override_of_the_state_backend_is_refused(world: ExportWorld, leaving: Path) -> None:
    # A run on another backend would plan against an empty ledger: it forgets who opted out.
    override = {
        "resources": {"state": {"config": {"backend": "postgres", "dsn": "postgresql://x@127.0.0.1:1/y"}}}
    }

    result = _run(world, leaving, StateResource(), override)

    assert not result.success
    assert "resources.state.config.backend is set by the deployment" in _failure(result)


def test_an_override_that_keeps_the_deployments_value_is_allowed(
    world: ExportWorld, leaving: Path, state: StateResource
) -> None:
    deployed = {"api_host": world.emulator.base_url, "api_key": {"env": "K"}}
    same = {"resources": {resource_key("test"): {"config": deployed}}}
    # The test's resource holds the emulator's key itself; the deployment names K, so set K to it.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("K", world.emulator.api_key)
        result = _run(world, leaving, state, {**same, **_op_config({"approve_removals": LEAVERS})})

    assert result.success and len(world.subscribed()) == 12 - LEAVERS


def test_the_launchpads_default_state_config_is_the_deployments_own(
    world: ExportWorld, leaving: Path, state: StateResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The launchpad starts from the job's default config, the state's included (embedded: `dsn: ''`;
    # postgres: the DSN's variable): an operator who only adds approve_removals changes nothing fixed.
    if state.backend == "postgres":
        monkeypatch.setenv(STATE_ENV, "postgres")
        monkeypatch.setenv(DSN_ENV, state.dsn)
        shown: dict[str, object] = {"backend": "postgres", "dsn": {"env": DSN_ENV}}
    else:
        monkeypatch.delenv(STATE_ENV, raising=False)
        shown = {"backend": "embedded", "dsn": ""}
    launchpad = {"resources": {"state": {"config": shown}}, **_op_config({"approve_removals": LEAVERS})}

    result = _run(world, leaving, state, launchpad)

    assert result.success and len(world.subscribed()) == 12 - LEAVERS
