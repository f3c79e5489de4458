"""A small generated data folder shared by the bench tests (generation takes well under a second)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ac_export.synthetic.generate import SOURCES_DIR, TRUTH_FILE, generate
from ac_export.synthetic.options import GenerateOptions
from ac_export.synthetic.truth import read_truth

SMALL_PEOPLE = 3000


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder generated with the default options for a few thousand people."""
    out = tmp_path_factory.mktemp("generated")
    generate(out, GenerateOptions(profiles=SMALL_PEOPLE, seed=7))
    return out


def read_source(folder: Path, name: str) -> pl.DataFrame:
    """A generated source file read as text, missing values as nulls, whitespace kept."""
    return pl.read_csv(folder / SOURCES_DIR / name, infer_schema=False)


def read_small_truth(folder: Path) -> pl.DataFrame:
    """truth.csv of a generated folder."""
    return read_truth(folder / TRUTH_FILE)
