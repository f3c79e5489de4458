"""Dagster resources shared by every area: where the warehouse and the configuration live."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from ac_export import settings
from ac_export.settings import DSN_ENV, Settings
from ac_export.state.backend import StateBackend, StateConfigError
from ac_export.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse every asset reads and writes: a folder of Parquet tables and ledgers, or an s3:// URL.

    Example: `WarehouseResource(root="/tmp/wh")` in tests; the default follows `AC_EXPORT_WAREHOUSE`.
    """

    root: str = Field(
        default_factory=settings.warehouse_location,
        description="Folder or s3:// URL of the warehouse; default AC_EXPORT_WAREHOUSE or data/warehouse.",
    )

    def get(self) -> Warehouse:
        """The warehouse at this resource's root."""
        return Warehouse(self.root)


class ProjectConfigResource(dg.ConfigurableResource):
    """Where the YAML configuration lives; read at run time so config edits apply to the next run."""

    config_dir: str = Field(
        default_factory=lambda: str(settings.config_dir()),
        description="Folder of YAML configuration; defaults to AC_EXPORT_CONFIG_DIR or data/config.",
    )

    @property
    def path(self) -> Path:
        """The configuration folder as a path."""
        return Path(self.config_dir)

    @property
    def data_path(self) -> Path:
        """The folder that relative source paths resolve against (the config folder's parent)."""
        return Path(self.config_dir).resolve().parent


class StateResource(dg.ConfigurableResource):
    """Where ledgers, in-flight queues and the account pacer live: `embedded` or `postgres`.

    Example: `StateResource(backend="postgres", dsn=dg.EnvVar("AC_EXPORT_STATE_DSN"))`; the DSN holds
    a password, so it is always an `EnvVar` and the UI shows only the variable's name.
    """

    backend: str = Field(
        default="embedded",
        description="embedded (DuckDB ledger files and a file-locked pacer, one machine) or postgres.",
    )
    dsn: str = Field(default="", description="The PostgreSQL DSN for postgres; pass dg.EnvVar(...).")
    pacing_dir: str = Field(
        default_factory=lambda: str(settings.current().pacing_dir),
        description="Folder of the embedded pacer's files; default AC_EXPORT_PACING_DIR or the temp dir.",
    )
    ledger_cache_dir: str = Field(
        default_factory=lambda: str(settings.current().ledger_cache_dir),
        description="Folder of this machine's caches of PostgreSQL ledgers; default "
        "AC_EXPORT_LEDGER_CACHE_DIR or the temp dir.",
    )

    def get(self) -> StateBackend:
        """The state backend (dg.Failure naming the fix when the setting is wrong)."""
        try:
            return StateBackend(
                self.backend,  # type: ignore[arg-type]
                self.dsn or None,
                Path(self.pacing_dir),
                Path(self.ledger_cache_dir),
            )
        except StateConfigError as exc:
            raise dg.Failure(description=str(exc)) from None


def state_resource(deployed: Settings) -> StateResource:
    """The state resource the settings name; for postgres, its DSN is read from AC_EXPORT_STATE_DSN."""
    folders = {"pacing_dir": str(deployed.pacing_dir), "ledger_cache_dir": str(deployed.ledger_cache_dir)}
    if deployed.state == "postgres":
        return StateResource(backend="postgres", dsn=dg.EnvVar(DSN_ENV), **folders)
    return StateResource(backend=deployed.state, **folders)
