"""The generated folder: deterministic, in Contoso's exact shape, with complete and correct ground truth."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from ac_export.settings import PROJECT_ROOT
from ac_export.synthetic.generate import MANIFEST_FILE, SOURCE_FILES, SOURCES_DIR, TRUTH_FILE, generate
from ac_export.synthetic.options import GenerateOptions
from ac_export_tests.synthetic.conftest import SMALL_PEOPLE, read_small_truth, read_source

CONTOSO = PROJECT_ROOT / "data" / "sources"
US_DATE = r"^\d{1,2}/\d{1,2}/\d{4}$"
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _files(folder: Path) -> dict[str, bytes]:
    names = [f"{SOURCES_DIR}/{name}" for name in SOURCE_FILES] + [TRUTH_FILE]
    return {name: (folder / name).read_bytes() for name in names}


def test_same_seed_and_options_give_byte_identical_files(tmp_path: Path) -> None:
    options = GenerateOptions(profiles=400, seed=11, duplicate_rate=0.2, name_typo_rate=0.3)
    generate(tmp_path / "a", options)
    generate(tmp_path / "b", options)
    generate(tmp_path / "c", options.model_copy(update={"seed": 12}))
    first = _files(tmp_path / "a")
    assert first == _files(tmp_path / "b")
    different = _files(tmp_path / "c")
    assert all(first[name] != different[name] for name in first)


@pytest.mark.parametrize("name", SOURCE_FILES)
def test_header_and_dialect_equal_contoso(small_data: Path, name: str) -> None:
    generated = (small_data / SOURCES_DIR / name).read_bytes()
    contoso_header = (CONTOSO / name).read_bytes().split(b"\n", 1)[0]
    assert generated.split(b"\n", 1)[0] == contoso_header
    assert b"\r" not in generated and b'"' not in generated
    assert generated.endswith(b"\n")
    widths = {line.count(b",") for line in generated.splitlines()}
    assert widths == {contoso_header.count(b",")}


@pytest.mark.parametrize(
    ("name", "column", "pattern"),
    [
        ("Contact.txt", "ContactId", r"^CNTID_\d+$"),
        ("Contact.txt", "DateOfBirth", US_DATE),
        ("Contact.txt", "CreatedOn", US_DATE),
        ("Contact.txt", "Email Subscriber", r"^(Yes|No)$"),
        ("Contact.txt", "Loyalty Tier", r"^(low|medium|high)$"),
        ("Contact.txt", "PostCode", r"^\d{5}$"),
        ("Contact.txt", "Income", r"^\d+\.\d+$"),
        ("Customer-Loyalty.txt", "LoyaltyId", r"^LOYID_\d+$"),
        ("Customer-Loyalty.txt", "ContactId", r"^CNTID_\d+$"),
        ("Customer-Loyalty.txt", "DateOfBirth", ISO_DATE),
        ("Customer-Loyalty.txt", "CreatedOn", ISO_DATE),
        ("Customer-Loyalty.txt", "CreditCard", r"^(Yes|No)$"),
        ("Customer-Loyalty.txt", "RewardPoints", r"^\d+$"),
        ("CustomerRecordContoso.txt", "DateOfBirth", US_DATE),
        ("CustomerRecordContoso.txt", "Gender", r"^(Male|Female)$"),
        ("OnlinePurchases.txt", "PurchaseId", r"^OPID_\d+$"),
        ("OnlinePurchases.txt", "ProductId", r"^ProdID_\d+$"),
        ("OnlinePurchases.txt", "PurchasedOn", US_DATE),
        ("POSPurchases.txt", "PurchaseId", r"^PID_\d+$"),
        ("POSPurchases.txt", "PurchasedOn", ISO_DATE),
        ("WebsiteReviews_LinkedToEcommerceContacts.txt", "ReviewId", r"^REVWID_\d+$"),
        ("WebsiteReviews_LinkedToEcommerceContacts.txt", "ReviewDate", US_DATE),
        ("WebsiteReviews_LinkedToEcommerceContacts.txt", "ReviewRating", r"^[2-5]$"),
    ],
)
def test_values_have_contoso_formats(small_data: Path, name: str, column: str, pattern: str) -> None:
    values = read_source(small_data, name)[column].drop_nulls()
    assert values.len() > 0
    assert values.str.contains(pattern).all(), values.filter(~values.str.contains(pattern)).head(5).to_list()


def test_dates_stay_in_the_requested_range(tmp_path: Path) -> None:
    generate(tmp_path, GenerateOptions(profiles=300, start_date=date(2020, 3, 1), end_date=date(2020, 3, 31)))
    online = read_source(tmp_path, "OnlinePurchases.txt")["PurchasedOn"].str.to_date("%m/%d/%Y")
    pos = read_source(tmp_path, "POSPurchases.txt")["PurchasedOn"].str.to_date("%Y-%m-%d")
    for dates in (online, pos):
        assert dates.min() == date(2020, 3, 1) and dates.max() == date(2020, 3, 31)


def test_truth_covers_every_profile_record_once(small_data: Path) -> None:
    truth = read_small_truth(small_data)
    for name, key in [("Contact.txt", "ContactId"), ("Customer-Loyalty.txt", "LoyaltyId")]:
        keys = read_source(small_data, name)[key]
        assert keys.is_unique().all()
        assert sorted(keys.to_list()) == sorted(truth.filter(pl.col("file") == name)["key"].to_list())
    crm = read_source(small_data, "CustomerRecordContoso.txt")["ContactId"]
    assert sorted(crm.to_list()) == sorted(truth.filter(pl.col("file") == "CustomerRecordContoso.txt")["key"])
    assert truth.select(pl.struct("file", "key").is_unique().all()).item()
    assert truth["person_id"].min() >= 0 and truth["person_id"].max() < SMALL_PEOPLE


def test_a_contact_id_never_names_two_people(small_data: Path) -> None:
    truth = read_small_truth(small_data).filter(pl.col("file") != "Customer-Loyalty.txt")
    people_per_id = truth.group_by("key").agg(pl.col("person_id").n_unique())
    assert people_per_id["person_id"].max() == 1
    # Contoso's shape: the CRM record of someone in Contact.txt carries the same ContactId.
    assert people_per_id.height < truth.height


def test_loyalty_contact_id_is_the_intended_link(small_data: Path) -> None:
    truth = read_small_truth(small_data)
    contact_person = (
        truth.filter(pl.col("file") != "Customer-Loyalty.txt")
        .select(ContactId="key", linked_person="person_id")
        .unique()
    )
    loyalty = read_source(small_data, "Customer-Loyalty.txt").join(
        truth.filter(pl.col("file") == "Customer-Loyalty.txt").select(LoyaltyId="key", person="person_id"),
        on="LoyaltyId",
    )
    linked = loyalty.filter(pl.col("ContactId").is_not_null()).join(
        contact_person, on="ContactId", how="left"
    )
    assert linked.height > 0.5 * loyalty.height
    assert (linked["linked_person"] == linked["person"]).all()
    # Without a link, the person has no Contact.txt or CRM record at all.
    unlinked = loyalty.filter(pl.col("ContactId").is_null())["person"]
    assert not unlinked.is_in(
        truth.filter(pl.col("file") != "Customer-Loyalty.txt")["person_id"].implode()
    ).any()


@pytest.mark.parametrize(
    ("activity", "column", "profile", "key"),
    [
        ("OnlinePurchases.txt", "ContactId", "Contact.txt", "ContactId"),
        ("POSPurchases.txt", "LoyaltyId", "Customer-Loyalty.txt", "LoyaltyId"),
        ("WebsiteReviews_LinkedToEcommerceContacts.txt", "UserId", "Contact.txt", "ContactId"),
    ],
)
def test_activities_link_to_existing_records(
    small_data: Path, activity: str, column: str, profile: str, key: str
) -> None:
    links = read_source(small_data, activity)[column]
    keys = read_source(small_data, profile)[key]
    assert links.len() > keys.len()
    assert links.is_in(keys.implode()).all()


def test_manifest_records_options_and_row_counts(small_data: Path) -> None:
    manifest = json.loads((small_data / MANIFEST_FILE).read_text())
    assert manifest["options"]["profiles"] == SMALL_PEOPLE and manifest["options"]["seed"] == 7
    assert manifest["options"]["contact_share"] == 0.9
    for name in SOURCE_FILES:
        lines = (small_data / SOURCES_DIR / name).read_bytes().count(b"\n")
        assert manifest["rows"][name] == lines - 1
    assert manifest["rows"][TRUTH_FILE] == read_small_truth(small_data).height
    assert manifest["seconds"] > 0


def test_config_yaml_is_copied(tmp_path: Path) -> None:
    config = tmp_path / "project_config"
    config.mkdir()
    (config / "sources.yaml").write_text("profile_sources: {}\n")
    (config / "notes.txt").write_text("not configuration")
    result = generate(tmp_path / "out", GenerateOptions(profiles=50), config)
    assert result.config_files == ["sources.yaml"]
    assert (tmp_path / "out" / "config" / "sources.yaml").read_text() == "profile_sources: {}\n"
    assert not (tmp_path / "out" / "config" / "notes.txt").exists()
