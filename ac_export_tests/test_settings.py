"""Settings are read once, at the edges (`Settings.from_environment`); the engine never reads them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ac_export.settings import DEFAULT_LEDGER_CACHE_DIR, DEFAULT_PACING_DIR, PROJECT_ROOT, Settings
from ac_export.state.backend import StateBackend, StateConfigError

PACKAGE = Path(__file__).resolve().parents[1] / "ac_export"
# The engine and its state: they are handed settings, never read them.
ENGINE = ("activecampaign", "state", "segments", "profiles")
READERS = {"environ", "getenv", "environb", "getenvb"}


def _reads(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in READERS and isinstance(node.value, ast.Name) and node.value.id == "os"
    if isinstance(node, ast.ImportFrom):
        return node.module == "os" and any(alias.name in READERS for alias in node.names)
    return False


def environment_reads(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """`file:line` of each `os.environ`/`os.getenv` (or `from os import environ`) in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = sorted({node.lineno for node in ast.walk(tree) if _reads(node)})  # type: ignore[attr-defined]
    return [f"{path.relative_to(root)}:{line}" for line in lines]


def test_no_engine_module_reads_the_environment() -> None:
    modules = [path for area in ENGINE for path in sorted((PACKAGE / area).rglob("*.py"))]
    reads = [hit for path in modules for hit in environment_reads(path)]
    assert len(modules) > 50  # the scan sees the engine, not an empty folder
    assert reads == [], "read it at the edge (ac_export.settings.Settings) and pass it in: " + ", ".join(
        reads
    )


def test_the_scan_finds_each_way_of_reading_the_environment(tmp_path: Path) -> None:
    module = tmp_path / "ac_export" / "state" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text("import os\nfrom os import getenv\na = os.environ.get('X')\nb = os.getenv('Y')\n")
    assert environment_reads(module, tmp_path) == [f"ac_export/state/probe.py:{line}" for line in (2, 3, 4)]


def test_defaults_without_any_variable() -> None:
    settings = Settings.from_environment({})
    assert settings.config_dir == PROJECT_ROOT / "data" / "config"
    assert settings.warehouse_location == str(PROJECT_ROOT / "data" / "warehouse")
    assert settings.pacing_dir == DEFAULT_PACING_DIR
    assert settings.ledger_cache_dir == DEFAULT_LEDGER_CACHE_DIR
    assert StateBackend.from_settings(settings) == StateBackend(
        "embedded", None, DEFAULT_PACING_DIR, DEFAULT_LEDGER_CACHE_DIR
    )


def test_every_variable_is_read_once_into_the_settings(tmp_path: Path) -> None:
    env = {
        "AC_EXPORT_CONFIG_DIR": str(tmp_path / "config"),
        "AC_EXPORT_WAREHOUSE": "s3://bucket/prefix",
        "AC_EXPORT_WAREHOUSE_CACHE": str(tmp_path / "cache"),
        "AC_EXPORT_PACING_DIR": str(tmp_path / "pacing"),
        "AC_EXPORT_LEDGER_CACHE_DIR": str(tmp_path / "ledger-cache"),
        "AC_EXPORT_STATE": " Postgres ",
        "AC_EXPORT_STATE_DSN": "postgresql://ac:s3cret@db.internal/state",
    }
    settings = Settings.from_environment(env)
    assert settings.data_dir == tmp_path
    assert settings.warehouse_location == "s3://bucket/prefix"
    assert settings.warehouse_cache == tmp_path / "cache"
    backend = StateBackend.from_settings(settings)
    assert (backend.kind, backend.dsn, backend.pacing_dir, backend.ledger_cache_dir) == (
        "postgres",
        env["AC_EXPORT_STATE_DSN"],
        tmp_path / "pacing",
        tmp_path / "ledger-cache",
    )
    # The DSN holds a password: neither the settings nor the backend show it.
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings) and "s3cret" not in repr(backend)


def test_a_wrong_state_setting_names_the_variable_and_the_fix() -> None:
    with pytest.raises(StateConfigError, match="AC_EXPORT_STATE_DSN"):
        StateBackend.from_settings(Settings.from_environment({"AC_EXPORT_STATE": "postgres"}))
    with pytest.raises(StateConfigError, match="use embedded or postgres"):
        StateBackend.from_settings(Settings.from_environment({"AC_EXPORT_STATE": "redis"}))
