"""The export's set-wise email check gives email-validator's verdicts exactly, so its speed-up changes none.

(The benchmark found per-address validation to be most of a cold export; see BENCHMARKS.md.)
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ac_export.activecampaign.emails import check_emails, plain_address_expr, validate_each
from ac_export_tests.synthetic.conftest import read_source

PLAIN = ["a@b.co", "first.last+tag@sub.example.org", "x_y-z@a-b.c-d.com", "a@123.com", "p@x.co.uk"]
UNUSUAL = [
    "o'brien@x.com",
    "user@xn--bcher-kva.example",
    "üser@x.com",
    "a@b.c1",
    "a@x.c",
    "user@localhost",
    "user@foo.test",
    "user@foo.onion",
    "user@foo.arpa",
    "a..b@x.com",
    ".a@x.com",
    "a.@x.com",
    "a@-x.com",
    "a@x-.com",
    "a@x..com",
    "ab@ab--cd.com",
    "a@b",
    "a@[1.2.3.4]",
    "a b@x.com",
    "a@@x.com",
    "@x.com",
    "a@",
    "noatsign.com",
    "x" * 65 + "@x.com",
    "a@" + "x" * 64 + ".com",
    "a@" + ".".join(["abcdefghi"] * 25) + ".com",
    "a@x.com ",
]


def _verdicts(frame: pl.DataFrame) -> list[tuple[str, str | None, str | None]]:
    return sorted(frame.select("email", "normalized", "problem").iter_rows())


def test_plain_addresses_take_the_set_wise_path_and_the_rest_the_validator() -> None:
    flags = pl.DataFrame({"email": PLAIN + UNUSUAL}).select(plain_address_expr("email"))["email"].to_list()
    assert flags == [True] * len(PLAIN) + [False] * len(UNUSUAL)


@pytest.mark.parametrize("emails", [PLAIN, UNUSUAL, PLAIN + UNUSUAL])
def test_verdicts_equal_email_validator_on_every_address(emails: list[str]) -> None:
    assert _verdicts(check_emails(emails)) == _verdicts(validate_each(emails))


def test_verdicts_equal_email_validator_on_generated_data(small_data: Path) -> None:
    emails = (
        read_source(small_data, "Contact.txt")["EMail"]
        .drop_nulls()
        .str.strip_chars()
        .str.to_lowercase()
        .unique()
    )
    checked = check_emails(emails.to_list())
    assert _verdicts(checked) == _verdicts(validate_each(emails.to_list()))
    assert checked["problem"].null_count() < checked.height  # the generator's malformed addresses are there
