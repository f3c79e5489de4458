"""Which ActiveCampaign account a host reaches: the one identity ledgers, locks and pacers are keyed by.

Users write one account many ways (case, a default port, a trailing slash or `/api/3`, `localhost`
against 127.0.0.1, the account's API domain against its app domain). Keying shared state by the
spelling gave one account two ledgers and two pacers, so everything keyed by an account goes
through `account_identity` first. It sits in the state layer, the lowest one that needs it; the
API layer's `account_key` is this function.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# An account answers at <account>.api-us1.com (or api-us2, ...) and at <account>.activehosted.com.
_ACCOUNT_DOMAIN = re.compile(r"^(?P<account>[a-z0-9-]+)\.(api-[a-z]+[0-9]+\.com|activehosted\.com)$")
_DEFAULT_PORTS = {"https": 443, "http": 80}
LOOPBACK = "127.0.0.1"
# How many regional API domains (api-us1 … api-usN) an old spelling of an account may have used.
_REGIONS = 20


def is_loopback(hostname: str) -> bool:
    """Whether a host name is this machine (`localhost` or a loopback address)."""
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def account_identity(host: str) -> str:
    """The canonical identity of the account a host (a bare host or a URL) reaches.

    `acme.activehosted.com` for an ActiveCampaign account, `127.0.0.1:PORT` for anything on this
    machine, else the lower-cased host with its port unless it is the default. A bare host is
    taken as https, as `normalize_api_host` takes it. Idempotent: an identity is its own identity.
    """
    text = host.strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    hostname = (parts.hostname or text).rstrip(".").lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 443)
    except ValueError:
        return text.lower()
    match = _ACCOUNT_DOMAIN.match(hostname)
    if match:
        return f"{match['account']}.activehosted.com"
    if is_loopback(hostname):
        return f"{LOOPBACK}:{port}"
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    return netloc if port == _DEFAULT_PORTS.get(parts.scheme, 443) else f"{netloc}:{port}"


def spellings(identity: str) -> list[str]:
    """The host spellings (as `ApiHost.host` wrote them) that older versions keyed this account by.

    Only for state that cannot be listed by account (the embedded pacer's hashed file names);
    ledgers are found by reading their folder names back.
    """
    name, _, port = identity.rpartition(":")
    if name == LOOPBACK:
        hosts = [LOOPBACK, "localhost", "[::1]"]
        return [f"{h}:{port}" for h in hosts] + (hosts if port in ("80", "443") else [])
    if port.isdigit():
        return [identity]
    match = _ACCOUNT_DOMAIN.match(identity)
    names = [identity]
    if match:
        account = match["account"]
        names += [f"{account}.api-us{n}.com" for n in range(1, _REGIONS + 1)]
    return names + [f"{n}:443" for n in names]


__all__ = ["LOOPBACK", "account_identity", "is_loopback", "spellings"]
