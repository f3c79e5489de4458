"""Phone numbers to E.164: known shapes, agreement of the SQL path with phonenumbers, distinct values only."""

import random

import duckdb
import pytest

from ac_export.profiles import phones
from ac_export.profiles.phones import create_phone_map, fast_e164_select, to_e164


def _map(values: list[str], region: str = "US") -> dict[str, str | None]:
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?) AS raw", [values])
    create_phone_map(con, "SELECT raw FROM v", region)
    return dict(con.execute("SELECT raw, e164 FROM phone_map").fetchall())


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("983.566.0706x9509", "US", "+19835660706"),
        ("(764)822-8311", "US", "+17648228311"),
        ("+1-569-626-5660", "US", "+15696265660"),
        ("001-425-553-4802x94936", "US", "+14255534802"),  # 00 read as the international prefix
        ("1-604-555-5555", "US", "+16045555555"),
        ("-6854", "US", None),
        ("555-0199", "US", None),  # local only: no area code, no E.164
        ("call me", "US", None),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("030 1234567", "DE", "+49301234567"),
        ("30 1234567", "DE", "+49301234567"),
    ],
)
def test_known_numbers(text: str, region: str, expected: str | None) -> None:
    assert _map([text], region) == {text: expected}
    assert to_e164([text], region) == [expected]


SHAPES = [
    "{a}-{b}-{c}", "({a}){b}-{c}", "{a}.{b}.{c}x{e}", "+1-{a}-{b}-{c}", "001-{a}-{b}-{c}x{e}", "1{a}{b}{c}",
    "0{a}{b}{c}", "+44 {a} {b}{c}", "+49 {a}{b}{c}", "{b}{c}", "{a} {b} {c} ext. {e}", "-{c}", "0{a} {b} {c}",
    "{a}{b}{c}{e}", "+{a}{b}{c}", "44{a}{b}{c}", "8{a}{b}{c}", "{a}/{b}-{c}", "+7 {a} {b}{c}",
    "{a}{b}{c} #{e}", "+1-{a}-{b}", "0049 {a}{b}{c}",
]  # fmt: skip


@pytest.mark.parametrize("region", ["US", "CA", "DE", "FR", "IN", "RU", "CH", "GB"])
def test_sql_path_agrees_with_phonenumbers(region: str) -> None:
    rng = random.Random(region)

    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    values = sorted(
        {
            rng.choice(SHAPES).format(a=digits(3), b=digits(3), c=digits(4), e=digits(rng.randint(1, 5)))
            for _ in range(600)
        }
    )
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?) AS raw", [values])
    relation = "(SELECT raw, regexp_replace(raw, '^\\s*00', '+') AS text FROM v)"
    settled = dict(
        con.execute(f"SELECT raw, e164 FROM ({fast_e164_select(relation, 'text', region)})").fetchall()
    )
    reference = dict(zip(values, to_e164(values, region), strict=True))
    for raw, fast in settled.items():
        if fast is not None:
            assert (fast or None) == reference[raw], raw
    if region != "GB":  # GB strips trunk prefixes by a pattern: everything goes through phonenumbers
        assert sum(v is not None for v in settled.values()) > len(values) / 4


def test_phonenumbers_sees_each_unsettled_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = phones._library_e164

    def counting(text: str, region: str) -> str | None:
        calls.append(text)
        return original(text, region)

    monkeypatch.setattr(phones, "_library_e164", counting)
    values = (
        ["001-425-553-4802"] * 50
        + ["555-201-0001"] * 50
        + ["+44 20 7946 0958"] * 50
        + ["1-604-555-5555"] * 50
    )
    result = _map(values)
    assert result == {
        "001-425-553-4802": "+14255534802",
        "555-201-0001": "+15552010001",
        "+44 20 7946 0958": "+442079460958",
        "1-604-555-5555": "+16045555555",
    }
    # Simple US shapes are settled in SQL; another country and a trunk prefix go to phonenumbers, once each.
    assert sorted(calls) == ["+44 20 7946 0958", "1-604-555-5555"]
