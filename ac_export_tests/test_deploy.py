"""The deployment example in deploy/: what can be checked without a container runtime."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from ac_export.settings import PROJECT_ROOT
from ac_export_tests.support.postgres import PostgresServer

DEPLOY = PROJECT_ROOT / "deploy"


def test_the_deploy_instance_config_loads_in_dagster_with_postgres_storage(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    config.pop("run_launcher")  # DockerRunLauncher needs dagster-docker, which runs in the image only
    config["storage"]["postgres"]["postgres_db"]["port"] = postgres_server.port
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    dbname = postgres_server.create_database().rpartition("/")[2]
    for name, value in {"HOST": "127.0.0.1", "DB": dbname, "USER": "postgres", "PASSWORD": "unused"}.items():
        monkeypatch.setenv(f"DAGSTER_POSTGRES_{name}", value)

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.get_runs() == []
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 2


def test_every_variable_a_run_needs_is_set_for_the_containers() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())
    launcher = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["run_launcher"]["config"]
    shared = set(compose["x-ac-export-env"])
    assert set(launcher["env_vars"]) <= shared
    for service in ("code", "webserver", "daemon"):
        assert shared <= set(compose["services"][service]["environment"]), service
    assert compose["x-ac-export-env"]["AC_EXPORT_STATE"] == "postgres"
    assert compose["x-ac-export-env"]["AC_EXPORT_WAREHOUSE"].startswith("s3://")
    # Secrets are interpolated from deploy/.env, never written in the file.
    assert compose["x-ac-export-env"]["ACTIVECAMPAIGN_API_KEY"].startswith("${")
