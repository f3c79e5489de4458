"""A small hand-checked world for segment tests: six customers, their source records and activities.

As of 2019-06-30 the measures are (customer: online / store / total spend, orders, last purchase):
c1 5500 / 200 / 5700, 3, 2019-06-25 · c2 100 / 0 / 100, 1, 2018-01-10 · c3 0 / 50 / 50, 1, 2019-05-01
c4 5000 / 0 / 5000, 1, 2019-06-29 · c5 0 / 500 / 500, 3, 2019-06-30 · c6 nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from ac_export.profiles.schema import CANONICAL_ATTRIBUTES
from ac_export.warehouse import Warehouse

AS_OF = date(2019, 6, 30)
CUSTOMERS = ["c1", "c2", "c3", "c4", "c5", "c6"]
HOSTILE_NAME = "O'Brien; DROP TABLE p; --"

SOURCES_YAML: dict[str, Any] = {
    "profile_sources": {
        "crm": {
            "path": "sources/crm.csv",
            "primary_key": "Id",
            "columns": {
                "Email": "email",
                "First": "first_name",
                "State": "state",
                "Zip": "postcode",
                "Born": "birth_date",
                "Created": "created_at",
                "Subscriber": "email_subscriber",
                "Income": {"attribute": "income", "type": "float"},
                "Tier": "loyalty_tier",
            },
        },
        "loyalty": {
            "path": "sources/loyalty.csv",
            "primary_key": "LoyaltyId",
            "columns": {"Email": "email", "Points": {"attribute": "reward_points", "type": "integer"}},
        },
    },
    "activity_sources": {
        "orders": {
            "path": "sources/orders.csv",
            "primary_key": "OrderId",
            "links_to": {"source": "crm", "column": "ContactId"},
            "columns": {
                "PurchasedOn": {"attribute": "purchased_on", "type": "date"},
                "TotalPrice": {"attribute": "total_price", "type": "float"},
            },
        },
        "store_orders": {
            "path": "sources/store.csv",
            "primary_key": "PurchaseId",
            "links_to": {"source": "loyalty", "column": "LoyaltyId"},
            "columns": {
                "PurchasedOn": {"attribute": "purchased_on", "type": "date"},
                "TotalPrice": {"attribute": "total_price", "type": "float"},
                "Points": {"attribute": "reward_points_added", "type": "integer"},
            },
        },
        "reviews": {
            "path": "sources/reviews.csv",
            "primary_key": "ReviewId",
            "links_to": {"source": "crm", "column": "UserId"},
            "columns": {
                "Rating": {"attribute": "review_rating", "type": "integer"},
                "ReviewedOn": {"attribute": "review_date", "type": "date"},
                "Text": "review_text",
            },
        },
    },
}

SPEND = {"aggregation": "sum", "column": "total_price"}
PURCHASES = ["orders", "store_orders"]
MEASURES_YAML: dict[str, Any] = {
    "measures": {
        "online_spend": {"description": "Online spend", "activity": "orders", **SPEND},
        "store_spend": {"description": "In-store spend", "activity": "store_orders", **SPEND},
        "total_spend": {"description": "All spend", "activity": PURCHASES, **SPEND},
        "order_count": {"description": "Orders anywhere", "aggregation": "count", "activity": PURCHASES},
        "last_purchase": {
            "description": "Latest purchase date",
            "aggregation": "max",
            "activity": PURCHASES,
            "column": "purchased_on",
        },
        "first_purchase_amount": {
            "description": "Amount of the first priced purchase",
            "aggregation": "first",
            "activity": PURCHASES,
            "column": "total_price",
            "date_column": "purchased_on",
        },
        "last_order_amount": {
            "description": "Amount of the latest online order",
            "aggregation": "last",
            "activity": "orders",
            "column": "total_price",
            "date_column": "purchased_on",
        },
        "average_rating": {
            "description": "Average review rating",
            "aggregation": "average",
            "activity": "reviews",
            "column": "review_rating",
        },
        "best_rating": {
            "description": "Best review rating",
            "aggregation": "max",
            "activity": "reviews",
            "column": "review_rating",
        },
        "worst_rating": {
            "description": "Worst review rating",
            "aggregation": "min",
            "activity": "reviews",
            "column": "review_rating",
        },
        "reward_points_earned": {
            "description": "Points earned in store",
            "aggregation": "sum",
            "activity": "store_orders",
            "column": "reward_points_added",
        },
        "spend_last_30_days": {
            "description": "Spend in the 30 days up to as_of",
            "activity": PURCHASES,
            "date_column": "purchased_on",
            "window": {"last_days": 30},
            **SPEND,
        },
        "spend_2018": {
            "description": "Spend in 2018",
            "activity": PURCHASES,
            "date_column": "purchased_on",
            "window": {"since": date(2018, 1, 1), "until": date(2018, 12, 31)},
            **SPEND,
        },
        "big_orders": {
            "description": "Online orders of 2,500 or more",
            "aggregation": "count",
            "activity": "orders",
            "filter": [{"attribute": "total_price", "operator": ">=", "value": 2500}],
        },
    }
}


def _profiles() -> pl.DataFrame:
    rows = {
        "customer_id": CUSTOMERS,
        "record_count": [2, 1, 1, 1, 2, 1],
        "sources": [["crm", "loyalty"], ["crm"], ["loyalty"], ["crm"], ["crm", "loyalty"], ["crm"]],
        "email": ["ann@example.com", "bob@example.com", None, "o'brien@example.com", "  ", "dan@example.org"],
        "first_name": ["Ann", "Bob", "Cleo", HOSTILE_NAME, "Eve", "Dan"],
        "state": ["California", "Texas", None, "California", "Oregon", "california"],
        "postcode": ["94105", "73301", None, "90210", "97201", "94016"],
        "birth_date": [
            date(1980, 5, 1),
            date(1975, 1, 15),
            None,
            date(1990, 12, 31),
            date(2000, 2, 29),
            date(1965, 7, 4),
        ],
        "created_at": [
            datetime(2019, 6, 20, 9),
            datetime(2018, 3, 1, 12),
            datetime(2017, 11, 11),
            datetime(2019, 6, 28),
            datetime(2019, 1, 1),
            datetime(2016, 5, 5),
        ],
        "email_subscriber": ["Yes", "No", None, "Yes", "No", "Yes"],
        "income": [120000.0, 45000.0, None, 80000.0, 60000.0, 200000.0],
        "loyalty_tier": ["high", "medium", "low", "high", "medium", None],
        "reward_points": [300, None, 50, None, 1000, None],
    }
    frame = pl.DataFrame(rows, schema_overrides={"reward_points": pl.Int64, "income": pl.Float64})
    polars_types = {"string": pl.String, "date": pl.Date, "timestamp": pl.Datetime("us")}
    missing = [
        pl.lit(None, dtype=polars_types[kind]).alias(name)
        for name, kind in CANONICAL_ATTRIBUTES.items()
        if name not in frame.columns
    ]
    return frame.with_columns(missing)


def _links() -> pl.DataFrame:
    pairs = [
        ("c1", "crm", "C1"),
        ("c1", "loyalty", "L1"),
        ("c2", "crm", "C2"),
        ("c3", "loyalty", "L3"),
        ("c4", "crm", "C4"),
        ("c5", "crm", "C5"),
        ("c5", "loyalty", "L5"),
        ("c6", "crm", "C6"),
    ]
    return pl.DataFrame(pairs, schema=["customer_id", "source", "source_key"], orient="row")


def _activity(source: str, rows: list[tuple[object, ...]], columns: dict[str, pl.DataType]) -> pl.DataFrame:
    schema = {"activity_id": pl.String, "profile_key": pl.String, **columns}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_columns(pl.lit(source).alias("profile_source")).select(
        "activity_id", "profile_source", "profile_key", *columns
    )


def write_world(warehouse: Warehouse) -> None:
    """Write unified_profiles, profile_sources and the three activity tables."""
    warehouse.write_frame("profiles/unified_profiles", _profiles())
    warehouse.write_frame("profiles/profile_sources", _links())
    purchase = {"purchased_on": pl.Date, "total_price": pl.Float64}
    warehouse.write_frame(
        "activities/orders",
        _activity(
            "crm",
            [
                ("O1", "C1", date(2019, 6, 1), 3000.0),
                ("O2", "C1", date(2019, 6, 25), 2500.0),
                ("O3", "C2", date(2018, 1, 10), 100.0),
                ("O4", "C4", date(2019, 6, 29), 5000.0),
                ("O5", "C5", date(2019, 3, 1), None),
            ],
            purchase,
        ),
    )
    warehouse.write_frame(
        "activities/store_orders",
        _activity(
            "loyalty",
            [
                ("S1", "L1", date(2019, 6, 10), 200.0, 20),
                ("S2", "L3", date(2019, 5, 1), 50.0, 5),
                ("S3", "L5", date(2018, 12, 24), 400.0, 40),
                ("S4", "L5", date(2019, 6, 30), 100.0, 10),
            ],
            {**purchase, "reward_points_added": pl.Int64},
        ),
    )
    warehouse.write_frame(
        "activities/reviews",
        _activity(
            "crm",
            [
                ("R1", "C1", 5, date(2019, 6, 2), "Great"),
                ("R2", "C1", 3, date(2019, 6, 26), "ok; -- fine"),
                ("R3", "C2", 1, date(2018, 2, 1), "Bad"),
            ],
            {"review_rating": pl.Int64, "review_date": pl.Date, "review_text": pl.String},
        ),
    )


def write_config(
    config_dir: Path,
    segments: dict[str, Any],
    *,
    measures: dict[str, Any] | None = None,
    as_of: date | str = AS_OF,
    guard: dict[str, Any] | None = None,
) -> Path:
    """Write sources.yaml, measures.yaml and segments.yaml into a config folder; returns the folder."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "sources.yaml").write_text(yaml.safe_dump(SOURCES_YAML, sort_keys=False))
    (config_dir / "measures.yaml").write_text(yaml.safe_dump(measures or MEASURES_YAML, sort_keys=False))
    document: dict[str, Any] = {"as_of": as_of, "segments": segments}
    if guard is not None:
        document["guard"] = guard
    (config_dir / "segments.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return config_dir


def rule(attribute: str, operator: str, value: object = None, **extra: object) -> dict[str, object]:
    """One condition as it appears in YAML."""
    condition: dict[str, object] = {"attribute": attribute, "operator": operator, **extra}
    if value is not None:
        condition["value"] = value
    return condition


def segment(rules: object = None, **fields: object) -> dict[str, object]:
    """One segment definition as it appears in YAML."""
    definition: dict[str, object] = {"description": "test segment", **fields}
    if rules is not None:
        definition["rules"] = rules
    return definition
