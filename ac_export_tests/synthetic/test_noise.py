"""Noise comes at the rates asked for, and each kind of noise is the kind it claims to be."""

from __future__ import annotations

import math
import re
from pathlib import Path

import polars as pl
import pytest
from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import OSA

from ac_export.synthetic.generate import generate
from ac_export.synthetic.noise import PHONE_SHAPES, render_identity
from ac_export.synthetic.options import GenerateOptions
from ac_export.synthetic.people import build_people
from ac_export.synthetic.records import CONTACT_FILE, CRM_FILE, LOYALTY_FILE
from ac_export_tests.synthetic.conftest import read_small_truth

PEOPLE = 20_000

NOISY = GenerateOptions(
    profiles=PEOPLE,
    seed=3,
    email_case_rate=0.2,
    email_whitespace_rate=0.15,
    missing_email_rate=0.1,
    invalid_email_rate=0.1,
    other_email_rate=0.25,
    shared_email_rate=0.05,
    name_typo_rate=0.2,
    swapped_name_rate=0.3,
    phone_reformat_rate=0.4,
    garbage_phone_rate=0.1,
    missing_phone_rate=0.05,
    birth_date_conflict_rate=0.15,
    missing_birth_date_rate=0.05,
    gender_conflict_rate=0.1,
)


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    return build_people(NOISY)


@pytest.fixture(scope="module")
def records(people: pl.DataFrame) -> pl.DataFrame:
    """One noisy record per person, next to the person's clean values."""
    written = render_identity(people, NOISY, "test").drop("person_id").rename({"birth": "written_birth"})
    return pl.concat([people, written], how="horizontal")


def _near(rate: float, size: int = PEOPLE) -> object:
    """Four standard errors of a share around `rate`: seeded runs sit well inside, a wrong rate does not."""
    return pytest.approx(rate, abs=4 * math.sqrt(rate * (1 - rate) / size) + 0.002)


def _share(mask: pl.Series) -> float:
    return float(mask.cast(pl.Float64).mean() or 0.0)


def _is_valid_email(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def test_name_typos_are_one_edit_in_one_name(records: pl.DataFrame) -> None:
    first_changed = records["FirstName"] != records["first_name"]
    last_changed = records["LastName"] != records["last_name"]
    assert not (first_changed & last_changed).any()
    assert _share(first_changed | last_changed) == _near(NOISY.name_typo_rate)
    assert _share(first_changed) == _near(NOISY.name_typo_rate / 2)
    edited = records.filter(first_changed | last_changed)
    written = pl.concat_str("FirstName", pl.lit(" "), "LastName")
    clean = pl.concat_str("first_name", pl.lit(" "), "last_name")
    distances = {OSA.distance(a, b) for a, b in edited.select(written, clean).iter_rows()}
    assert distances == {1}


def test_full_name_is_first_last_or_swapped(records: pl.DataFrame) -> None:
    straight = records["FullName"] == records["FirstName"] + " " + records["LastName"]
    swapped = records["FullName"] == records["LastName"] + " " + records["FirstName"]
    assert (straight | swapped).all()
    assert _share(swapped & ~straight) == _near(NOISY.swapped_name_rate)


def test_birth_dates_missing_or_wrong_at_their_rates(records: pl.DataFrame) -> None:
    written, true = records["written_birth"], records["birth"]
    wrong = written.is_not_null() & (written != true)
    assert _share(written.is_null()) == _near(NOISY.missing_birth_date_rate)
    assert _share(wrong) == _near(NOISY.birth_date_conflict_rate)
    mistakes = records.filter(wrong).select(
        off=(pl.col("written_birth") - pl.col("birth")).abs(),
        written=pl.col("written_birth").cast(pl.Date),
        true=pl.col("birth").cast(pl.Date),
    )
    few_days = mistakes["off"] <= 28
    a_year = mistakes["off"] == 365
    day_month_swap = (mistakes["written"].dt.day() == mistakes["true"].dt.month()) & (
        mistakes["written"].dt.month() == mistakes["true"].dt.day()
    )
    assert (few_days | a_year | day_month_swap).all()
    assert few_days.any() and a_year.any() and day_month_swap.any()


def test_gender_flips_at_its_rate(records: pl.DataFrame) -> None:
    assert _share(records["Gender"] != records["gender"]) == _near(NOISY.gender_conflict_rate)


def test_emails_missing_malformed_or_a_real_address_of_the_person(records: pl.DataFrame) -> None:
    written = records["EMail"]
    assert _share(written.is_null()) == _near(NOISY.missing_email_rate)
    present = records.filter(written.is_not_null())
    valid = pl.Series([_is_valid_email(value.strip()) for value in present["EMail"]])
    invalid_share = (present.height - int(valid.sum())) / records.height
    assert invalid_share == _near(NOISY.invalid_email_rate)
    normalised = present.filter(valid).with_columns(pl.col("EMail").str.strip_chars().str.to_lowercase())
    primary = normalised["EMail"] == normalised["email"]
    other = normalised["EMail"] == normalised["other_email"]
    assert (primary | other).all()
    assert _share(other) == _near(NOISY.other_email_rate)


def test_email_case_and_whitespace_noise_at_their_rates(records: pl.DataFrame) -> None:
    written = records["EMail"].fill_null("")
    padded = written != written.str.strip_chars()
    recased = written.str.strip_chars() != written.str.strip_chars().str.to_lowercase()
    assert _share(padded) == _near(NOISY.email_whitespace_rate * 0.9)
    assert _share(recased) == _near(NOISY.email_case_rate * 0.9)


def _same_number(records: pl.DataFrame) -> pl.Series:
    """Whether each written phone holds the person's ten digits (whatever its shape)."""
    digits = (
        pl.col("Telephone")
        .str.replace(r"x\d+$", "")
        .str.replace(r"^(001-|\+1-)", "")
        .str.replace_all(r"\D", "")
    )
    return records.select(digits == pl.concat_str("area", "exchange", "line")).to_series().fill_null(False)


def test_phones_missing_or_broken_at_their_rates(records: pl.DataFrame) -> None:
    phone = records["Telephone"]
    assert _share(phone.is_null()) == _near(NOISY.missing_phone_rate)
    broken = phone.is_not_null() & ~_same_number(records)
    assert _share(broken) == _near(NOISY.garbage_phone_rate)


def test_phones_are_reshaped_at_their_rate(records: pl.DataFrame) -> None:
    home = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    for index, write in enumerate(PHONE_SHAPES):
        home = home.when(pl.col("phone_shape") == index).then(
            write(pl.col("area"), pl.col("exchange"), pl.col("line"))
        )
    shape = records.select(home != pl.col("Telephone").str.replace(r"x\d+$", "")).to_series()
    reshaped = _same_number(records) & shape
    well_formed = 1 - NOISY.missing_phone_rate - NOISY.garbage_phone_rate
    assert _share(reshaped) == _near(NOISY.phone_reformat_rate * well_formed)


def test_extensions_follow_the_person_except_on_bare_numbers(records: pl.DataFrame) -> None:
    shaped = records.filter(_same_number(records))
    has_extension = shaped["Telephone"].str.contains("x", literal=True)
    bare = shaped["Telephone"].str.contains(r"^\d{10}$")
    assert (has_extension == (shaped["extension"].is_not_null() & ~bare)).all()
    assert has_extension.any() and bare.any()


def test_households_share_email_surname_and_address(people: pl.DataFrame) -> None:
    joiners = people.filter(pl.col("household_of").is_not_null())
    assert joiners.height / people.height == _near(NOISY.shared_email_rate)
    hosts = people.select(pl.all().name.prefix("host_"))
    paired = joiners.join(hosts, left_on="household_of", right_on="host_person_id")
    for column in ("email", "last_name", "street", "city", "postcode"):
        assert (paired[column] == paired[f"host_{column}"]).all()
    assert (paired["person_id"] != paired["household_of"]).all()
    # Apart from households, no two people share an email, a second address or a phone number.
    assert people["email"].n_unique() == people.height - joiners.height
    assert people["other_email"].is_unique().all()
    assert people.select(pl.concat_str("area", "exchange", "line").is_unique().all()).item()


def test_people_are_plausible(people: pl.DataFrame) -> None:
    assert set(people["gender"].unique()) == {"Female", "Male"}
    assert people["last_name"].n_unique() > PEOPLE / 3
    assert people["email"].str.contains(r"^[a-z]+_[a-z]+\d*@[a-z-]+(\.[a-z]+)+$").all()
    assert all(_is_valid_email(value) for value in people["other_email"].head(500))
    assert re.fullmatch(r"\d{3}", people["area"][0])


def test_source_shares_and_duplicates_at_their_rates(tmp_path: Path) -> None:
    options = GenerateOptions(
        profiles=PEOPLE, contact_share=0.8, loyalty_share=0.3, crm_share=0.6, duplicate_rate=0.2
    )
    generate(tmp_path, options)
    truth = read_small_truth(tmp_path)
    for file, share in [(CONTACT_FILE, 0.8), (LOYALTY_FILE, 0.3), (CRM_FILE, 0.6)]:
        records = truth.filter(pl.col("file") == file)
        present = records["person_id"].n_unique()
        assert present / PEOPLE == _near(share)
        assert (records.height - present) / present == _near(options.duplicate_rate, present)
        assert records.group_by("person_id").len()["len"].max() == 2
