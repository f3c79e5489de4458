"""Failure alerts: what failed and why, as a log line and a small JSON body for a webhook.

The body carries the run, job, segment, failed steps with their export and error message, and a
one-line `text` (which Slack and Teams incoming webhooks display as is). It never carries member
data or secrets: every value of a secret environment variable is masked out of the messages, and
so is every email address in them (`jo***@example.com`): an alert leaves the operator's hands.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from ac_export.activecampaign.api.redaction import Redactor
from ac_export.activecampaign.masking import mask_emails_in_text

MAX_MESSAGE_CHARS = 1000
MASK = "***"
# Secrets shorter than this would mask ordinary words; real keys and tokens are far longer.
MIN_SECRET_CHARS = 8


@dataclass(frozen=True)
class StepFailure:
    """One failed step: its key, the export it was running (if known) and the error message."""

    step: str
    message: str
    export: str | None = None
    list_id: int | None = None


@dataclass(frozen=True)
class FailureAlert:
    """A failed run, as reported in its run log and to the webhook."""

    run_id: str
    job: str
    segment: str | None
    reason: str
    failures: list[StepFailure] = field(default_factory=list)
    segment_exports: list[str] = field(default_factory=list)

    def text(self) -> str:
        """One line a person can act on: which run, which segment and export, and why."""
        where = f" for segment {self.segment}" if self.segment else ""
        causes = "; ".join(_describe(failure) for failure in self.failures) or self.reason
        return f"ac_export run {self.run_id} ({self.job}){where} failed: {causes}"

    def payload(self) -> dict[str, Any]:
        """The JSON body POSTed to the webhook."""
        return {
            "source": "ac_export",
            "event": "run_failure",
            "run_id": self.run_id,
            "job": self.job,
            "segment": self.segment,
            "segment_exports": self.segment_exports,
            "reason": self.reason,
            "failures": [asdict(failure) for failure in self.failures],
            "text": self.text(),
        }


def _describe(failure: StepFailure) -> str:
    export = f" (export {failure.export})" if failure.export else ""
    return f"step {failure.step}{export}: {failure.message}"


def redact(text: str, secrets: Iterable[str]) -> str:
    """The text with every secret value and email address masked, cut to a length a chat message can carry."""
    # The client's redactor: also the secrets' encoded and line-wrapped forms and echoed key headers.
    text = Redactor(*(s for s in secrets if len(s) >= MIN_SECRET_CHARS), mask=MASK)(text).strip()
    text = mask_emails_in_text(text)
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def secret_values(env_vars: Iterable[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of the named environment variables that are set (API keys, the webhook URL)."""
    env = os.environ if environ is None else environ
    return [env[name] for name in env_vars if env.get(name)]


def post_alert(url: str, payload: Mapping[str, Any], timeout_s: float) -> str | None:
    """POST the alert; returns why it failed (never the URL, which may embed a token), or None."""
    try:
        response = httpx.post(url, json=dict(payload), timeout=timeout_s)
    except httpx.TimeoutException:
        return f"the webhook did not answer within {timeout_s:g} s"
    except httpx.HTTPError as exc:
        return f"the webhook could not be reached ({type(exc).__name__})"
    except httpx.InvalidURL:
        return "the webhook URL is not a valid http(s) URL"
    if response.is_error:
        return f"the webhook answered HTTP {response.status_code}"
    return None
