"""The Dagster resource for one ActiveCampaign connection."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from ac_export import settings
from ac_export.activecampaign.account import Account, AccountOptions, open_client
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.defaults import ACCOUNT_DEFAULTS as DEFAULTS
from ac_export.activecampaign.api.hosts import ApiHost, normalize_api_host
from ac_export.activecampaign.api.limits import Limits
from ac_export.activecampaign.config import ConnectionsConfig
from ac_export.activecampaign.upload import UploadSettings
from ac_export.state.backend import StateBackend, StateConfigError
from ac_export.state.postgres.connection import StateDatabaseError


class ActiveCampaignResource(dg.ConfigurableResource):
    """An ActiveCampaign account: host, API key (from an environment variable) and pacing.

    Example:
        ActiveCampaignResource(
            api_host=dg.EnvVar("ACTIVECAMPAIGN_API_HOST"), api_key=dg.EnvVar("ACTIVECAMPAIGN_API_KEY")
        )
    """

    api_host: str = Field(description="The account's API host, e.g. acme.api-us1.com (https is implied).")
    api_key: str = Field(description="The API key; always pass dg.EnvVar(...) so it never shows in the UI.")
    timeout_s: float = Field(
        default=DEFAULTS.timeout_s, gt=0, description="Timeout of every HTTP request, in seconds."
    )
    max_retries: int = Field(
        default=DEFAULTS.max_retries,
        ge=0,
        description="Retries of 5xx, 429, timeouts and dropped connections.",
    )
    requests_per_second: float = Field(
        default=DEFAULTS.requests_per_second, gt=0, description="ActiveCampaign's per-account limit."
    )
    bulk_requests_per_minute: float = Field(
        default=DEFAULTS.bulk_requests_per_minute,
        gt=0,
        description="ActiveCampaign's bulk import limit for requests with several contacts.",
    )
    pace: bool = Field(
        default=True,
        description="Pace requests to the limits above; off only for an emulator without limits.",
    )
    time_scale: float = Field(
        default=1.0,
        gt=0,
        description="Divides every pacing window and poll interval; only for a time-scaled emulator.",
    )
    poll_interval_s: float = Field(
        default=DEFAULTS.poll_interval_s,
        ge=0,
        description="Seconds between polls of a batch's import status.",
    )
    confirm_timeout_s: float = Field(
        default=DEFAULTS.confirm_timeout_s,
        gt=0,
        description="How long to wait for ActiveCampaign to process one batch.",
    )

    def host(self) -> ApiHost:
        """The validated API host (raises dg.Failure with the expected form if it is malformed)."""
        try:
            return normalize_api_host(self.api_host)
        except ValueError as exc:
            raise dg.Failure(description=f"Invalid ActiveCampaign API host: {exc}") from None

    def options(self) -> AccountOptions:
        """This resource's settings as the export engine takes them."""
        limits = Limits(
            requests_per_second=self.requests_per_second,
            bulk_multi_per_minute=self.bulk_requests_per_minute,
            time_scale=self.time_scale,
        )
        return AccountOptions(
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            limits=limits,
            pace=self.pace,
            poll_interval_s=self.poll_interval_s,
            confirm_timeout_s=self.confirm_timeout_s,
        )

    def account(self) -> Account:
        """The account as the export engine takes it: host, key and these settings."""
        host = self.host()
        if not self.api_key.strip():
            raise dg.Failure(
                description="The ActiveCampaign API key is empty; set the connection's variable."
            )
        return Account(host, self.api_key, self.options())

    def get_client(self, state: StateBackend | None = None) -> ActiveCampaignClient:
        """A client for this account, paced (through `state`'s pacer) with every other run exporting to it.

        Without `state`, the deployment's settings name it (AC_EXPORT_STATE and its DSN).
        """
        host = self.host()
        if not self.api_key.strip():
            raise dg.Failure(
                description="The ActiveCampaign API key is empty; set the connection's variable."
            )
        try:
            backend = state or StateBackend.from_settings(settings.current())
            return open_client(host, self.api_key, self.options(), backend)
        except (StateConfigError, StateDatabaseError) as exc:
            raise dg.Failure(description=f"The export state is not reachable: {exc}") from None

    def upload_settings(self, run_automations: bool) -> UploadSettings:
        """How the uploader polls and waits for this account."""
        return self.options().upload_settings(run_automations)


def resource_key(connection: str) -> str:
    """The Dagster resource key of a connection's ActiveCampaignResource."""
    return f"activecampaign_{connection}"


def connection_resources(connections: ConnectionsConfig) -> dict[str, ActiveCampaignResource]:
    """One ActiveCampaignResource per configured connection; keys and hosts come from the environment."""
    resources: dict[str, ActiveCampaignResource] = {}
    for name, connection in connections.connections.items():
        host = dg.EnvVar(connection.api_host_env) if connection.api_host_env else (connection.api_host or "")
        resources[resource_key(name)] = ActiveCampaignResource(
            api_host=host,
            api_key=dg.EnvVar(connection.api_key_env),
        )
    return resources
