"""ActiveCampaign API hosts as users paste them: validated, normalised, HTTPS unless loopback."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ac_export.state.accounts import account_identity, is_loopback

EXPECTED_HOST_FORM = "a bare host such as 'acme.api-us1.com' ('http://127.0.0.1:8787' for the local emulator)"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


@dataclass(frozen=True)
class ApiHost:
    """A validated ActiveCampaign API host: the base URL to call and any note for the admin."""

    base_url: str
    host: str
    warning: str | None = None


def normalize_api_host(value: str) -> ApiHost:
    """Validate an API host as users paste it; raises ValueError naming the expected form.

    ActiveCampaign hosts are account specific (not always api-us1.com), so the host is taken as
    given and never built from an account name. HTTPS is required except for loopback emulators.
    """
    text = value.strip()
    if not text:
        raise ValueError(f"the API host is empty; expected {EXPECTED_HOST_FORM}")
    had_scheme = "://" in text
    parts = urlsplit(text if had_scheme else f"https://{text}")
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"scheme {parts.scheme!r} is not allowed; expected {EXPECTED_HOST_FORM}")
    if parts.username or parts.password or "@" in parts.netloc:
        raise ValueError(f"no credentials in the host (use api_key_env); expected {EXPECTED_HOST_FORM}")
    if parts.query or parts.fragment:
        raise ValueError(f"a query or fragment is not allowed in the host; expected {EXPECTED_HOST_FORM}")
    if parts.path.rstrip("/") not in ("", "/api/3"):
        raise ValueError(f"path {parts.path!r} is not allowed; expected {EXPECTED_HOST_FORM}")
    hostname = parts.hostname or ""
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"invalid port in {text!r}; expected {EXPECTED_HOST_FORM}") from exc
    if not (_HOSTNAME.match(hostname) or is_loopback(hostname)):
        raise ValueError(f"{hostname!r} is not a valid host name; expected {EXPECTED_HOST_FORM}")
    if parts.scheme == "http" and not is_loopback(hostname):
        raise ValueError(
            f"plain http:// is only allowed for loopback hosts (the local emulator); "
            f"use https for {hostname!r}"
        )
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    netloc += f":{port}" if port else ""
    warning = None
    if had_scheme and (parts.scheme == "https" or parts.path not in ("", "/")):
        warning = f"API host {text!r} was normalised to {netloc!r}; enter the bare host next time"
    return ApiHost(base_url=f"{parts.scheme}://{netloc}", host=netloc, warning=warning)


def account_key(host: ApiHost) -> str:
    """Which ActiveCampaign account a host reaches, so that two spellings of one account compare equal.

    The state layer's `account_identity` (one definition: ledgers, locks, pacers and the
    one-list-one-export check all key by it), given the scheme so a loopback default port is right.
    """
    return account_identity(host.base_url)


__all__ = ["EXPECTED_HOST_FORM", "ApiHost", "account_key", "normalize_api_host"]
