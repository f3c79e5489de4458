"""The generator's ground truth as the table unification quality is measured against:
(source, source_key, entity_id), one row per profile-source record.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ac_export.profiles.sources_config import SourcesConfig, load_sources_config
from ac_export.synthetic.generate import CONFIG_DIR, TRUTH_FILE
from ac_export.synthetic.records import KEY_COLUMNS

TRUTH_SCHEMA = {"file": pl.String, "key": pl.String, "person_id": pl.Int64}


class TruthMismatchError(ValueError):
    """The sources configuration does not read the generated files the way truth.csv keys them."""


def read_truth(path: Path) -> pl.DataFrame:
    """truth.csv as written by `ac-export generate`: file, key, person_id."""
    return pl.read_csv(path, schema=TRUTH_SCHEMA)


def truth_table(truth: pl.DataFrame, sources: SourcesConfig) -> pl.DataFrame:
    """Map truth rows onto configured profile sources: columns source, source_key, entity_id.

    Records of files that no profile source reads are left out: they cannot be in any profile.
    """
    names = source_names_by_file(sources)
    mapping = pl.DataFrame(
        {"file": list(names), "source": list(names.values())}, schema={"file": pl.String, "source": pl.String}
    )
    return truth.join(mapping, on="file", how="inner").select(
        "source", source_key="key", entity_id="person_id"
    )


def source_names_by_file(sources: SourcesConfig) -> dict[str, str]:
    """Generated file name -> the profile source reading it; checks that it keys records the same way."""
    names: dict[str, str] = {}
    for name, source in sources.profile_sources.items():
        file = Path(source.path).name
        expected = KEY_COLUMNS.get(file)
        if expected is None:
            continue
        if file in names:
            raise TruthMismatchError(
                f"profile sources {names[file]!r} and {name!r} both read {file}; "
                "truth.csv cannot tell them apart"
            )
        if source.primary_key != expected:
            raise TruthMismatchError(
                f"profile source {name!r} reads {file} with primary_key {source.primary_key!r}, but the "
                f"ground truth keys that file by {expected!r}; set primary_key: {expected}"
            )
        names[file] = name
    if not names:
        raise TruthMismatchError(
            f"no profile source reads a generated file ({', '.join(KEY_COLUMNS)}); "
            "check the paths in sources.yaml"
        )
    return names


def load_truth_table(data_dir: Path) -> pl.DataFrame:
    """The truth table of a generated data folder, mapped through that folder's own sources.yaml."""
    return truth_table(read_truth(data_dir / TRUTH_FILE), load_sources_config(data_dir / CONFIG_DIR))
