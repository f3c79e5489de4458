"""Models of `measures.yaml` and `segments.yaml`, checked against the attribute catalogue at load time.

Pydantic checks the shape of each file; `load_segments_config` then checks what needs the
catalogue (profile attributes from `sources.yaml`, activity columns, measures): unknown names,
operators on the wrong type, values of the wrong type, unknown or cyclic segment references.
Every problem names the file, the segment or measure, and the rule.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ac_export.config.loading import ConfigError, StrictModel, check_names, load_model
from ac_export.profiles.schema import AttributeType, profile_attribute_types
from ac_export.profiles.sources_config import ActivitySource, SourcesConfig
from ac_export.segments.operators import (
    CASE_FOLDING_OPERATORS,
    DATES,
    NUMBERS,
    canonical_operator,
    normalize_operand,
)

MEASURES_FILE = "measures.yaml"
SEGMENTS_FILE = "segments.yaml"
# Segment names are Dagster partition keys: no commas (UI backfills split on them, dagster#32183).
SEGMENT_NAME_PATTERN = r"^[a-z0-9_]+$"
Aggregation = Literal["count", "sum", "average", "min", "max", "first", "last"]
ScalarValue = str | int | float | bool | datetime | date


class Rule(StrictModel):
    """A condition `{attribute, operator, value}`, or a group `{all: [...]}` (AND) / `{any: [...]}` (OR)."""

    attribute: str | None = Field(default=None, min_length=1, description="Profile attribute or measure.")
    operator: str | None = Field(
        default=None, description="Operator name (equals, in, ...) or symbol (<, >=)."
    )
    value: ScalarValue | list[ScalarValue] | None = Field(default=None, description="Operand, if any.")
    ignore_case: bool = Field(default=False, description="Compare text case-insensitively.")
    all: list[Rule] | None = Field(default=None, min_length=1, description="Rules that must all match.")
    any: list[Rule] | None = Field(default=None, min_length=1, description="Rules of which one must match.")

    @field_validator("operator")
    @classmethod
    def _known_operator(cls, value: str | None) -> str | None:
        return None if value is None else canonical_operator(value)

    @model_validator(mode="after")
    def _one_form(self) -> Rule:
        groups = [key for key in ("all", "any") if getattr(self, key) is not None]
        is_condition = self.attribute is not None or self.operator is not None
        if len(groups) + is_condition != 1:
            raise ValueError(
                "a rule is either a condition {attribute, operator, value} or one group {all: [...]}"
                " / {any: [...]}"
            )
        if is_condition and (self.attribute is None or self.operator is None):
            raise ValueError("a condition needs both 'attribute' and 'operator'")
        if groups and (self.value is not None or self.ignore_case):
            raise ValueError(
                f"'value' and 'ignore_case' belong in a condition, not in an '{groups[0]}' group"
            )
        return self

    def subject(self) -> tuple[str, str]:
        """A condition's attribute and canonical operator."""
        if self.attribute is None or self.operator is None:
            raise ValueError("a group has no attribute or operator")
        return self.attribute, self.operator

    def group(self) -> tuple[Literal["all", "any"], list[Rule]] | None:
        """The group's kind and rules, or None for a condition."""
        if self.all is not None:
            return "all", self.all
        if self.any is not None:
            return "any", self.any
        return None


def _list_means_all(value: object) -> object:
    return {"all": value} if isinstance(value, list) else value


class Window(StrictModel):
    """Which activities a measure counts by date: the last N days up to `as_of`, and/or fixed bounds."""

    last_days: int | None = Field(default=None, ge=1, description="Days up to and including as_of.")
    since: date | None = Field(default=None, description="First date included.")
    until: date | None = Field(default=None, description="Last date included.")

    @model_validator(mode="after")
    def _bounded(self) -> Window:
        if self.last_days is None and self.since is None and self.until is None:
            raise ValueError("a window needs last_days, since or until")
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until}); swap them")
        return self


class Measure(StrictModel):
    """A per-customer aggregate over one or more activity sources."""

    description: str = Field(min_length=1)
    aggregation: Aggregation
    activity: list[str] = Field(min_length=1, description="Activity source name, or a list of them.")
    column: str | None = Field(default=None, description="Activity column aggregated (not for count).")
    date_column: str | None = Field(default=None, description="Activity date; needed by window/first/last.")
    filter: Rule | None = Field(default=None, description="Conditions on activity columns.")
    window: Window | None = None

    @field_validator("activity", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("filter", mode="before")
    @classmethod
    def _filter_list(cls, value: object) -> object:
        return _list_means_all(value)

    @model_validator(mode="after")
    def _needed_columns(self) -> Measure:
        if self.column is None and self.aggregation != "count":
            raise ValueError(
                f"aggregation {self.aggregation!r} needs 'column': the activity column to aggregate"
            )
        if self.date_column is None and (self.window is not None or self.aggregation in ("first", "last")):
            raise ValueError("a window and the first/last aggregations need 'date_column'")
        return self


class MeasuresFile(StrictModel):
    """All of `measures.yaml`."""

    measures: dict[str, Measure] = Field(default_factory=dict)

    @field_validator("measures")
    @classmethod
    def _names(cls, value: dict[str, Measure]) -> dict[str, Measure]:
        check_names(value, "measure")
        return value


class GuardSettings(StrictModel):
    """A segment's own guard settings; unset fields fall back to the file's `guard` defaults."""

    max_change_fraction: float | None = Field(default=None, gt=0)
    override_until: date | None = Field(
        default=None, description="Let any change through on runs up to the end of this day (UTC)."
    )


class GuardDefaults(StrictModel):
    """The guard for every segment: the largest share of members that may join or leave in one run."""

    max_change_fraction: float = Field(default=0.5, gt=0)


@dataclass(frozen=True)
class ResolvedGuard:
    """The guard that applies to one segment."""

    max_change_fraction: float
    override_until: date | None


class SegmentDefinition(StrictModel):
    """One segment: a description, rules, and set operations with other segments."""

    description: str = Field(min_length=1)
    rules: Rule | None = Field(default=None, description="A condition or group; a list means all.")
    union: list[str] = Field(default_factory=list, description="Segments whose members are added.")
    intersect: list[str] = Field(default_factory=list, description="Segments members must also be in.")
    except_: list[str] = Field(default_factory=list, alias="except", description="Segments removed.")
    guard: GuardSettings = Field(default_factory=GuardSettings)

    @field_validator("rules", mode="before")
    @classmethod
    def _rules_list(cls, value: object) -> object:
        return _list_means_all(value)

    @model_validator(mode="after")
    def _has_members(self) -> SegmentDefinition:
        if self.rules is None and not self.union and not self.intersect:
            raise ValueError("a segment needs 'rules', 'union' or 'intersect' to select anyone")
        return self

    def references(self) -> list[tuple[str, str]]:
        """(field, segment) for every segment this one names in a set operation."""
        fields = (("union", self.union), ("intersect", self.intersect), ("except", self.except_))
        return [(f"{key}[{index}]", name) for key, names in fields for index, name in enumerate(names)]


class SegmentsFile(StrictModel):
    """All of `segments.yaml`."""

    as_of: date | Literal["today"] = Field(
        default="today", description="Date that relative dates and measure windows count back from."
    )
    guard: GuardDefaults = Field(default_factory=GuardDefaults)
    segments: dict[str, SegmentDefinition] = Field(default_factory=dict)

    @field_validator("segments")
    @classmethod
    def _names(cls, value: dict[str, SegmentDefinition]) -> dict[str, SegmentDefinition]:
        check_names(value, "segment", SEGMENT_NAME_PATTERN, "a-z, 0-9, _")
        return value


class SegmentsConfig(StrictModel):
    """Measures and segments, validated together against the profile attribute catalogue."""

    as_of: date
    guard: GuardDefaults
    measures: dict[str, Measure]
    segments: dict[str, SegmentDefinition]
    profile_types: dict[str, AttributeType]
    measure_types: dict[str, AttributeType]
    activity_types: dict[str, dict[str, AttributeType]]
    activity_links: dict[str, str] = Field(
        default_factory=dict, description="Each activity source's profile source (`links_to.source`)."
    )

    def attribute_types(self) -> dict[str, AttributeType]:
        """Every name a rule or an export mapping may use: profile attributes, then measures."""
        return {**self.profile_types, **self.measure_types}

    def guard_for(self, segment: str) -> ResolvedGuard:
        """The guard of one segment: its own settings over the defaults."""
        own = self.segments[segment].guard
        fraction = own.max_change_fraction or self.guard.max_change_fraction
        return ResolvedGuard(max_change_fraction=fraction, override_until=own.override_until)


def iter_conditions(rule: Rule, path: str) -> Iterator[tuple[str, Rule]]:
    """Every condition under a rule, with its path such as `rules.all[1].any[0]`."""
    group = rule.group()
    if group is None:
        yield path, rule
        return
    key, children = group
    for index, child in enumerate(children):
        yield from iter_conditions(child, f"{path}.{key}[{index}]")


def activity_column_types(source: ActivitySource) -> dict[str, AttributeType]:
    """The typed columns of an `activities/<name>` table that measures may use."""
    return source.attributes()


def load_segments_config(
    config_dir: Path, sources: SourcesConfig, *, today: date | None = None
) -> SegmentsConfig:
    """Load `measures.yaml` (optional) and `segments.yaml`, and check them against the catalogue."""
    measures_path, segments_path = config_dir / MEASURES_FILE, config_dir / SEGMENTS_FILE
    measures_file = load_model(measures_path, MeasuresFile, optional=True)
    segments_file = load_model(segments_path, SegmentsFile)
    profile_types = profile_attribute_types(sources.extra_attribute_types())
    activity_types = {
        name: activity_column_types(source) for name, source in sources.activity_sources.items()
    }
    measure_types, problems = _check_measures(measures_file.measures, activity_types, profile_types)
    _raise_problems(measures_path, problems)
    catalogue = {**profile_types, **measure_types}
    known_values = {"sources": set(sources.profile_sources)}
    _raise_problems(segments_path, _check_segments(segments_file.segments, catalogue, known_values))
    as_of = segments_file.as_of
    return SegmentsConfig(
        as_of=(today or datetime.now(UTC).date()) if as_of == "today" else as_of,
        guard=segments_file.guard,
        measures=measures_file.measures,
        segments=segments_file.segments,
        profile_types=profile_types,
        measure_types=measure_types,
        activity_types=activity_types,
        activity_links={name: source.links_to.source for name, source in sources.activity_sources.items()},
    )


def _raise_problems(path: Path, problems: list[str]) -> None:
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise ConfigError(f"{path}: {len(problems)} problem(s):\n{listed}")


def _check_measures(
    measures: Mapping[str, Measure],
    activity_types: Mapping[str, Mapping[str, AttributeType]],
    profile_types: Mapping[str, AttributeType],
) -> tuple[dict[str, AttributeType], list[str]]:
    types: dict[str, AttributeType] = {}
    problems: list[str] = []
    for name, measure in measures.items():
        where = f"measure {name!r}"
        if name in profile_types:
            problems.append(f"{where}: a profile attribute has this name; rename the measure")
        found = _measure_problems(measure, activity_types)
        problems.extend(f"{where}, {problem}" for problem in found)
        if not found:
            types[name] = _measure_type(measure, activity_types)
    return types, problems


def _measure_problems(
    measure: Measure, activity_types: Mapping[str, Mapping[str, AttributeType]]
) -> list[str]:
    problems: list[str] = []
    for index, activity in enumerate(measure.activity):
        columns = activity_types.get(activity)
        if columns is None:
            problems.append(f"activity[{index}]: {_unknown('activity source', activity, activity_types)}")
            continue
        problems.extend(_column_problems(measure, activity, columns))
        if measure.filter is not None:
            for path, condition in iter_conditions(measure.filter, "filter"):
                problem = _condition_problem(condition, columns, {})
                if problem:
                    problems.append(f"{path} on {activity!r} ({_describe(condition)}): {problem}")
    if not problems:
        try:
            _measure_type(measure, activity_types)
        except ValueError as exc:
            problems.append(f"column {measure.column!r}: {exc}")
    return problems


def _column_problems(measure: Measure, activity: str, columns: Mapping[str, AttributeType]) -> list[str]:
    problems: list[str] = []
    if measure.column is not None and measure.column not in columns:
        problems.append(f"column: {_unknown('column', measure.column, columns, f' in {activity!r}')}")
    if measure.date_column is not None:
        kind = columns.get(measure.date_column)
        if kind is None:
            problems.append(
                f"date_column: {_unknown('column', measure.date_column, columns, f' in {activity!r}')}"
            )
        elif kind not in DATES:
            problems.append(f"date_column: {measure.date_column!r} of {activity!r} is {kind}, not a date")
    return problems


def _measure_type(
    measure: Measure, activity_types: Mapping[str, Mapping[str, AttributeType]]
) -> AttributeType:
    if measure.aggregation == "count":
        return "integer"
    column = measure.column or ""
    kinds = {activity_types[activity][column] for activity in measure.activity}
    numeric = kinds <= NUMBERS
    if measure.aggregation in ("sum", "average") and not numeric:
        raise ValueError(f"{measure.aggregation} needs a number column (got {', '.join(sorted(kinds))})")
    if measure.aggregation == "average" or (numeric and len(kinds) > 1):
        return "float"
    if len(kinds) > 1:
        raise ValueError(f"has different types in the listed activities ({', '.join(sorted(kinds))})")
    kind = next(iter(kinds))
    if measure.aggregation in ("min", "max") and kind in ("boolean", "list"):
        raise ValueError(f"{measure.aggregation} does not apply to a {kind} column")
    return kind


def _check_segments(
    segments: Mapping[str, SegmentDefinition],
    catalogue: Mapping[str, AttributeType],
    known_values: Mapping[str, set[str]],
) -> list[str]:
    problems: list[str] = []
    for name, segment in segments.items():
        where = f"segment {name!r}"
        if segment.rules is not None:
            for path, condition in iter_conditions(segment.rules, "rules"):
                problem = _condition_problem(condition, catalogue, known_values)
                if problem:
                    problems.append(f"{where}, rule {path} ({_describe(condition)}): {problem}")
        for field, other in segment.references():
            if other not in segments:
                problems.append(f"{where}, {field}: {_unknown('segment', other, segments)}")
    cycle = _find_cycle(segments)
    if cycle:
        path = " → ".join(cycle)
        problems.append(
            f"segment {cycle[0]!r}: union/intersect/except form a cycle {path}; "
            "remove one of these references"
        )
    return problems


def _condition_problem(
    condition: Rule, catalogue: Mapping[str, AttributeType], known_values: Mapping[str, set[str]]
) -> str | None:
    attribute, operator = condition.subject()
    kind = catalogue.get(attribute)
    if kind is None:
        return _unknown("attribute or measure", attribute, catalogue)
    try:
        operand = normalize_operand(operator, kind, condition.value)
    except ValueError as exc:
        return str(exc)
    if condition.ignore_case and (kind != "string" or operator not in CASE_FOLDING_OPERATORS):
        return "ignore_case applies only to text comparisons (equals, in, contains, starts_with, ...)"
    allowed = known_values.get(attribute)
    if allowed is not None and operand is not None and operand not in allowed:
        return f"{operand!r} is not a known value of {attribute!r} (known: {sorted(allowed)})"
    return None


def _describe(condition: Rule) -> str:
    shown = "" if condition.value is None else f" {condition.value!r}"
    return f"{condition.attribute} {condition.operator}{shown}"


def _unknown(what: str, name: str, known: Mapping[str, object], where: str = "") -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{where}{hint} (known: {', '.join(known) or 'none'})"


def _find_cycle(segments: Mapping[str, SegmentDefinition]) -> list[str] | None:
    """The first chain of set-operation references that returns to where it started, if any."""
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> list[str] | None:
        if name in trail:
            return [*trail[trail.index(name) :], name]
        if name in done or name not in segments:
            return None
        for _, other in segments[name].references():
            cycle = visit(other, [*trail, name])
            if cycle:
                return cycle
        done.add(name)
        return None

    for name in segments:
        cycle = visit(name, [])
        if cycle:
            return cycle
    return None
