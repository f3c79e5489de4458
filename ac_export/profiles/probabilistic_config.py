"""Models of `unify.yaml`'s `probabilistic` section: a Fellegi–Sunter model beside the ordered rules.

Candidate pairs come from blocking rules (records sharing every key of one rule); each pair is
scored by comparisons, each with ordered levels (strongest first; a NULL level and an "else"
level are implied). The model's u probabilities are estimated on random pairs, its m
probabilities and prior by expectation maximisation on the candidate pairs, and pairs whose
match probability reaches `threshold` are linked.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ac_export.config.loading import NAME_PATTERN, StrictModel
from ac_export.profiles.match_terms import Normaliser, Similarity, check_normalisers

PairScope = Literal["all", "across_sources", "within_source"]


class BlockingKey(StrictModel):
    """One value two records must share to be compared: an attribute after its normalisers."""

    attribute: str = Field(pattern=NAME_PATTERN)
    normalize: list[Normaliser] = Field(default_factory=list)

    @field_validator("normalize")
    @classmethod
    def _normalisers(cls, value: list[Normaliser]) -> list[Normaliser]:
        return check_normalisers(value)


class BlockingRule(StrictModel):
    """Records sharing every key of a blocking rule become candidate pairs (rules are joined by OR)."""

    name: str = Field(pattern=NAME_PATTERN)
    keys: list[BlockingKey] = Field(min_length=1)

    @field_validator("keys", mode="before")
    @classmethod
    def _bare_names(cls, value: object) -> object:
        # `keys: [surname, given_name]` is short for keys with no normaliser.
        if isinstance(value, list):
            return [{"attribute": k} if isinstance(k, str) else k for k in value]
        return value


class Level(StrictModel):
    """One band of agreement: `exact`, or a fuzzy similarity at or above a threshold."""

    compare: Literal["exact", "fuzzy"] = "exact"
    similarity: Similarity = "jaro_winkler"
    threshold: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        # `exact`, `{jaro_winkler: 0.9}` and `{levenshtein: 0.8}` are the short forms.
        if value == "exact":
            return {"compare": "exact"}
        if isinstance(value, dict) and len(value) == 1:
            ((key, threshold),) = value.items()
            if key in ("jaro_winkler", "levenshtein"):
                return {"compare": "fuzzy", "similarity": key, "threshold": threshold}
        return value

    @model_validator(mode="after")
    def _threshold_for_fuzzy(self) -> Level:
        if self.compare == "fuzzy" and self.threshold is None:
            raise ValueError("a fuzzy level needs a threshold between 0 and 1, e.g. {jaro_winkler: 0.9}")
        if self.compare == "exact" and self.threshold is not None:
            raise ValueError("threshold applies to fuzzy levels; write {jaro_winkler: 0.9} or exact")
        return self

    def label(self) -> str:
        """The level's name in the explanation table, e.g. `exact` or `jaro_winkler>=0.9`."""
        return "exact" if self.compare == "exact" else f"{self.similarity}>={self.threshold:g}"


class Comparison(StrictModel):
    """How one attribute of two records is compared: its normalisers and levels, strongest first."""

    attribute: str = Field(pattern=NAME_PATTERN)
    name: str | None = Field(
        default=None,
        pattern=NAME_PATTERN,
        description="Names the comparison's columns in profile_links; the attribute by default.",
    )
    normalize: list[Normaliser] = Field(default_factory=list)
    levels: list[Level] = Field(
        min_length=1, description="Strongest first; a NULL level and an 'else' level are implied."
    )

    @field_validator("normalize")
    @classmethod
    def _normalisers(cls, value: list[Normaliser]) -> list[Normaliser]:
        return check_normalisers(value)

    def column(self) -> str:
        """The comparison's name: its own, or its attribute's."""
        return self.name or self.attribute

    def labels(self) -> list[str]:
        """Level names by level number: 0 NULL, 1..n as listed, n+1 else."""
        return ["null", *(level.label() for level in self.levels), "else"]


class ProbabilisticConfig(StrictModel):
    """The Fellegi–Sunter model: blocking, comparisons, estimation settings and the link threshold."""

    pairs: PairScope = Field(
        default="all",
        description="Which candidate pairs are compared: all, across_sources (link) or within_source.",
    )
    blocking: list[BlockingRule] = Field(min_length=1)
    comparisons: list[Comparison] = Field(min_length=1)
    threshold: float = Field(
        default=0.95, gt=0, lt=1, description="Least match probability that links two records."
    )
    prior: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description=(
            "Chance that two records drawn at random match; estimated when not given (the matches EM "
            "finds among candidate pairs, over all pairs)."
        ),
    )
    u_sample_pairs: int = Field(
        default=2_000_000,
        ge=10_000,
        description="Random record pairs that estimate the u probabilities (pairs among sampled records).",
    )
    max_iterations: int = Field(default=100, ge=1, description="Most EM iterations.")
    seed: int = Field(default=42, ge=0, description="Seed of the random sample: runs are repeatable.")

    @model_validator(mode="after")
    def _unique_names(self) -> ProbabilisticConfig:
        names = [b.name for b in self.blocking]
        columns = [c.column() for c in self.comparisons]
        if len(set(names)) != len(names):
            raise ValueError("blocking rule names repeat; make them unique")
        if len(set(columns)) != len(columns):
            raise ValueError(
                "two comparisons have one name; give the second a `name:` (it names its columns)"
            )
        return self
