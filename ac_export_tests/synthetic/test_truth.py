"""truth.csv mapped onto configured sources, and the project's sources.yaml reading generated files."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ac_export.profiles.sources_config import SourcesConfig, load_sources_config
from ac_export.settings import PROJECT_ROOT
from ac_export.synthetic.generate import CONFIG_DIR, SOURCES_DIR
from ac_export.synthetic.truth import TruthMismatchError, load_truth_table, truth_table
from ac_export_tests.synthetic.conftest import read_small_truth, read_source

PROJECT_CONFIG = PROJECT_ROOT / "data" / "config"


def _profile(path: str, key: str) -> dict[str, Any]:
    return {"path": path, "primary_key": key, "columns": {"EMail": "email"}}


def _config(**sources: dict[str, Any]) -> SourcesConfig:
    return SourcesConfig.model_validate({"profile_sources": sources})


def test_truth_table_names_configured_sources(small_data: Path) -> None:
    truth = read_small_truth(small_data)
    config = _config(
        web=_profile("sources/Contact.txt", "ContactId"),
        club=_profile("elsewhere/Customer-Loyalty.txt", "LoyaltyId"),
    )
    table = truth_table(truth, config)
    assert table.columns == ["source", "source_key", "entity_id"]
    counts = dict(table.group_by("source").len().iter_rows())
    assert counts == {
        "web": truth.filter(pl.col("file") == "Contact.txt").height,
        "club": truth.filter(pl.col("file") == "Customer-Loyalty.txt").height,
    }
    contact = read_source(small_data, "Contact.txt")["ContactId"]
    assert sorted(table.filter(pl.col("source") == "web")["source_key"].to_list()) == sorted(
        contact.to_list()
    )


def test_a_different_primary_key_is_refused_with_the_fix(small_data: Path) -> None:
    config = _config(club=_profile("sources/Customer-Loyalty.txt", "ContactId"))
    with pytest.raises(TruthMismatchError, match="set primary_key: LoyaltyId"):
        truth_table(read_small_truth(small_data), config)


def test_config_reading_no_generated_file_is_refused(small_data: Path) -> None:
    with pytest.raises(TruthMismatchError, match="no profile source reads a generated file"):
        truth_table(read_small_truth(small_data), _config(other=_profile("people.csv", "Id")))


def test_load_truth_table_uses_the_folders_own_config(small_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(small_data, folder)
    (folder / CONFIG_DIR).mkdir(exist_ok=True)
    (folder / CONFIG_DIR / "sources.yaml").write_text(
        "profile_sources:\n"
        "  crm:\n"
        "    path: sources/CustomerRecordContoso.txt\n"
        "    primary_key: ContactId\n"
        "    columns: {EMail: email}\n"
    )
    table = load_truth_table(folder)
    assert set(table["source"]) == {"crm"}
    assert table.height == read_source(folder, "CustomerRecordContoso.txt").height


@pytest.fixture(scope="module")
def project_sources() -> SourcesConfig:
    if not (PROJECT_CONFIG / "sources.yaml").exists():
        pytest.skip("the project has no data/config/sources.yaml yet")
    return load_sources_config(PROJECT_CONFIG)


def test_project_sources_read_generated_files_unchanged(
    small_data: Path, project_sources: SourcesConfig
) -> None:
    sources = {**project_sources.profile_sources, **project_sources.activity_sources}
    for name, source in sources.items():
        path = source.resolve_path(small_data)
        assert path.parent == small_data / SOURCES_DIR, name
        header = pl.read_csv(path, n_rows=0).columns
        assert source.primary_key in header, name
        assert set(source.columns) <= set(header), (name, set(source.columns) - set(header))
        frame = read_source(small_data, path.name)
        for column, mapping in source.mappings():
            if mapping.resolved_type() == "date":
                _assert_parses(frame[column], source.date_formats)
            if mapping.resolved_type() == "timestamp":
                _assert_parses(frame[column], source.timestamp_formats)
    assert len(truth_table(read_small_truth(small_data), project_sources)) == len(
        read_small_truth(small_data)
    )


def _assert_parses(values: pl.Series, formats: list[str]) -> None:
    for value in values.drop_nulls().head(200):
        assert any(_parses(value, pattern) for pattern in formats), (values.name, value, formats)


def _parses(value: str, pattern: str) -> bool:
    try:
        datetime.strptime(value, pattern)
    except ValueError:
        return False
    return True
