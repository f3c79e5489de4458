"""Pairwise precision and recall, by hand-counted examples and on the Contoso data itself."""

import tempfile
from pathlib import Path

import polars as pl
import pytest

from ac_export import settings
from ac_export.profiles.pipeline import build_profiles
from ac_export.profiles.quality import pairwise_quality, truth_from_columns
from ac_export.profiles.sources_config import load_sources_config
from ac_export.profiles.unify_config import load_unify_config
from ac_export.warehouse import Warehouse
from ac_export_tests.profiles.fixtures import write_csv


def _frame(rows: list[tuple[str, str, str]], group: str) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["source", "source_key", group], orient="row")


def test_pairs_are_counted_per_group() -> None:
    # Truth: {a1, b1, c1} is one person (3 pairs), {a2, b2} another (1 pair).
    truth = _frame(
        [("a", "1", "P"), ("b", "1", "P"), ("c", "1", "P"), ("a", "2", "Q"), ("b", "2", "Q")], "entity_id"
    )
    # Found: {a1, b1} (1 right pair), {c1, a2, b2} (1 right pair: a2-b2; 2 wrong pairs).
    found = _frame(
        [("a", "1", "x"), ("b", "1", "x"), ("c", "1", "y"), ("a", "2", "y"), ("b", "2", "y")], "customer_id"
    )
    quality = pairwise_quality(found, truth)
    assert (quality.true_pairs, quality.found_pairs, quality.correct_pairs) == (4, 4, 2)
    assert quality.precision == pytest.approx(0.5) and quality.recall == pytest.approx(0.5)
    assert quality.f1 == pytest.approx(0.5)


def test_records_missing_from_either_side_do_not_count() -> None:
    truth = _frame([("a", "1", "P"), ("b", "1", "P")], "entity_id")
    found = _frame([("a", "1", "x"), ("b", "1", "x"), ("z", "9", "x")], "customer_id")
    quality = pairwise_quality(found, truth)
    assert (quality.records, quality.precision, quality.recall) == (2, 1.0, 1.0)


def test_truth_columns_are_read_from_the_source_files(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "sources.yaml").write_text(
        "profile_sources:\n  loyalty:\n    path: loyalty.csv\n    primary_key: LoyaltyId\n"
        "    columns: {Mail: email}\n"
    )
    write_csv(
        tmp_path / "loyalty.csv", ["LoyaltyId", "ContactId", "Mail"], [["L1", "C1", "a"], [" L2 ", "", "b"]]
    )
    truth = truth_from_columns(load_sources_config(config_dir), tmp_path, {"loyalty": "ContactId"})
    assert truth.rows() == [("loyalty", "L1", "C1")]


def test_contoso_links_match_the_authors_intent() -> None:
    """The README figures: the rules never read the loyalty ContactId, which is the truth here."""
    config_dir = settings.PROJECT_ROOT / "data" / "config"
    sources = load_sources_config(config_dir)
    config = load_unify_config(config_dir, sources)
    with tempfile.TemporaryDirectory() as folder:
        warehouse = Warehouse(Path(folder))
        build_profiles(warehouse, sources, config, config_dir.parent)
        links = warehouse.read_frame("profiles/profile_sources")
    truth = truth_from_columns(
        sources, config_dir.parent, {name: "ContactId" for name in sources.profile_sources}
    )
    quality = pairwise_quality(links, truth)
    assert quality.records == 15001
    assert quality.precision >= 0.99 and quality.recall >= 0.99
