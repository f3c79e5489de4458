"""How the exporter talks to an account unless told otherwise: written once, read by every layer.

The client's parameters, the engine's `AccountOptions`, the Dagster resource's documented fields
and the CLI all take their defaults from `ACCOUNT_DEFAULTS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ac_export.activecampaign.api.limits import BULK_MULTI_PER_MINUTE, REQUESTS_PER_SECOND


@dataclass(frozen=True)
class AccountDefaults:
    """The default timeouts, retries, pacing and import waits of one account."""

    timeout_s: float = 30.0
    # Enough to ride out a minute-long bulk window or a short outage; the budgets cap the time.
    max_retries: int = 8
    requests_per_second: float = REQUESTS_PER_SECOND
    bulk_requests_per_minute: float = BULK_MULTI_PER_MINUTE
    poll_interval_s: float = 1.0
    # A batch of 250 contacts is processed within minutes; half an hour means the account is stuck.
    confirm_timeout_s: float = 1800.0


ACCOUNT_DEFAULTS = AccountDefaults()
