"""Dagster resources shared by every area: where the warehouse and the configuration live."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from ac_export import settings
from ac_export.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse folder that every asset reads and writes (a folder of Parquet tables and ledgers).

    Example: `WarehouseResource(root="/tmp/wh")` in tests; the default follows `AC_EXPORT_WAREHOUSE`.
    """

    root: str = Field(
        default_factory=lambda: str(settings.warehouse_dir()),
        description="Folder of the warehouse; defaults to AC_EXPORT_WAREHOUSE or data/warehouse.",
    )

    def get(self) -> Warehouse:
        """The warehouse at this resource's root."""
        return Warehouse(Path(self.root))


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
