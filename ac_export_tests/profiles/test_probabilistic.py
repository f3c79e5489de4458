"""The probabilistic model on the FEBRL files: F1 goal, explained links, model table, stable ids, config."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import polars as pl
import pytest

from ac_export.config.loading import ConfigError
from ac_export.contracts import MATCH_MODEL_TABLE, PROFILE_LINKS_TABLE, PROFILE_SOURCES_TABLE
from ac_export.profiles.pipeline import build_profiles
from ac_export.profiles.quality import pairwise_quality, read_truth_file
from ac_export.profiles.sources_config import load_sources_config
from ac_export.profiles.unify import unify
from ac_export.profiles.unify_config import load_unify_config
from ac_export.warehouse import Warehouse

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "febrl"


@pytest.fixture(scope="module")
def febrl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two FEBRL examples with their configs, data written by the example's own script."""
    out = tmp_path_factory.mktemp("febrl")
    spec = importlib.util.spec_from_file_location("febrl_write_data", EXAMPLES / "write_data.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.write(out)
    for name in ("febrl3", "febrl4"):
        shutil.copytree(EXAMPLES / name / "config", out / name / "config")
    return out


@pytest.fixture(scope="module")
def built(febrl: Path) -> dict[str, Warehouse]:
    """Each example unified once into its own warehouse, as the pipeline does."""
    warehouses = {}
    for name in ("febrl3", "febrl4"):
        example, warehouse = febrl / name, Warehouse(febrl / name / "warehouse")
        sources = load_sources_config(example / "config")
        build_profiles(warehouse, sources, load_unify_config(example / "config", sources), example)
        warehouses[name] = warehouse
    return warehouses


@pytest.mark.parametrize("name", ["febrl3", "febrl4"])
def test_the_shipped_febrl_examples_reach_f1_0_995(
    febrl: Path, built: dict[str, Warehouse], name: str
) -> None:
    truth = read_truth_file(febrl / name / "truth.csv", load_sources_config(febrl / name / "config"))
    assert pairwise_quality(built[name].read_frame(PROFILE_SOURCES_TABLE), truth).f1 >= 0.995


def test_every_link_is_explained_by_its_levels_and_weights(built: dict[str, Warehouse]) -> None:
    warehouse = built["febrl4"]
    links = warehouse.read_frame(PROFILE_LINKS_TABLE)
    model = warehouse.read_frame(MATCH_MODEL_TABLE)
    profiles = warehouse.read_frame(PROFILE_SOURCES_TABLE)
    assert links.height > 4900
    # Both records of a link belong to the link's customer, and matched_by names the model.
    for side in ("a", "b"):
        joined = links.join(
            profiles.rename({"customer_id": f"customer_{side}"}),
            left_on=[f"source_{side}", f"source_key_{side}"],
            right_on=["source", "source_key"],
        )
        assert joined.height == links.height
        assert (joined["customer_id"] == joined[f"customer_{side}"]).all()
    assert set(profiles["matched_by"].drop_nulls()) == {"probabilistic"}
    # The match weight is the prior plus the weight of each comparison's level.
    prior = model.filter(pl.col("comparison") == "prior")["match_weight"][0]
    weights = [c for c in links.columns if c.endswith("_weight") and c != "match_weight"]
    total = links.select(pl.sum_horizontal(weights) + prior)[:, 0]
    assert ((total - links["match_weight"]).abs() < 1e-6).all()
    assert (links["match_probability"] >= 0.95).all()
    # Each level's weight is log2(m/u) in the model table.
    levels = model.filter(pl.col("level") > 0)
    assert (
        (levels["match_weight"] - (levels["m_probability"] / levels["u_probability"]).log(2)).abs() < 1e-9
    ).all()
    assert set(links["soc_sec_id_level"].unique()) <= {"null", "exact", "levenshtein>=0.7", "else"}


def test_a_second_run_keeps_every_customer_id(febrl: Path, built: dict[str, Warehouse]) -> None:
    example, warehouse = febrl / "febrl3", built["febrl3"]
    first = warehouse.read_frame(PROFILE_SOURCES_TABLE).sort("source", "source_key")
    sources = load_sources_config(example / "config")
    report = unify(warehouse, sources, load_unify_config(example / "config", sources))
    assert report.ids.new == 0 and report.ids.retired == 0
    assert warehouse.read_frame(PROFILE_SOURCES_TABLE).sort("source", "source_key").equals(first)


def _config_error(tmp_path: Path, febrl: Path, model: str) -> str:
    config = tmp_path / "config"
    shutil.copytree(febrl / "febrl3" / "config", config)
    (config / "unify.yaml").write_text(model)
    with pytest.raises(ConfigError) as caught:
        load_unify_config(config, load_sources_config(config))
    return str(caught.value)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            "probabilistic:\n  blocking: [{name: b, keys: [surnme]}]\n"
            "  comparisons: [{attribute: last_name, levels: [exact]}]\n",
            "probabilistic.blocking[0].keys[0]: unknown attribute 'surnme'",
        ),
        (
            "probabilistic:\n  blocking: [{name: b, keys: [last_name]}]\n"
            "  comparisons: [{attribute: last_name, levels: [exact, {compare: fuzzy}]}]\n",
            "a fuzzy level needs a threshold",
        ),
        (
            "probabilistic:\n  pairs: across_sources\n  blocking: [{name: b, keys: [last_name]}]\n"
            "  comparisons: [{attribute: last_name, levels: [exact]}]\n",
            "across_sources needs two profile sources",
        ),
        (
            "probabilistic:\n  blocking: [{name: b, keys: [last_name]}]\n"
            "  comparisons: [{attribute: last_name, levels: [exact]},\n"
            "                {attribute: last_name, levels: [exact]}]\n",
            "two comparisons have one name",
        ),
    ],
)
def test_model_mistakes_name_the_field(tmp_path: Path, febrl: Path, model: str, message: str) -> None:
    assert message in _config_error(tmp_path, febrl, model)
