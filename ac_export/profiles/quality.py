"""Matching quality against a known truth: pairwise precision, recall and F1 of record links.

Two records are linked when they share a profile (predicted) or an entity (truth). Precision is
the share of predicted links that are true, recall the share of true links that were found. Pairs
are counted per group (n records give n(n-1)/2 pairs), never listed, so this scales to millions.
Only records present in both tables count.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ac_export.errors import UserError
from ac_export.profiles.ingest import open_connection
from ac_export.profiles.parsing import text_sql
from ac_export.profiles.reading import MissingColumnsError, quote_literal, read_raw
from ac_export.profiles.sources_config import SourcesConfig


@dataclass(frozen=True)
class PairwiseQuality:
    """Pair counts and the scores derived from them."""

    records: int
    true_pairs: int
    found_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        """Share of found links that are true (1.0 when nothing was linked)."""
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        """Share of true links that were found (1.0 when there were none to find)."""
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def pairwise_quality(predicted: pl.DataFrame, truth: pl.DataFrame) -> PairwiseQuality:
    """Compare `predicted(source, source_key, customer_id)` with `truth(source, source_key, entity_id)`."""
    joined = predicted.select("source", "source_key", "customer_id").join(
        truth.select("source", "source_key", "entity_id"), on=["source", "source_key"], how="inner"
    )
    return PairwiseQuality(
        records=joined.height,
        true_pairs=_pairs(joined, ["entity_id"]),
        found_pairs=_pairs(joined, ["customer_id"]),
        correct_pairs=_pairs(joined, ["customer_id", "entity_id"]),
    )


def _pairs(frame: pl.DataFrame, by: list[str]) -> int:
    sizes = frame.group_by(by).len()["len"].cast(pl.Int64)
    return int((sizes * (sizes - 1) // 2).sum())


def truth_from_columns(sources: SourcesConfig, data_dir: Path, columns: dict[str, str]) -> pl.DataFrame:
    """Truth read from the source files: for each named profile source, a column holding the entity id.

    Records keep the key the warehouse gives them (the trimmed primary key); records whose truth
    column is empty are left out.
    """
    parts = []
    with open_connection() as con:
        for index, (name, column) in enumerate(columns.items()):
            source = sources.profile_sources.get(name)
            if source is None:
                raise KeyError(f"unknown profile source {name!r}; known: {sorted(sources.profile_sources)}")
            table = f"truth_{index}"
            try:
                read_raw(con, source, source.resolve_path(data_dir), [source.primary_key, column], table)
            except MissingColumnsError as exc:
                if column not in exc.missing:
                    raise
                raise TruthColumnError(name, column, exc.path, exc.present) from None
            # The first record with a key is the one the warehouse keeps (later duplicates are rejected).
            frame = con.sql(f"""
                SELECT DISTINCT ON (source_key) {quote_literal(name)} AS source, source_key, entity_id
                FROM (SELECT {text_sql(source.primary_key, source)} AS source_key,
                             {text_sql(column, source)} AS entity_id, _row FROM {table})
                WHERE source_key IS NOT NULL AND entity_id IS NOT NULL ORDER BY source_key, _row
            """).pl()
            parts.append(frame)
    return (
        pl.concat(parts)
        if parts
        else pl.DataFrame(schema={"source": pl.String, "source_key": pl.String, "entity_id": pl.String})
    )


TRUTH_COLUMNS = ("source", "source_key", "entity_id")
# The truth file of `ac-export generate`: the source file's name instead of the source's.
GENERATED_TRUTH_COLUMNS = ("file", "key", "person_id")


class TruthColumnError(UserError, ValueError):
    """A truth column is not in its source's file."""

    def __init__(self, source: str, column: str, path: Path, present: list[str]) -> None:
        close = difflib.get_close_matches(column, present, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        super().__init__(f"{path} (source {source!r}) has no column {column!r}; {hint}its columns: {present}")
        self.source, self.column = source, column


def truth_problem(quality: PairwiseQuality, truth: pl.DataFrame) -> str | None:
    """Why a truth cannot score links, or None: no shared records, or it links no two records or all."""
    if quality.records == 0:
        return (
            f"none of its {truth.height:,} records is among the unified records; check that the "
            "sources and keys are the ones unify.yaml reads"
        )
    if quality.true_pairs == 0 and quality.records > 1:
        return (
            f"every one of its {quality.records:,} records has its own entity id, so it links no two "
            "records and precision means nothing; name the column holding the real person's id, the "
            "same on all of one person's records (not the record's own key)"
        )
    if quality.records > 2 and quality.true_pairs == quality.records * (quality.records - 1) // 2:
        return (
            f"all {quality.records:,} records share one entity id, so every link is true; name the "
            "column holding each person's id"
        )
    return None


class TruthFileError(UserError, ValueError):
    """A truth file lacks the columns or names files that no profile source reads."""


def read_truth_file(path: Path, sources: SourcesConfig) -> pl.DataFrame:
    """A truth table from CSV or Parquet: (source, source_key, entity_id), or (file, key, person_id)."""
    frame = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path, infer_schema=False)
    if set(TRUTH_COLUMNS) <= set(frame.columns):
        return frame.select(pl.col(c).cast(pl.String) for c in TRUTH_COLUMNS)
    if not set(GENERATED_TRUTH_COLUMNS) <= set(frame.columns):
        raise TruthFileError(
            f"{path}: needs columns {list(TRUTH_COLUMNS)} or {list(GENERATED_TRUTH_COLUMNS)}; "
            f"it has {frame.columns}"
        )
    files = {Path(source.path).name: name for name, source in sources.profile_sources.items()}
    unknown = sorted(set(frame["file"].cast(pl.String).unique()) - set(files))
    if unknown:
        raise TruthFileError(
            f"{path}: names files no profile source reads: {unknown}; sources read {sorted(files)}"
        )
    return frame.select(
        source=pl.col("file").cast(pl.String).replace_strict(files),
        source_key=pl.col("key").cast(pl.String),
        entity_id=pl.col("person_id").cast(pl.String),
    )
