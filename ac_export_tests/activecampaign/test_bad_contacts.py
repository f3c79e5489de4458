"""Bad input at the export: every member ends up on the list or in the rejections table with a reason.

Emails are checked by email-validator first and by ActiveCampaign's own rules second (the
emulator's); phones that are not E.164 are left out of the contact; values are sent verbatim.
"""

from __future__ import annotations

import pytest

from ac_export_tests.support.export_world import ExportWorld

# email as the profile holds it → where it must end up: the address subscribed, or a rejection kind.
EMAILS: dict[str, str] = {
    "": "rejected_missing_email",
    "   ": "rejected_missing_email",
    "no-at-sign": "rejected_invalid_email",
    "two@@example.com": "rejected_invalid_email",
    "a@b": "rejected_invalid_email",
    "trailing.dot@example.com.": "rejected_invalid_email",
    "a..b@example.com": "rejected_invalid_email",
    "a@example..com": "rejected_invalid_email",
    "a@-example.com": "rejected_invalid_email",
    "a@localhost": "rejected_invalid_email",
    "a@[127.0.0.1]": "rejected_invalid_email",
    "a@example.123": "rejected_invalid_email",
    '"a b"@example.com': "rejected_invalid_email",
    "a(b)@example.com": "rejected_invalid_email",
    "a\n@example.com": "rejected_invalid_email",
    "a\x00b@example.com": "rejected_invalid_email",
    "x" * 250 + "@example.com": "rejected_invalid_email",
    "a@example.c0m": "rejected_by_activecampaign",
    "user@пример.рф": "rejected_by_activecampaign",
    "  Spaced@Example.COM ": "spaced@example.com",
    "josé@example.com": "josé@example.com",
    "user@exämple.com": "user@exämple.com",
    "Ünïcödé@Exämple.de": "ünïcödé@exämple.de",
    "plus+tag@example.com": "plus+tag@example.com",
    "o'brien@example.ie": "o'brien@example.ie",
}


def test_every_hostile_email_is_subscribed_normalised_or_rejected_with_its_reason(world: ExportWorld) -> None:
    customers = world.people(len(EMAILS))
    for customer, email in zip(customers, EMAILS, strict=True):
        world.profiles[customer]["email"] = email

    result = world.run()

    table = world.warehouse.read_frame("exports/test_export/rejections")
    kinds = dict(zip(table["customer_id"], table["kind"], strict=True))
    assert all(reason.strip() for reason in table["reason"])
    for customer, (email, outcome) in zip(customers, EMAILS.items(), strict=True):
        if outcome.startswith("rejected_"):
            assert kinds.get(customer) == outcome, f"{email!r} should be {outcome}"
    expected = {outcome for outcome in EMAILS.values() if not outcome.startswith("rejected_")}
    assert world.subscribed() == expected
    counted = sum(
        int(result.counts.as_dict()[key])
        for key in ("added", "rejected_missing_email", "rejected_invalid_email", "rejected_by_activecampaign")
    )
    assert counted == result.counts.members == len(EMAILS)


def test_an_address_and_its_punycode_twin_are_one_contact(world: ExportWorld) -> None:
    first, second = world.people(2)
    world.profiles[first]["email"] = "user@exämple.com"
    world.profiles[second]["email"] = "user@xn--exmple-cua.com"

    world.run()

    table = world.warehouse.read_frame("exports/test_export/rejections")
    assert table["kind"].to_list() == ["duplicate_email"]
    assert f"same email as customer {first}" in table["reason"][0]
    assert world.subscribed() == {"user@exämple.com"}


@pytest.mark.parametrize(
    "phone", ["call me", "+1 (202) 555-0143", "00000", "+999999999999999999999", "+0123456789", "+1", "☎"]
)
def test_a_garbage_phone_is_left_out_and_the_contact_still_exported(world: ExportWorld, phone: str) -> None:
    (customer,) = world.people(1)
    world.profiles[customer]["phone"] = phone

    world.run()

    assert world.subscribed() == {"person0@example.com"}
    with world.emulator.api() as api:
        contact = api.get("/contacts", params={"email": "person0@example.com"}).json()["contacts"][0]
    assert contact["phone"] in ("", None)


def test_hostile_values_are_sent_verbatim_and_nulls_leave_fields_out(world: ExportWorld) -> None:
    hostile, empty = world.people(2)
    world.profiles[hostile]["first_name"] = "'; DROP TABLE ledger; --"
    world.profiles[hostile]["last_name"] = '</script><script>alert("x")</script>'
    world.profiles[hostile]["tier"] = "||gold||=cmd|' /C calc'!A0"
    world.profiles[empty].update(first_name=None, last_name=None, phone=None, tier=None, spend=None)

    result = world.run()

    assert result.counts.added == 2
    with world.emulator.api() as api:
        contact = api.get("/contacts", params={"email": "person0@example.com"}).json()["contacts"][0]
        bare = api.get("/contacts", params={"email": "person1@example.com"}).json()["contacts"][0]
    assert contact["firstName"] == "'; DROP TABLE ledger; --"
    assert contact["lastName"] == '</script><script>alert("x")</script>'
    assert (bare["firstName"], bare["lastName"]) == ("", "")


def test_a_megabyte_field_rejects_only_its_contact_with_the_size_in_the_reason(world: ExportWorld) -> None:
    big, small = world.people(2)
    world.profiles[big]["last_name"] = "é" * 500_000  # a megabyte of UTF-8

    result = world.run()

    table = world.warehouse.read_frame("exports/test_export/rejections")
    assert table["customer_id"].to_list() == [big]
    assert "bytes, over ActiveCampaign's 399,999-byte request limit" in table["reason"][0]
    assert result.counts.rejected_by_activecampaign == 1
    assert world.subscribed() == {"person1@example.com"}
    assert small not in table["customer_id"].to_list()
