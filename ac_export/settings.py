"""The deployment's settings, read from the environment once, at the edges (CLI, Dagster definitions, demo).

The engine and `state/` never read the environment: they are handed a `Settings` (or what is built
from it, e.g. `StateBackend.from_settings`) by whoever started them. A fast test keeps it so.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR_ENV = "AC_EXPORT_CONFIG_DIR"
WAREHOUSE_ENV = "AC_EXPORT_WAREHOUSE"
WAREHOUSE_CACHE_ENV = "AC_EXPORT_WAREHOUSE_CACHE"
PACING_DIR_ENV = "AC_EXPORT_PACING_DIR"
STATE_ENV = "AC_EXPORT_STATE"
DSN_ENV = "AC_EXPORT_STATE_DSN"
LEDGER_CACHE_DIR_ENV = "AC_EXPORT_LEDGER_CACHE_DIR"
DEFAULT_PACING_DIR = Path(tempfile.gettempdir()) / "ac_export-pacing"
DEFAULT_LEDGER_CACHE_DIR = Path(tempfile.gettempdir()) / "ac_export-ledger-cache"


class Settings(BaseModel):
    """Where configuration, warehouse, caches and shared state live, and how to reach the state database."""

    model_config = ConfigDict(frozen=True)

    config_dir: Path = PROJECT_ROOT / "data" / "config"
    # A folder or an object-storage URL (s3://bucket/prefix); None means beside the config folder.
    warehouse: str | None = None
    warehouse_cache: Path = Path(tempfile.gettempdir()) / "ac_export-warehouse-cache"
    pacing_dir: Path = DEFAULT_PACING_DIR
    state: str = "embedded"
    state_dsn: SecretStr | None = None  # a password may be in it: never shown
    # This machine's caches of PostgreSQL ledgers (only a cache: any folder, lost at no cost).
    ledger_cache_dir: Path = DEFAULT_LEDGER_CACHE_DIR

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the AC_EXPORT_* variables name (the only reader of them), defaults for the rest."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get(CONFIG_DIR_ENV):
            values["config_dir"] = Path(env[CONFIG_DIR_ENV]).resolve()
        if env.get(WAREHOUSE_ENV):
            values["warehouse"] = env[WAREHOUSE_ENV]
        if env.get(WAREHOUSE_CACHE_ENV):
            values["warehouse_cache"] = Path(env[WAREHOUSE_CACHE_ENV])
        if env.get(PACING_DIR_ENV):
            values["pacing_dir"] = Path(env[PACING_DIR_ENV])
        if env.get(LEDGER_CACHE_DIR_ENV):
            values["ledger_cache_dir"] = Path(env[LEDGER_CACHE_DIR_ENV])
        values["state"] = (env.get(STATE_ENV) or "embedded").strip().lower() or "embedded"
        if values["state"] == "postgres" and env.get(DSN_ENV):
            values["state_dsn"] = SecretStr(env[DSN_ENV])
        return cls.model_validate(values)

    @property
    def data_dir(self) -> Path:
        """The folder that relative source paths resolve against: the parent of the config folder."""
        return self.config_dir.parent

    @property
    def warehouse_dir(self) -> Path:
        """The warehouse folder (AC_EXPORT_WAREHOUSE, default data/warehouse beside the config)."""
        if self.warehouse and "://" not in self.warehouse:
            return Path(self.warehouse).resolve()
        return self.data_dir / "warehouse"

    @property
    def warehouse_location(self) -> str:
        """The warehouse as configured: a folder (resolved) or an object-storage URL such as s3://bucket/prefix."""
        if self.warehouse and "://" in self.warehouse:
            return self.warehouse
        return str(self.warehouse_dir)


def current() -> Settings:
    """The settings of this process's environment: for the edges only (CLI, definitions, demo)."""
    return Settings.from_environment()


def config_dir() -> Path:
    """The folder of YAML configuration files (`AC_EXPORT_CONFIG_DIR`, default `data/config`)."""
    return current().config_dir


def data_dir() -> Path:
    """The folder that relative source paths resolve against: the parent of the config folder."""
    return current().data_dir


def warehouse_dir() -> Path:
    """The folder of Parquet tables and ledgers (`AC_EXPORT_WAREHOUSE`, default `data/warehouse`)."""
    return current().warehouse_dir


def warehouse_location() -> str:
    """The warehouse as configured: a folder (resolved) or an object-storage URL such as s3://bucket/prefix."""
    return current().warehouse_location
