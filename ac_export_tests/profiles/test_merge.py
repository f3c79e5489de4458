"""Merge policies and attribute groups: which record each profile attribute comes from."""

import random
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ac_export.profiles.schema import CANONICAL_ATTRIBUTES, profile_attribute_types
from ac_export.profiles.unify import unify
from ac_export.warehouse import Warehouse
from ac_export_tests.profiles.fixtures import exact, profile_of, rule, sources, unify_config, write_sources

ATTRIBUTES = ["email", "first_name", "phone", "street", "city", "postcode", "created_at", "tier"]
CONFIG = sources(crm=(10, ATTRIBUTES), shop=(20, ATTRIBUTES), pos=(30, ATTRIBUTES))
SAME_EMAIL = [rule("same_email", exact("email", "trim_case"))]

ROWS: dict[str, list[dict[str, Any]]] = {
    # Highest priority, oldest, no address.
    "crm": [
        {
            "id": "c",
            "email": "Ann@X.com",
            "first_name": "Ann",
            "created_at": datetime(2017, 1, 1),
            "tier": "gold",
        }
    ],
    # Newest, half an address.
    "shop": [
        {
            "id": "s",
            "email": "ann@x.com ",
            "first_name": "Annie",
            "phone": "(555) 201-0001",
            "city": "Leeds",
            "created_at": datetime(2019, 6, 1),
        }
    ],
    # Lowest priority, a full address, no date.
    "pos": [
        {
            "id": "p",
            "email": "ANN@x.com",
            "first_name": "A.",
            "phone": "555-201-9999",
            "street": "1 Main St",
            "city": "York",
            "postcode": "YO1",
            "tier": "silver",
        }
    ],
}


def _merge(
    warehouse: Warehouse, rows: dict[str, list[dict[str, Any]]] = ROWS, **merge: Any
) -> dict[str, Any]:
    write_sources(warehouse, rows, CONFIG)
    unify(warehouse, CONFIG, unify_config(match=SAME_EMAIL, merge=merge))
    return profile_of(warehouse, ("crm", "c"))


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "wh")


def test_source_priority_takes_the_first_source_that_has_a_value(warehouse: Warehouse) -> None:
    profile = _merge(warehouse)
    assert profile["first_name"] == "Ann"  # crm
    assert profile["tier"] == "gold"  # crm
    assert profile["phone"] == "+15552010001"  # crm has none: shop, in E.164
    assert profile["email"] == "ann@x.com"  # normalised
    assert profile["record_count"] == 3
    assert profile["sources"] == ["crm", "pos", "shop"]


def test_most_recent_and_least_recent_follow_the_recency_attributes(warehouse: Warehouse) -> None:
    profile = _merge(warehouse, attributes={"first_name": "most_recent", "created_at": "least_recent"})
    assert profile["first_name"] == "Annie"  # shop, 2019
    assert profile["created_at"] == datetime(2017, 1, 1)  # crm, 2017
    profile = _merge(warehouse, attributes={"tier": "most_recent"})
    assert profile["tier"] == "gold", "records without a date come last: crm (2017) beats pos (none)"


def test_most_filled_prefers_the_most_complete_record(warehouse: Warehouse) -> None:
    profile = _merge(warehouse, attributes={"first_name": "most_filled"})
    assert profile["first_name"] == "A."  # pos fills 7 of 8 attributes


def test_a_group_comes_from_one_record_never_mixed(warehouse: Warehouse) -> None:
    group = {"attributes": ["street", "city", "postcode"], "policy": "source_priority"}
    profile = _merge(warehouse, groups={"address": group})
    # shop (priority 20) has a city only; pos has a full address: the group takes shop's whole,
    # partial address rather than a street from pos and a city from shop.
    assert (profile["street"], profile["city"], profile["postcode"]) == (None, "Leeds", None)
    profile = _merge(warehouse, groups={"address": {**group, "policy": "most_filled"}})
    assert (profile["street"], profile["city"], profile["postcode"]) == ("1 Main St", "York", "YO1")
    ungrouped = _merge(warehouse)
    assert (ungrouped["street"], ungrouped["city"]) == ("1 Main St", "Leeds"), "without a group, fields mix"


def test_ties_do_not_depend_on_row_order(warehouse: Warehouse) -> None:
    config = sources(crm=(10, ["email", "first_name"]), shop=(10, ["email", "first_name"]))
    people = [{"id": f"k{i:02d}", "email": "same@x.com", "first_name": f"Name{i:02d}"} for i in range(20)]
    chosen = set()
    for seed in range(4):
        random.Random(seed).shuffle(people)
        by_source = {
            "crm": sorted(people, key=lambda p: p["id"])[:10],
            "shop": sorted(people, key=lambda p: p["id"])[10:],
        }
        write_sources(
            warehouse,
            {name: random.Random(seed).sample(rows, len(rows)) for name, rows in by_source.items()},
            config,
        )
        unify(warehouse, config, unify_config(dedup=[rule("email", exact("email"))], match=SAME_EMAIL))
        profiles = warehouse.read_frame("profiles/unified_profiles")
        assert profiles.height == 1
        chosen.add(profiles["first_name"][0])
    assert len(chosen) == 1, "equal priority, no dates: a fixed per-record tiebreak decides, never row order"


def test_profiles_carry_every_canonical_attribute_typed_and_extras_by_name(warehouse: Warehouse) -> None:
    _merge(warehouse)
    profiles = warehouse.read_frame("profiles/unified_profiles")
    expected = profile_attribute_types(CONFIG.extra_attribute_types())
    assert profiles.columns == list(expected)
    assert profiles.schema["birth_date"] == pl.Date  # mapped by no source: NULL, but typed
    assert profiles.schema["created_at"] == pl.Datetime("us")
    assert profiles.schema["sources"] == pl.List(pl.String)
    assert profiles["birth_date"].null_count() == profiles.height
    assert set(CANONICAL_ATTRIBUTES) <= set(profiles.columns)


def test_an_unparseable_phone_never_wins(warehouse: Warehouse) -> None:
    rows = {**ROWS, "shop": [{**ROWS["shop"][0], "phone": "-6854"}]}
    profile = _merge(warehouse, rows)
    assert profile["phone"] == "+15552019999"  # pos: the shop number is no E.164 number


def test_dates_merge_too(warehouse: Warehouse) -> None:
    config = sources(crm=(10, ["email", "birth_date"]), shop=(20, ["email", "birth_date"]))
    write_sources(
        warehouse,
        {
            "crm": [{"id": "c", "email": "a@x.com"}],
            "shop": [{"id": "s", "email": "a@x.com", "birth_date": date(1990, 5, 1)}],
        },
        config,
    )
    unify(warehouse, config, unify_config(match=SAME_EMAIL))
    assert profile_of(warehouse, ("crm", "c"))["birth_date"] == date(1990, 5, 1)
