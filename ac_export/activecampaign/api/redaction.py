"""One redactor for every string that leaves the ActiveCampaign client: the key never gets out.

A server may echo the request back in an error page (debug proxies, some gateways print every
header), so an answer's body can hold the key: as sent, URL-encoded, base64-encoded (alone or inside
an encoded `Api-Token: <key>` line), or wrapped across lines. `Redactor` removes all of these and any
`Api-Token` header line, whatever value it carries, from error messages, log lines and exceptions.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
# An echoed header line, in plain text, JSON or a Python dict repr: `Api-Token: x`, `"api-token": "x"`.
_HEADER_ECHO = re.compile(r"""(?i)(api[-_ ]?token["']?\s*[:=]\s*["']?)[^\s"',;}<]+""")
# Shorter keys would turn ordinary words into masks; ActiveCampaign keys are 64 hex characters.
_MIN_SECRET = 8


class Redactor:
    """Removes the given secrets, in every encoding a server might echo them in, from text."""

    def __init__(self, *secrets: str, mask: str = MASK) -> None:
        self._mask = mask
        forms: set[str] = set()
        for secret in (s.strip() for s in secrets):
            if len(secret) >= _MIN_SECRET:
                forms |= _encoded_forms(secret)
        # Longest first, so a form containing a shorter one is removed whole.
        self._forms = sorted(forms, key=len, reverse=True)
        self._split = [_split_pattern(s.strip()) for s in secrets if len(s.strip()) >= _MIN_SECRET]

    def __call__(self, text: str) -> str:
        """The text without any form of the secrets and without echoed `Api-Token` values."""
        for form in self._forms:
            text = text.replace(form, self._mask)
        for pattern in self._split:
            text = pattern.sub(self._mask, text)
        return _HEADER_ECHO.sub(lambda m: m.group(1) + self._mask, text)

    def error(self, error: BaseException) -> BaseException:
        """The same exception with its message arguments redacted (in place), for `raise`."""
        error.args = tuple(self(a) if isinstance(a, str) else a for a in error.args)
        return error


def _encoded_forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    forms |= _base64_cores(secret.encode())
    return {form for form in forms if len(form) >= _MIN_SECRET}


# Base64 writes 3 bytes as 4 characters of 6 bits. With 0, 1 or 2 bytes of other text before the
# secret in its group, the group's first 0, 2 or 3 characters mix in those bytes.
_MIXED_AT_START = {0: 0, 1: 2, 2: 3}


def _base64_cores(data: bytes) -> set[str]:
    """The characters of the base64 text of `data` that `data` alone determines, at each offset.

    A secret inside a longer encoded text (an `Api-Token: <key>` line in a basic-auth style echo)
    is encoded differently depending on its offset modulo 3, and its first and last characters
    share bits with its neighbours; the core of each alignment is what any such text contains.
    """
    cores: set[str] = set()
    for offset, skip in _MIXED_AT_START.items():
        leftover = (offset + len(data)) % 3
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(bytes(offset) + data).decode().rstrip("=")
            cores.add(text[skip : len(text) - (1 if leftover else 0)])
    return cores


def _split_pattern(secret: str) -> re.Pattern[str]:
    """The secret with any whitespace (line wrapping, spaces, tabs) between its characters."""
    return re.compile(r"\s*".join(re.escape(char) for char in secret), re.IGNORECASE)


class RedactingFilter(logging.Filter):
    """A log filter removing every registered secret from the records that pass it."""

    def __init__(self) -> None:
        super().__init__("ac_export.redaction")
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._redactor = Redactor()

    def add(self, secret: str) -> None:
        """Remember one more secret to remove."""
        with self._lock:
            if secret.strip() not in self._secrets:
                self._secrets.add(secret.strip())
                self._redactor = Redactor(*self._secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's message in place; never drop a record."""
        message = record.getMessage()
        cleaned = self._redactor(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


LOG_FILTER = RedactingFilter()
# Loggers that log requests and answers themselves. A logger's filters see only its own records, not
# those its children propagate, so ac_export's own modules are covered by the root handlers instead.
_LOGGERS = ("httpx", "httpcore")


def guard_logs(secret: str) -> None:
    """Register a secret with the log filter and put the filter on those loggers and the root handlers."""
    LOG_FILTER.add(secret)
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in _LOGGERS]
    targets += logging.getLogger().handlers
    for target in targets:
        if LOG_FILTER not in target.filters:
            target.addFilter(LOG_FILTER)
