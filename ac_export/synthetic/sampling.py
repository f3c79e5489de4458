"""Seeded, vectorised sampling helpers shared by the generator's parts."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import polars as pl

US_DATE = "%-m/%-d/%Y"  # 5/8/1986, as in Contact.txt and the online purchases
ISO_DATE = "%Y-%m-%d"  # 2018-05-08, as in Customer-Loyalty.txt and POSPurchases.txt
EPOCH = date(1970, 1, 1)


def stream(seed: int, component: str) -> np.random.Generator:
    """A random stream of its own per component, so changing one part never shifts the others' draws."""
    return np.random.default_rng([seed, zlib.crc32(component.encode())])


def choose(
    rng: np.random.Generator,
    values: Sequence[str],
    size: int,
    weights: Sequence[float] | np.ndarray | None = None,
) -> pl.Series:
    """`size` values drawn from a vocabulary, uniformly or with (unnormalised) weights."""
    return pl.Series(values, dtype=pl.String).gather(pick_indices(rng, len(values), size, weights))


def pick_indices(
    rng: np.random.Generator, count: int, size: int, weights: Sequence[float] | np.ndarray | None = None
) -> np.ndarray:
    """`size` indices into a list of `count` items, uniformly or with (unnormalised) weights."""
    if weights is None:
        return rng.integers(0, count, size=size)
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(count, size=size, p=p / p.sum())


def zipf_weights(count: int, offset: float = 5.0) -> np.ndarray:
    """Weights falling with rank like real name frequencies: the first items are the common ones."""
    return 1.0 / (np.arange(count) + offset)


def flags(rng: np.random.Generator, rate: float, size: int) -> np.ndarray:
    """A boolean mask that is true for about `rate` of `size` rows."""
    return rng.random(size) < rate


def counts(rng: np.random.Generator, mean: float, size: int) -> np.ndarray:
    """Events per row from a gamma-Poisson (negative binomial, shape 2): many light, a few heavy customers."""
    if mean <= 0:
        return np.zeros(size, dtype=np.int64)
    shape = 2.0
    return rng.negative_binomial(shape, shape / (shape + mean), size=size)


def day_number(day: date) -> int:
    """Days since 1970-01-01, the integer form the generator keeps dates in."""
    return (day - EPOCH).days


def uniform_days(rng: np.random.Generator, first: date, last: date, size: int) -> np.ndarray:
    """`size` day numbers drawn uniformly between two dates, both included."""
    return rng.integers(day_number(first), day_number(last) + 1, size=size, dtype=np.int32)


def format_days(days: pl.Series, pattern: str) -> pl.Series:
    """Day numbers (nulls allowed) as text; each distinct day is formatted once, then looked up."""
    low, high = days.min(), days.max()
    if low is None or high is None:
        return pl.Series(days.name, [None] * len(days), dtype=pl.String)
    # Day numbers are integers, whatever polars' union of possible min/max types says.
    low, high = int(low), int(high)  # type: ignore[arg-type]
    first = EPOCH + timedelta(days=low)
    last = EPOCH + timedelta(days=high)
    labels = pl.date_range(first, last, interval="1d", eager=True).dt.strftime(pattern)
    return labels.gather(days.cast(pl.Int64) - low).alias(days.name)


def numbered(prefix: str, first: int, size: int) -> pl.Series:
    """Sequential identifiers `prefix` + number, like Contoso's CNTID_1000, CNTID_1001, ..."""
    return prefix + pl.Series(np.arange(first, first + size, dtype=np.int64)).cast(pl.String)


def patch(frame: pl.DataFrame, mask: np.ndarray, **changes: pl.Expr) -> pl.DataFrame:
    """`frame` with the expressions applied to the masked rows only, computed on those rows alone."""
    # Noise touches few rows; a when/then over the whole frame would evaluate every branch for every row.
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        return frame
    changed = frame[rows].select(**changes)
    return frame.with_columns(
        frame[name].scatter(rows, changed[name].cast(frame[name].dtype)) for name in changes
    )
