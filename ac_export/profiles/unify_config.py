"""Models of `unify.yaml`: deduplication, ordered match rules and merge policies, checked against sources."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import phonenumbers
from pydantic import Field, field_validator, model_validator

from ac_export.config.loading import NAME_PATTERN, ConfigError, StrictModel, format_location, load_model
from ac_export.profiles.match_terms import Normaliser, Similarity, check_normalisers
from ac_export.profiles.probabilistic_config import ProbabilisticConfig
from ac_export.profiles.sources_config import SourcesConfig

UNIFY_FILE = "unify.yaml"
# The name links of the probabilistic model carry in profile_sources.matched_by and in metadata.
PROBABILISTIC_RULE = "probabilistic"

Policy = Literal["source_priority", "most_recent", "least_recent", "most_filled"]
Problem = tuple[tuple[int | str, ...], str]


class Condition(StrictModel):
    """One test two records must pass: an attribute, its normalisers, and exact or fuzzy comparison."""

    attribute: str = Field(pattern=NAME_PATTERN, description="Attribute compared.")
    normalize: list[Normaliser] = Field(
        default_factory=list, description="Normalisers applied before comparing (in a fixed order)."
    )
    compare: Literal["exact", "fuzzy"] = "exact"
    similarity: Similarity | None = Field(
        default=None, description="Fuzzy measure: jaro_winkler (default) or levenshtein (1 - edits/length)."
    )
    threshold: float | None = Field(
        default=None, gt=0, le=1, description="Fuzzy: least similarity that matches."
    )

    @field_validator("normalize")
    @classmethod
    def _phone_alone(cls, value: list[Normaliser]) -> list[Normaliser]:
        return check_normalisers(value)

    @model_validator(mode="after")
    def _threshold_for_fuzzy(self) -> Condition:
        if self.compare == "fuzzy" and self.threshold is None:
            raise ValueError("a fuzzy condition needs a threshold between 0 and 1, e.g. threshold: 0.9")
        if self.compare == "exact" and (self.threshold is not None or self.similarity is not None):
            raise ValueError(
                "threshold and similarity apply to fuzzy conditions; set compare: fuzzy or remove them"
            )
        return self


class Rule(StrictModel):
    """Records match when every condition holds (AND); a rule blocks on its exact conditions."""

    name: str = Field(
        pattern=NAME_PATTERN, description="Identifies the rule in metadata and in profile_sources."
    )
    sources: list[str] | None = Field(
        default=None,
        description="Profile sources the rule applies to; all that map its attributes by default.",
    )
    conditions: list[Condition] = Field(min_length=1)

    @model_validator(mode="after")
    def _blocks_on_an_exact_condition(self) -> Rule:
        if not self.exact_conditions():
            raise ValueError(
                "a rule needs at least one exact condition: records are compared only within groups "
                "sharing its exact values (blocking), which keeps matching set-based on millions of rows"
            )
        return self

    def exact_conditions(self) -> list[Condition]:
        """The conditions that define the rule's blocks."""
        return [c for c in self.conditions if c.compare == "exact"]

    def fuzzy_conditions(self) -> list[Condition]:
        """The conditions compared pair by pair within a block."""
        return [c for c in self.conditions if c.compare == "fuzzy"]


class MergeGroup(StrictModel):
    """Attributes taken together from one record, e.g. an address is never mixed from two records."""

    attributes: list[str] = Field(min_length=2)
    policy: Policy = "source_priority"


class MergeConfig(StrictModel):
    """How a profile's attributes are chosen among its records."""

    default_policy: Policy = "source_priority"
    recency: list[str] = Field(
        default_factory=lambda: ["updated_at", "created_at"],
        min_length=1,
        description="Date/timestamp attributes (first non-empty wins) that order records by recency.",
    )
    attributes: dict[str, Policy] = Field(default_factory=dict, description="Policy per attribute.")
    groups: dict[str, MergeGroup] = Field(
        default_factory=dict, description="Attribute groups merged together."
    )

    @model_validator(mode="after")
    def _each_attribute_once(self) -> MergeConfig:
        owner: dict[str, str] = {}
        for group_name, group in self.groups.items():
            for attribute in group.attributes:
                if attribute in owner:
                    raise ValueError(
                        f"attribute {attribute!r} is in groups {owner[attribute]!r} and {group_name!r}; "
                        "put it in one group"
                    )
                owner[attribute] = group_name
        both = sorted(set(owner) & set(self.attributes))
        if both:
            raise ValueError(
                f"{both} have a policy under 'attributes' and belong to a group; a group's policy "
                "decides for all its attributes, so remove them from 'attributes'"
            )
        return self

    def policy_for(self, attribute: str) -> Policy:
        """The policy that decides an attribute outside any group."""
        return self.attributes.get(attribute, self.default_policy)


class UnifyConfig(StrictModel):
    """All of `unify.yaml`."""

    phone_region: str = Field(
        default="US", description="Region assumed for phone numbers without a + prefix."
    )
    max_block_size: int = Field(
        default=1000,
        ge=2,
        description="Fuzzy rules skip (and report) blocks larger than this: pairs grow with its square.",
    )
    dedup: list[Rule] = Field(default_factory=list, description="Rules that link records of the same source.")
    match_rules: list[Rule] = Field(
        default_factory=list, description="Ordered rules that link records of different sources."
    )
    probabilistic: ProbabilisticConfig | None = Field(
        default=None,
        description="A Fellegi–Sunter model whose links join the rules' (after them in precedence).",
    )
    merge: MergeConfig = Field(default_factory=MergeConfig)

    @field_validator("phone_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {value!r}; use an ISO 3166 code such as 'US', 'GB' or 'DE'")
        return value

    @model_validator(mode="after")
    def _unique_rule_names(self) -> UnifyConfig:
        names = [r.name for r in self.dedup] + [r.name for r in self.match_rules]
        names += [PROBABILISTIC_RULE] if self.probabilistic is not None else []
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"rule names {repeated} are used more than once; names identify rules, make them unique"
            )
        return self

    def rules(self) -> list[tuple[Literal["dedup", "match"], Rule]]:
        """Every rule in precedence order: dedup rules, then match rules, each in file order."""
        return [("dedup", r) for r in self.dedup] + [("match", r) for r in self.match_rules]


def check_against_sources(config: UnifyConfig, sources: SourcesConfig) -> list[Problem]:
    """Every inconsistency between unify.yaml and sources.yaml, each with its field location."""
    problems: list[Problem] = []
    for kind, rules in (("dedup", config.dedup), ("match_rules", config.match_rules)):
        for index, rule in enumerate(rules):
            problems += _check_rule((kind, index), rule, sources, needed=2 if kind == "match_rules" else 1)
    if config.probabilistic is not None:
        problems += _check_model(config.probabilistic, sources)
    problems += _check_merge(config.merge, sources)
    return problems


def _check_model(model: ProbabilisticConfig, sources: SourcesConfig) -> list[Problem]:
    known = sources.profile_attributes()
    named: list[tuple[tuple[int | str, ...], str, bool]] = []
    for index, rule in enumerate(model.blocking):
        named += [
            (("probabilistic", "blocking", index, "keys", i), k.attribute, bool(k.normalize))
            for i, k in enumerate(rule.keys)
        ]
    named += [
        (("probabilistic", "comparisons", i), c.attribute, bool(c.normalize))
        for i, c in enumerate(model.comparisons)
    ]
    problems: list[Problem] = []
    for loc, attribute, normalised in named:
        kind = known.get(attribute)
        if kind is None:
            problems.append((loc, f"unknown attribute {attribute!r}; mapped attributes: {sorted(known)}"))
        elif normalised and kind != "string":
            problems.append((loc, f"{attribute!r} is a {kind}; normalisers need strings"))
    if model.pairs == "across_sources" and len(sources.profile_sources) < 2:
        problems.append(
            (("probabilistic", "pairs"), "across_sources needs two profile sources; use all or within_source")
        )
    return problems


def _check_rule(loc: tuple[int | str, ...], rule: Rule, sources: SourcesConfig, needed: int) -> list[Problem]:
    problems: list[Problem] = []
    known = sources.profile_attributes()
    for index, name in enumerate(rule.sources or []):
        if name not in sources.profile_sources:
            problems.append(
                (
                    (*loc, "sources", index),
                    f"unknown profile source {name!r}; known: {sorted(sources.profile_sources)}",
                )
            )
    for index, condition in enumerate(rule.conditions):
        where = (*loc, "conditions", index)
        kind = known.get(condition.attribute)
        if kind is None:
            problems.append(
                (
                    (*where, "attribute"),
                    f"unknown attribute {condition.attribute!r}; mapped attributes: {sorted(known)}",
                )
            )
            continue
        if kind != "string" and (condition.normalize or condition.compare == "fuzzy"):
            problems.append(
                (
                    where,
                    f"{condition.attribute!r} is a {kind}; normalisers and fuzzy comparison need strings",
                )
            )
        for name in rule.sources or []:
            source = sources.profile_sources.get(name)
            if source is not None and condition.attribute not in source.attributes():
                problems.append(((*loc, "sources"), f"source {name!r} does not map {condition.attribute!r}"))
    if not problems and len(rule_sources(rule, sources)) < needed:
        what = "two profile sources" if needed == 2 else "one profile source"
        problems.append(
            (
                loc,
                f"no {what} map all of {sorted({c.attribute for c in rule.conditions})}: it can never match",
            )
        )
    return problems


def rule_sources(rule: Rule, sources: SourcesConfig) -> list[str]:
    """The profile sources whose records a rule compares: listed ones, or all mapping its attributes."""
    names = rule.sources or list(sources.profile_sources)
    needed = {c.attribute for c in rule.conditions}
    return [n for n in names if needed <= set(sources.profile_sources[n].attributes())]


def _check_merge(merge: MergeConfig, sources: SourcesConfig) -> list[Problem]:
    problems: list[Problem] = []
    known = sources.profile_attributes()
    named: list[tuple[tuple[str | int, ...], str]] = [
        (("merge", "attributes", a), a) for a in merge.attributes
    ]
    for group_name, group in merge.groups.items():
        named += [
            (("merge", "groups", group_name, "attributes", i), a) for i, a in enumerate(group.attributes)
        ]
    for loc, attribute in named:
        if attribute not in known:
            problems.append((loc, f"unknown attribute {attribute!r}; mapped attributes: {sorted(known)}"))
    for index, attribute in enumerate(merge.recency):
        kind = known.get(attribute)
        if kind is not None and kind not in ("date", "timestamp"):
            problems.append(
                (
                    ("merge", "recency", index),
                    f"{attribute!r} is a {kind}; recency needs date or timestamp attributes",
                )
            )
    policies = {merge.default_policy, *merge.attributes.values(), *(g.policy for g in merge.groups.values())}
    if policies & {"most_recent", "least_recent"} and not any(a in known for a in merge.recency):
        problems.append(
            (
                ("merge", "recency"),
                f"most_recent/least_recent need a mapped date or timestamp among {merge.recency}; "
                "map one (e.g. created_at) or change the policy",
            )
        )
    return problems


def load_unify_config(config_dir: Path, sources: SourcesConfig) -> UnifyConfig:
    """Load `unify.yaml` and check it against the sources; one ConfigError lists every problem."""
    path = config_dir / UNIFY_FILE
    config = load_model(path, UnifyConfig)
    problems = check_against_sources(config, sources)
    if problems:
        lines = [f"{path}: {len(problems)} problem(s):"]
        lines += [f"  - {format_location(loc)}: {message}" for loc, message in problems]
        raise ConfigError("\n".join(lines))
    return config
