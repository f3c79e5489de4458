"""Models of `connections.yaml` (admin-owned) and `exports.yaml` (contributor-owned)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ac_export.activecampaign.api.hosts import account_key, normalize_api_host
from ac_export.config.loading import ConfigError, StrictModel, check_names, load_model

CONNECTIONS_FILE = "connections.yaml"
EXPORTS_FILE = "exports.yaml"  # contributor-owned
ADMIN_EXPORTS_FILE = "admin_exports.yaml"  # admin-owned: exports that may use any connection
Owner = Literal["admins", "contributors"]
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
PERSTAG_PATTERN = r"^[A-Z][A-Z0-9_]*$"
STANDARD_FIELDS = ("email", "first_name", "last_name", "phone")


class Connection(StrictModel):
    """An ActiveCampaign account: where it is and which environment variable holds its key."""

    display_name: str = Field(min_length=1)
    api_host: str | None = Field(default=None, description="Bare API host, e.g. acme.api-us1.com.")
    api_host_env: str | None = Field(
        default=None, pattern=ENV_VAR_PATTERN, description="Environment variable holding the API host."
    )
    api_key_env: str = Field(pattern=ENV_VAR_PATTERN, description="Environment variable holding the API key.")
    data_privacy_consent: bool = Field(
        default=False,
        description="Consent to send personal data to ActiveCampaign; without it nothing is exported.",
    )
    usable_by: Owner = Field(
        default="admins",
        description="Who may export through it: admins (exports in admin_exports.yaml only) or "
        "contributors too (exports.yaml as well).",
    )

    def account(self) -> str:
        """The account this connection reaches, as far as it can be known when the config loads.

        A host held in an environment variable that is not set yet stands for itself by name.
        """
        text = self.api_host if self.api_host is not None else os.environ.get(self.api_host_env or "", "")
        if not text.strip():
            return f"the account in ${self.api_host_env}"
        try:
            return f"ActiveCampaign account {account_key(normalize_api_host(text))}"
        except ValueError:
            return f"the account in ${self.api_host_env}"

    @model_validator(mode="after")
    def _one_host_source(self) -> Connection:
        if (self.api_host is None) == (self.api_host_env is None):
            raise ValueError("give exactly one of api_host (the bare host) or api_host_env (a variable name)")
        if self.api_host is not None:
            normalize_api_host(self.api_host)
        return self


class ConnectionsConfig(StrictModel):
    """All of `connections.yaml`."""

    connections: dict[str, Connection] = Field(default_factory=dict)

    @field_validator("connections")
    @classmethod
    def _names(cls, value: dict[str, Connection]) -> dict[str, Connection]:
        check_names(value, "connection")
        return value


class FieldMapping(StrictModel):
    """Which profile attribute or measure fills each ActiveCampaign contact field."""

    email: str = Field(default="email", description="Attribute holding the email (required).")
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    custom: dict[str, str] = Field(
        default_factory=dict, description="Personalization tag (e.g. LOYALTY_TIER) → attribute or measure."
    )

    @field_validator("custom")
    @classmethod
    def _perstags(cls, value: dict[str, str]) -> dict[str, str]:
        for tag in value:
            if not re.match(PERSTAG_PATTERN, tag):
                raise ValueError(f"personalization tag {tag!r} must be upper case letters, digits and _")
        return value

    def attributes(self) -> dict[str, str]:
        """Every mapped contact field (standard fields by name, custom ones by perstag) → attribute."""
        standard = {"email": self.email, "first_name": self.first_name, "last_name": self.last_name}
        standard["phone"] = self.phone
        return {k: v for k, v in standard.items() if v} | {f"field:{k}": v for k, v in self.custom.items()}


class Export(StrictModel):
    """One segment kept in step with one ActiveCampaign list."""

    segment: str = Field(pattern=r"^[a-z0-9_]+$")
    connection: str
    list_id: int = Field(gt=0, description="The ActiveCampaign list id (Lists → the list → id in its URL).")
    fields: FieldMapping = Field(default_factory=FieldMapping)
    tags: list[str] = Field(default_factory=list, description="Tag names added to every exported contact.")
    mode: Literal["mirror", "upsert"] = Field(
        default="mirror", description="mirror adds, updates and removes; upsert never removes."
    )
    run_automations: bool = Field(default=False, description="Whether imports may trigger automations.")
    removal_guard: float = Field(
        default=0.2, ge=0, le=1, description="Largest fraction of the list one run may remove."
    )
    on_empty_segment: Literal["skip", "clear"] = Field(
        default="skip", description="An empty segment touches nothing (skip) or empties the list (clear)."
    )
    create_missing_fields: bool = Field(
        default=False, description="Create custom fields the account lacks instead of stopping the preflight."
    )
    full_reconcile_every_days: float = Field(
        default=7,
        gt=0,
        description="Days between full reconciles, which read the whole list from ActiveCampaign to catch "
        "what its counts cannot (the same count, different people).",
    )

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not tag.strip() or len(tag) > 255:
                raise ValueError(f"tag {tag!r} must be 1 to 255 characters")
        return value


class ExportsConfig(StrictModel):
    """All of `exports.yaml`: `defaults` apply to every export unless the export sets the key itself."""

    defaults: dict[str, Any] = Field(default_factory=dict, description="Keys shared by every export.")
    exports: dict[str, Export] = Field(default_factory=dict)
    # Which exports came from admin_exports.yaml: set by the loader, never by a file's content.
    _admin_owned: frozenset[str] = PrivateAttr(default_factory=frozenset)

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("defaults"), dict):
            shared = data["defaults"]
            exports = data.get("exports") or {}
            if isinstance(exports, dict):
                data = {
                    **data,
                    "exports": {k: {**shared, **v} if isinstance(v, dict) else v for k, v in exports.items()},
                }
        return data

    @field_validator("exports")
    @classmethod
    def _names(cls, value: dict[str, Export]) -> dict[str, Export]:
        check_names(value, "export")
        return value

    def for_segment(self, segment: str) -> dict[str, Export]:
        """The exports of one segment, by name."""
        return {name: export for name, export in self.exports.items() if export.segment == segment}

    def owner(self, name: str) -> Owner:
        """Who defined an export: admins (admin_exports.yaml) or contributors (exports.yaml)."""
        return "admins" if name in self._admin_owned else "contributors"


def load_connections_config(config_dir: Path) -> ConnectionsConfig:
    """Load `connections.yaml` (absent means no connections)."""
    return load_model(config_dir / CONNECTIONS_FILE, ConnectionsConfig, optional=True)


def load_exports_config(
    config_dir: Path,
    connections: ConnectionsConfig,
    segment_names: set[str],
    attribute_types: Mapping[str, str],
) -> ExportsConfig:
    """Load `exports.yaml` and check it against connections, segments and the attribute catalogue."""
    exports = load_model(config_dir / EXPORTS_FILE, ExportsConfig, optional=True)
    problems = list(_reference_problems(exports, connections, segment_names, attribute_types))
    problems += contributor_problems(exports, connections)
    if problems:
        path = config_dir / EXPORTS_FILE
        raise ConfigError(f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))
    return with_admin_exports(config_dir, exports, connections, segment_names, attribute_types)


def contributor_problems(exports: ExportsConfig, connections: ConnectionsConfig) -> list[str]:
    """Exports in the contributor-owned file that use a connection only admins may use."""
    problems = []
    for name, export in exports.exports.items():
        connection = connections.connections.get(export.connection)
        problem = usable_by_problem(name, export, exports.owner(name), connection)
        if problem:
            problems.append(problem)
    return problems


def usable_by_problem(name: str, export: Export, owner: Owner, connection: Connection | None) -> str | None:
    """Why an export may not use its connection (its file is not one usable_by allows), or None."""
    if connection is None or owner == "admins" or connection.usable_by == "contributors":
        return None
    return (
        f"exports.{name}.connection: connection {export.connection!r} may be used only by admins "
        f"({CONNECTIONS_FILE} sets usable_by: admins, the default); move this export to "
        f"{ADMIN_EXPORTS_FILE}, which admins own, or have an admin set usable_by: contributors for "
        f"{export.connection!r} in {CONNECTIONS_FILE}"
    )


def with_admin_exports(
    config_dir: Path,
    contributed: ExportsConfig,
    connections: ConnectionsConfig,
    segment_names: set[str],
    attribute_types: Mapping[str, str],
) -> ExportsConfig:
    """The contributors' exports plus those of the admin-owned file (absent means none)."""
    path = config_dir / ADMIN_EXPORTS_FILE
    admin = load_model(path, ExportsConfig, optional=True)
    problems = list(_reference_problems(admin, connections, segment_names, attribute_types))
    targets = _list_targets(contributed, connections)
    for name, export in admin.exports.items():
        if name in contributed.exports:
            problems.append(f"exports.{name}: {EXPORTS_FILE} defines an export of the same name; rename one")
        account = _account_of(connections, export.connection)
        other = targets.get((account, export.list_id))
        if other is not None:
            problems.append(
                f"exports.{name}.list_id: list {export.list_id} of {account} (connection "
                f"{export.connection!r}) is already the target of export {other!r} in {EXPORTS_FILE}; one "
                f"list has one export, so that neither removes the other's members"
            )
    if problems:
        raise ConfigError(f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))
    if not admin.exports:
        return contributed
    merged = ExportsConfig(exports={**contributed.exports, **admin.exports})
    merged._admin_owned = frozenset(admin.exports)
    return merged


def _account_of(connections: ConnectionsConfig, name: str) -> str:
    """The account a connection reaches (see `Connection.account`), or the connection's own name."""
    connection = connections.connections.get(name)
    return connection.account() if connection is not None else f"connection {name}"


def _list_targets(exports: ExportsConfig, connections: ConnectionsConfig) -> dict[tuple[str, int], str]:
    """(account, list id) → the first export that targets it."""
    targets: dict[tuple[str, int], str] = {}
    for name, export in exports.exports.items():
        targets.setdefault((_account_of(connections, export.connection), export.list_id), name)
    return targets


def _reference_problems(
    exports: ExportsConfig,
    connections: ConnectionsConfig,
    segment_names: set[str],
    attribute_types: Mapping[str, str],
) -> list[str]:
    problems: list[str] = []
    targets: dict[tuple[str, int], str] = {}
    for name, export in exports.exports.items():
        where = f"exports.{name}"
        if export.connection not in connections.connections:
            known = sorted(connections.connections) or "none; add one to connections.yaml"
            problems.append(f"{where}.connection: unknown connection {export.connection!r} (known: {known})")
        if export.segment not in segment_names:
            known_segments = sorted(segment_names)
            problems.append(f"{where}.segment: unknown segment {export.segment!r} (known: {known_segments})")
        problems.extend(_mapping_problems(where, export.fields, attribute_types))
        # Keyed on the account, not the connection: two connections can reach one account.
        account = _account_of(connections, export.connection)
        target = (account, export.list_id)
        if target in targets:
            other = targets[target]
            problems.append(
                f"{where}.list_id: list {export.list_id} of {account} (connection {export.connection!r}) is "
                f"already the target of export {other!r} (connection "
                f"{exports.exports[other].connection!r}); one list has one export, so that neither removes "
                f"the other's members: give one of them another list_id, or merge their segments"
            )
        targets.setdefault(target, name)
    return problems


def _mapping_problems(where: str, fields: FieldMapping, attribute_types: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for field, attribute in fields.attributes().items():
        shown = f"{where}.fields.{field.replace('field:', 'custom.')}"
        kind = attribute_types.get(attribute)
        if kind is None:
            problems.append(f"{shown}: unknown attribute or measure {attribute!r}")
        elif field in STANDARD_FIELDS and kind != "string":
            problems.append(f"{shown}: {attribute!r} is {kind}, not text; map a text attribute")
    return problems
