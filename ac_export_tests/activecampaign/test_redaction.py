"""The redactor removes the key in each form a server might echo it in, and only the key."""

import base64
import hashlib
import logging
from urllib.parse import quote, quote_plus

import pytest

from ac_export.activecampaign.api.redaction import MASK, Redactor, guard_logs

# Fixed (not random): parallel test workers must collect the same parametrized ids.
KEY = "ac-secret-" + hashlib.sha1(b"ac_export redaction test").hexdigest()


def _b64_inside(prefix: bytes, suffix: bytes) -> str:
    return base64.b64encode(prefix + KEY.encode() + suffix).decode()


@pytest.mark.parametrize(
    "text",
    [
        KEY,
        f"error: {KEY}.",
        quote(KEY, safe=""),
        quote_plus(KEY),
        KEY[:13] + "\n" + KEY[13:31] + " \t" + KEY[31:],
        base64.b64encode(KEY.encode()).decode(),
        base64.urlsafe_b64encode(KEY.encode()).decode(),
        *(_b64_inside(b"Api-Token: "[:n], b"\r\nAccept: */*"[:m]) for n in range(4) for m in range(3)),
        "headers={'Api-Token': 'something-else-entirely'}",
    ],
)
def test_every_form_of_the_key_is_removed(text: str) -> None:
    cleaned = Redactor(KEY)(text)

    assert MASK in cleaned
    assert KEY not in cleaned and KEY.removeprefix("ac-secret-") not in cleaned
    assert "something-else-entirely" not in cleaned  # an echoed header line, whatever its value


def test_other_text_is_left_alone_and_short_keys_do_not_mask_words() -> None:
    text = "GET /lists/3: HTTP 422: field 'email' is required"

    assert Redactor(KEY)(text) == text
    assert Redactor("abc")("abc abc") == "abc abc"


def test_log_lines_carrying_the_key_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        guard_logs(KEY)  # after the handlers are set up, as the client is created after logging is
        logging.getLogger("httpx").info("answer was %s", f"Api-Token: {KEY}")
        logging.getLogger("ac_export.activecampaign.list_export").warning("page said %s", KEY)

    assert KEY not in caplog.text
    assert "Api-Token: [redacted]" in caplog.text and "page said [redacted]" in caplog.text
