"""The Dagster resource for one ActiveCampaign connection."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from ac_export.activecampaign.client import ActiveCampaignClient
from ac_export.activecampaign.pacing import AccountPacer, Limits, NoPacing, pacing_state_dir
from ac_export.activecampaign.upload import UploadSettings
from ac_export.config.exports import ApiHost, normalize_api_host


class ActiveCampaignResource(dg.ConfigurableResource):
    """An ActiveCampaign account: host, API key (from an environment variable) and pacing.

    Example:
        ActiveCampaignResource(
            api_host=dg.EnvVar("ACTIVECAMPAIGN_API_HOST"), api_key=dg.EnvVar("ACTIVECAMPAIGN_API_KEY")
        )
    """

    api_host: str = Field(description="The account's API host, e.g. acme.api-us1.com (https is implied).")
    api_key: str = Field(description="The API key; always pass dg.EnvVar(...) so it never shows in the UI.")
    timeout_s: float = Field(default=30.0, gt=0, description="Timeout of every HTTP request, in seconds.")
    max_retries: int = Field(
        default=8, ge=0, description="Retries of 5xx, 429, timeouts and dropped connections."
    )
    requests_per_second: float = Field(default=5.0, gt=0, description="ActiveCampaign's per-account limit.")
    bulk_requests_per_minute: float = Field(
        default=100.0,
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
        default=1.0, ge=0, description="Seconds between polls of a batch's import status."
    )
    confirm_timeout_s: float = Field(
        default=1800.0, gt=0, description="How long to wait for ActiveCampaign to process one batch."
    )

    def host(self) -> ApiHost:
        """The validated API host (raises dg.Failure with the expected form if it is malformed)."""
        try:
            return normalize_api_host(self.api_host)
        except ValueError as exc:
            raise dg.Failure(description=f"Invalid ActiveCampaign API host: {exc}") from None

    def get_client(self) -> ActiveCampaignClient:
        """A client for this account, paced together with every other run on this machine."""
        host = self.host()
        if not self.api_key.strip():
            raise dg.Failure(
                description="The ActiveCampaign API key is empty; set the connection's variable."
            )
        limits = Limits(
            requests_per_second=self.requests_per_second,
            bulk_multi_per_minute=self.bulk_requests_per_minute,
            time_scale=self.time_scale,
        )
        pacer = AccountPacer(host.host, limits, pacing_state_dir()) if self.pace else NoPacing()
        return ActiveCampaignClient(
            host.base_url, self.api_key, pacer=pacer, timeout_s=self.timeout_s, max_retries=self.max_retries
        )

    def upload_settings(self, run_automations: bool) -> UploadSettings:
        """How the uploader polls and waits for this account."""
        return UploadSettings(
            poll_interval_s=self.poll_interval_s / self.time_scale,
            confirm_timeout_s=self.confirm_timeout_s,
            run_automations=run_automations,
        )
