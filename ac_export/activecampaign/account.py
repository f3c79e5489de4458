"""The one way to open a client for an ActiveCampaign account: the resource, the CLI and the demo use it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.defaults import ACCOUNT_DEFAULTS
from ac_export.activecampaign.api.hosts import ApiHost, account_key, normalize_api_host
from ac_export.activecampaign.api.limits import Limits
from ac_export.activecampaign.config import Connection
from ac_export.activecampaign.errors import ExportStopped
from ac_export.activecampaign.upload import UploadSettings
from ac_export.state.backend import StateBackend
from ac_export.state.pacer import NoPacing


@dataclass(frozen=True)
class AccountOptions:
    """How to talk to one account: timeouts, retries, pacing and how long to wait for imports."""

    timeout_s: float = ACCOUNT_DEFAULTS.timeout_s
    max_retries: int = ACCOUNT_DEFAULTS.max_retries
    limits: Limits = field(default_factory=Limits)
    # Off only for an emulator whose limits are off (throughput benchmarks).
    pace: bool = True
    poll_interval_s: float = ACCOUNT_DEFAULTS.poll_interval_s
    confirm_timeout_s: float = ACCOUNT_DEFAULTS.confirm_timeout_s

    def upload_settings(self, run_automations: bool) -> UploadSettings:
        """How the uploader polls and waits for this account."""
        return UploadSettings(
            poll_interval_s=self.poll_interval_s / self.limits.time_scale,
            confirm_timeout_s=self.confirm_timeout_s,
            run_automations=run_automations,
        )


def open_client(
    host: ApiHost, api_key: str, options: AccountOptions | None, state: StateBackend
) -> ActiveCampaignClient:
    """A client for the account at `host`, paced together with every other run exporting to it.

    The pacer's state lives where `state` keeps it; the client owns the pacer and closes it.
    """
    options = options or AccountOptions()
    pacer = state.pacer(account_key(host), options.limits) if options.pace else NoPacing()
    return ActiveCampaignClient(
        host.base_url, api_key, pacer=pacer, timeout_s=options.timeout_s, max_retries=options.max_retries
    )


@dataclass(frozen=True)
class Account:
    """How a run reaches one connection's account: its host, its key and how to talk to it."""

    host: ApiHost
    api_key: str = field(repr=False)  # a secret: never shown
    options: AccountOptions = field(default_factory=AccountOptions)


def resolve_account(
    name: str, connection: Connection, environ: Mapping[str, str], options: AccountOptions | None = None
) -> Account:
    """A connection's account as the deployment names it: host and key from the variables it names.

    Raises ExportStopped naming the variable to set, or the host's expected form.
    """
    raw_host = connection.api_host or environ.get(connection.api_host_env or "", "")
    if not raw_host.strip():
        raise ExportStopped(f"connection {name!r}: set the environment variable {connection.api_host_env}")
    try:
        host = normalize_api_host(raw_host)
    except ValueError as exc:
        raise ExportStopped(f"connection {name!r}: {exc}") from None
    key = environ.get(connection.api_key_env, "")
    if not key.strip():
        raise ExportStopped(f"connection {name!r}: set the environment variable {connection.api_key_env}")
    return Account(host, key, options or AccountOptions())
