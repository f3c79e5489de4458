"""Models of `sources.yaml`: the files that feed profiles (people) and activities (events)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from ac_export.config.csv_options import csv_option_problem
from ac_export.config.loading import NAME_PATTERN, StrictModel, check_names, load_model
from ac_export.profiles.schema import (
    ACTIVITY_SYSTEM_COLUMNS,
    CANONICAL_ATTRIBUTES,
    RESERVED_PROFILE_NAMES,
    AttributeType,
)

SOURCES_FILE = "sources.yaml"
ValueType = Literal["string", "integer", "float", "boolean", "date", "timestamp"]


class ColumnMapping(StrictModel):
    """Where one source column lands: a canonical attribute or a further attribute kept by name."""

    attribute: str = Field(pattern=NAME_PATTERN, description="Canonical or further attribute name.")
    type: ValueType | None = Field(
        default=None, description="Value type; fixed for canonical attributes, string by default."
    )

    def resolved_type(self) -> ValueType:
        """The attribute's type: fixed for canonical attributes, declared (or string) otherwise."""
        canonical = CANONICAL_ATTRIBUTES.get(self.attribute)
        if canonical is not None:
            return canonical  # type: ignore[return-value]  # no canonical attribute is a list
        return self.type or "string"


class Combination(StrictModel):
    """An attribute built from several columns: their texts joined by a separator, empty ones skipped."""

    concat: list[str] = Field(min_length=2, description="Source columns, in the order they are joined.")
    separator: str = Field(default=" ", description="Text between two non-empty parts.")


class FileSource(StrictModel):
    """A file read into the warehouse: where it is, how to parse it, which column is its key."""

    path: str = Field(description="File path, relative to the folder that holds config/ (data/).")
    format: Literal["csv", "parquet", "jsonl"] = "csv"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    quote: str = Field(default='"', min_length=1, max_length=1)
    encoding: Literal["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"] = "utf-8"
    header: bool = True
    date_formats: list[str] = Field(
        default_factory=lambda: ["%Y-%m-%d"], min_length=1, description="strptime formats tried in order."
    )
    timestamp_formats: list[str] = Field(
        default_factory=lambda: ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
        min_length=1,
        description="strptime formats tried in order.",
    )
    null_values: list[str] = Field(
        default_factory=list, description="Texts that mean 'no value' besides the empty string, e.g. 'N/A'."
    )
    true_values: list[str] = Field(
        default_factory=lambda: ["true", "t", "yes", "y", "1"],
        min_length=1,
        description="Texts read as true in boolean columns (compared case-insensitively).",
    )
    false_values: list[str] = Field(
        default_factory=lambda: ["false", "f", "no", "n", "0"],
        min_length=1,
        description="Texts read as false in boolean columns (compared case-insensitively).",
    )
    primary_key: str = Field(min_length=1, description="Column whose value identifies a record in this file.")
    final_line_break: bool = Field(
        default=True,
        description=(
            "Whether a CSV or JSON-lines file must end with a line break; a file without one is taken "
            "for one still being written. false for a complete file its producer writes without one."
        ),
    )
    max_row_drop: float | None = Field(
        # 10%: a refresh rarely loses a tenth of a customer file, and a half-written one loses more.
        default=0.1,
        gt=0,
        le=1,
        description=(
            "Largest fraction of the previous good load's records a new load may lose before the refresh "
            "is held (a half-written or truncated file); null turns the hold off."
        ),
    )
    max_unparsed_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Largest share of an attribute's values that may fail to parse; more fails its check.",
    )
    columns: dict[str, list[ColumnMapping]] = Field(
        description=(
            "Source column → attribute; a bare string is the attribute name, a list feeds several "
            "attributes from one column."
        )
    )
    combine: dict[str, Combination] = Field(
        default_factory=dict,
        description="Attribute → the columns whose texts make it up, e.g. street: {concat: [number, line]}.",
    )

    @field_validator("columns", mode="before")
    @classmethod
    def _expand_shorthand(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        listed = {k: v if isinstance(v, list) else [v] for k, v in value.items()}
        return {k: [{"attribute": m} if isinstance(m, str) else m for m in v] for k, v in listed.items()}

    @field_validator("combine")
    @classmethod
    def _combined_names(cls, value: dict[str, Combination]) -> dict[str, Combination]:
        check_names(value, "attribute")
        for attribute in value:
            kind = CANONICAL_ATTRIBUTES.get(attribute, "string")
            if kind != "string":
                raise ValueError(f"{attribute!r} is a {kind}; combined columns make text attributes")
        return value

    def mappings(self) -> list[tuple[str, ColumnMapping]]:
        """Every (source column, mapping) pair, a column once per attribute it feeds, in file order."""
        return [(column, mapping) for column, listed in self.columns.items() for mapping in listed]

    def attributes(self) -> dict[str, AttributeType]:
        """The attributes this source maps, with their types, in column order (combined ones last)."""
        return {
            **{m.attribute: m.resolved_type() for _, m in self.mappings()},
            **dict.fromkeys(self.combine, "string"),
        }

    def read_columns(self) -> list[str]:
        """The source columns the mapping reads: mapped ones, then those only combined."""
        combined = [c for combination in self.combine.values() for c in combination.concat]
        return list(dict.fromkeys([*self.columns, *combined]))

    @field_validator("null_values", "true_values", "false_values", mode="before")
    @classmethod
    def _texts_quoted(cls, value: object) -> object:
        if isinstance(value, list) and any(not isinstance(item, str) for item in value):
            raise ValueError(
                "quote every value (e.g. ['yes', '1']): YAML reads unquoted yes/no/true/false/on/off "
                "and numbers as booleans and numbers, not as the text in the file"
            )
        return value

    @field_validator("date_formats", "timestamp_formats")
    @classmethod
    def _formats_have_directives(cls, value: list[str]) -> list[str]:
        for fmt in value:
            if "%" not in fmt:
                raise ValueError(f"{fmt!r} has no % directive; write a strptime format such as '%m/%d/%Y'")
        return value

    @model_validator(mode="after")
    def _csv_options_compatible(self) -> FileSource:
        problem = csv_option_problem(self.delimiter, self.quote)
        if problem and self.format == "csv":
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _booleans_unambiguous(self) -> FileSource:
        both = {v.lower() for v in self.true_values} & {v.lower() for v in self.false_values}
        if both:
            raise ValueError(f"true_values and false_values share {sorted(both)}; a text must mean one thing")
        return self

    @model_validator(mode="after")
    def _one_column_per_attribute(self) -> FileSource:
        seen: dict[str, str] = {}
        named = [(repr(c), m.attribute) for c, m in self.mappings()]
        named += [(f"combine {a!r}", a) for a in self.combine]
        for where, attribute in named:
            if attribute in seen:
                raise ValueError(
                    f"{seen[attribute]} and {where} both map to {attribute!r}; map each attribute once "
                    "(to build one attribute from several columns, use combine: {attribute: {concat: [...]}})"
                )
            seen[attribute] = where
        return self

    def resolve_path(self, data_dir: Path) -> Path:
        """The file's absolute path."""
        path = Path(self.path)
        return path if path.is_absolute() else data_dir / path


class ProfileSource(FileSource):
    """A source of people: its records are unified into profiles."""

    priority: int = Field(
        default=100, ge=0, le=16383, description="Lower wins when merging by source priority."
    )

    @model_validator(mode="after")
    def _canonical_types_fixed(self) -> ProfileSource:
        for attribute in self.combine:
            if attribute in RESERVED_PROFILE_NAMES:
                raise ValueError(f"combine {attribute!r}: the name is reserved; choose another name")
        for column, mapping in self.mappings():
            canonical = CANONICAL_ATTRIBUTES.get(mapping.attribute)
            if canonical is not None and mapping.type not in (None, canonical):
                raise ValueError(
                    f"column {column!r}: {mapping.attribute!r} is a canonical attribute of type "
                    f"{canonical}; remove 'type' or map the column to another attribute"
                )
            if mapping.attribute in RESERVED_PROFILE_NAMES:
                raise ValueError(f"column {column!r}: {mapping.attribute!r} is reserved; choose another name")
        return self


class ActivityLink(StrictModel):
    """How an activity names its customer: a column holding a profile source's primary key."""

    source: str = Field(pattern=NAME_PATTERN, description="The profile source whose key the column holds.")
    column: str = Field(min_length=1, description="The activity column holding that key.")


class ActivitySource(FileSource):
    """A source of events (purchases, reviews) linked to profile records; measures aggregate them."""

    links_to: ActivityLink

    @model_validator(mode="after")
    def _no_reserved_attributes(self) -> ActivitySource:
        for column, mapping in [*self.mappings(), *((c, ColumnMapping(attribute=c)) for c in self.combine)]:
            if mapping.attribute in ACTIVITY_SYSTEM_COLUMNS:
                raise ValueError(
                    f"column {column!r}: {mapping.attribute!r} is a column of every activity table; "
                    "choose another name"
                )
        return self


class SourcesConfig(StrictModel):
    """All of `sources.yaml`."""

    profile_sources: dict[str, ProfileSource] = Field(min_length=1)
    activity_sources: dict[str, ActivitySource] = Field(default_factory=dict)

    @field_validator("profile_sources", "activity_sources")
    @classmethod
    def _names_are_identifiers(cls, value: dict[str, FileSource]) -> dict[str, FileSource]:
        check_names(value, "source")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SourcesConfig:
        clash = set(self.profile_sources) & set(self.activity_sources)
        if clash:
            raise ValueError(f"names used for both a profile and an activity source: {sorted(clash)}")
        for name, activity in self.activity_sources.items():
            if activity.links_to.source not in self.profile_sources:
                raise ValueError(
                    f"activity_sources.{name}.links_to.source: unknown profile source "
                    f"{activity.links_to.source!r} (known: {sorted(self.profile_sources)})"
                )
        types: dict[str, tuple[str, str]] = {}
        for source_name, source in self.profile_sources.items():
            for attribute, kind in source.attributes().items():
                previous = types.setdefault(attribute, (kind, source_name))
                if previous[0] != kind:
                    raise ValueError(
                        f"attribute {attribute!r} is {previous[0]} in {previous[1]!r} "
                        f"but {kind} in {source_name!r}; give it one type"
                    )
        return self

    def profile_attributes(self) -> dict[str, AttributeType]:
        """Every attribute some profile source maps, with its type (canonical first, then extras)."""
        mapped = {a: t for s in self.profile_sources.values() for a, t in s.attributes().items()}
        canonical = {a: t for a, t in CANONICAL_ATTRIBUTES.items() if a in mapped}
        return {**canonical, **self.extra_attribute_types()}

    def extra_attribute_types(self) -> dict[str, AttributeType]:
        """Further (non-canonical) profile attributes and their types, in declaration order."""
        extras: dict[str, AttributeType] = {}
        for source in self.profile_sources.values():
            for attribute, kind in source.attributes().items():
                if attribute not in CANONICAL_ATTRIBUTES:
                    extras.setdefault(attribute, kind)
        return extras


def load_sources_config(config_dir: Path) -> SourcesConfig:
    """Load and validate `sources.yaml` from a config folder."""
    return load_model(config_dir / SOURCES_FILE, SourcesConfig)
