"""customer_measures against values worked out by hand from the activities in fixtures.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from ac_export.warehouse import Warehouse
from ac_export_tests.segments.conftest import MEASURES, load, write_measures
from ac_export_tests.segments.fixtures import CUSTOMERS, MEASURES_YAML, PURCHASES, write_config, write_world

EXPECTED: dict[str, list[object]] = {
    # orders: c1 3000 (06-01) + 2500 (06-25); c2 100 (2018-01-10); c4 5000 (06-29); c5 one unpriced (03-01).
    "online_spend": [5500.0, 100.0, 0.0, 5000.0, 0.0, 0.0],
    # store orders via loyalty records: c1 200 (06-10); c3 50 (05-01); c5 400 (2018-12-24) + 100 (06-30).
    "store_spend": [200.0, 0.0, 50.0, 0.0, 500.0, 0.0],
    "total_spend": [5700.0, 100.0, 50.0, 5000.0, 500.0, 0.0],
    "order_count": [3, 1, 1, 1, 3, 0],
    "last_purchase": [
        date(2019, 6, 25),
        date(2018, 1, 10),
        date(2019, 5, 1),
        date(2019, 6, 29),
        date(2019, 6, 30),
        None,
    ],
    # c5's earliest order has no price, so its first priced purchase is the 2018 store order.
    "first_purchase_amount": [3000.0, 100.0, 50.0, 5000.0, 400.0, None],
    "last_order_amount": [2500.0, 100.0, None, 5000.0, None, None],
    "average_rating": [4.0, 1.0, None, None, None, None],
    "best_rating": [5, 1, None, None, None, None],
    "worst_rating": [3, 1, None, None, None, None],
    "reward_points_earned": [20, 0, 5, 0, 50, 0],
    # (2019-05-31, 2019-06-30]
    "spend_last_30_days": [5700.0, 0.0, 0.0, 5000.0, 100.0, 0.0],
    "spend_2018": [0.0, 100.0, 0.0, 0.0, 400.0, 0.0],
    "big_orders": [2, 0, 0, 1, 0, 0],
}


def test_every_measure_matches_hand_computed_values(world: Warehouse) -> None:
    table = world.read_frame(MEASURES)
    assert table["customer_id"].to_list() == CUSTOMERS
    for name, values in EXPECTED.items():
        assert table[name].to_list() == values, name


def test_column_types_follow_measure_types(world: Warehouse) -> None:
    schema = world.read_frame(MEASURES).schema
    assert schema["order_count"] == pl.Int64
    assert schema["reward_points_earned"] == pl.Int64
    assert schema["total_spend"] == pl.Float64
    assert schema["average_rating"] == pl.Float64
    assert schema["last_purchase"] == pl.Date
    assert list(schema) == ["customer_id", *MEASURES_YAML["measures"]]


def test_window_follows_as_of(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    write_world(warehouse)
    config = load(write_config(tmp_path / "config", {}, as_of=date(2019, 6, 10)))
    write_measures(warehouse, config)
    # (2019-05-11, 2019-06-10]: c1 3000 online (06-01) + 200 in store (06-10); c5's 06-30 order is later.
    assert warehouse.read_frame(MEASURES)["spend_last_30_days"].to_list() == [3200.0, 0, 0, 0, 0, 0]


def test_no_measures_gives_customer_ids_only(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    write_world(warehouse)
    config = load(write_config(tmp_path / "config", {}, measures={"measures": {}}))
    assert write_measures(warehouse, config) == len(CUSTOMERS)
    assert warehouse.read_frame(MEASURES).columns == ["customer_id"]


@pytest.mark.parametrize("activity", ["orders", "store_orders"])
def test_activity_rows_without_a_known_record_are_ignored(tmp_path: Path, activity: str) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    write_world(warehouse)
    table = f"activities/{activity}"
    orphan = warehouse.read_frame(table).head(1).with_columns(pl.lit("NOBODY").alias("profile_key"))
    warehouse.write_frame(table, pl.concat([warehouse.read_frame(table), orphan]))
    write_measures(warehouse, load(write_config(tmp_path / "config", {})))
    assert warehouse.read_frame(MEASURES)["total_spend"].to_list() == EXPECTED["total_spend"]


def test_measures_over_both_purchase_sources_combine_each_customers_rows(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    write_world(warehouse)
    both = {"description": "over both", "activity": PURCHASES, "column": "total_price"}
    measures = {
        "average_price": {"aggregation": "average", **both},
        "latest_amount": {"aggregation": "last", "date_column": "purchased_on", **both},
        "earliest_amount": {"aggregation": "first", "date_column": "purchased_on", **both},
        "first_date": {**both, "aggregation": "min", "column": "purchased_on"},
        "priced_orders": {"aggregation": "count", **both},
    }
    write_measures(warehouse, load(write_config(tmp_path / "config", {}, measures={"measures": measures})))
    table = warehouse.read_frame(MEASURES).sort("customer_id")
    # An average over two activities averages their rows together: c1 (3000 + 2500 + 200) / 3.
    assert table["average_price"].to_list() == [1900.0, 100.0, 50.0, 5000.0, 250.0, None]
    # c5's latest priced purchase is in store (06-30), its earliest in store too (2018-12-24).
    assert table["latest_amount"].to_list() == [2500.0, 100.0, 50.0, 5000.0, 100.0, None]
    assert table["earliest_amount"].to_list() == EXPECTED["first_purchase_amount"]
    assert table["first_date"].to_list() == [
        date(2019, 6, 1),
        date(2018, 1, 10),
        date(2019, 5, 1),
        date(2019, 6, 29),
        date(2018, 12, 24),
        None,
    ]
    assert table["priced_orders"].to_list() == [3, 1, 1, 1, 2, 0]
