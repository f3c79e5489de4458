"""Synthetic export input: `profiles/unified_profiles` and one segment's members, N contacts.

Built with Polars expressions from the row number, so a million contacts take a second. Emails
are realistic and distinct; a few are upper-cased (the plan normalises them), 1% are missing and
0.5% malformed (the plan rejects them), as in real profile data.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ac_export.contracts import PROFILES_TABLE, members_table
from ac_export.warehouse import Warehouse

SEGMENT = "bench"
MEMBERS_TABLE = members_table(SEGMENT)
ATTRIBUTE_TYPES = {
    "customer_id": "string",
    "email": "string",
    "first_name": "string",
    "last_name": "string",
    "phone": "string",
    "loyalty_tier": "string",
}
FIRST_NAMES = [
    "Abbie",
    "Adam",
    "Ana",
    "Ben",
    "Chloe",
    "Dmitri",
    "Erin",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "June",
]
LAST_NAMES = ["Moss", "Nguyen", "Okafor", "Patel", "Quinn", "Rossi", "Silva", "Tanaka", "Usman", "Vargas"]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "contoso.com", "fabrikam.net", "proton.me", "icloud.com"]
TIERS = ["Bronze", "Silver", "Gold", "Platinum"]
EVALUATED_AT = datetime(2019, 3, 31)


def profiles_frame(start: int, count: int) -> pl.DataFrame:
    """Profiles numbered start..start+count-1: customer_id, email, names, phone, loyalty_tier."""
    n = pl.int_range(start, start + count, dtype=pl.Int64)
    first = pl.lit(pl.Series(FIRST_NAMES)).gather(n % len(FIRST_NAMES))
    last = pl.lit(pl.Series(LAST_NAMES)).gather(n // len(FIRST_NAMES) % len(LAST_NAMES))
    domain = pl.lit(pl.Series(DOMAINS)).gather(n % len(DOMAINS))
    address = pl.concat_str(first, pl.lit("."), last, n.cast(pl.String), pl.lit("@"), domain)
    email = (
        pl.when(n % 100 == 7)
        .then(None)
        .when(n % 200 == 13)
        .then(address.str.replace("@", "@@"))
        .when(n % 20 == 3)
        .then(address.str.to_uppercase())
        .otherwise(address)
    )
    return pl.select(
        customer_id=pl.format("C{}", n.cast(pl.String).str.zfill(9)),
        email=email,
        first_name=first,
        last_name=last,
        phone=pl.format("+1{}{}", 202 + n % 700, (n % 10_000_000).cast(pl.String).str.zfill(7)),
        loyalty_tier=pl.lit(pl.Series(TIERS)).gather(n % len(TIERS)),
    )


def members_frame(profiles: pl.DataFrame) -> pl.DataFrame:
    """Every profile as a current member of the bench segment."""
    return profiles.select(
        "customer_id",
        joined_at=pl.lit(EVALUATED_AT),
        left_at=pl.lit(None, dtype=pl.Datetime("us")),
        evaluated_at=pl.lit(EVALUATED_AT),
    )


def write_export_tables(warehouse: Warehouse, contacts: int) -> None:
    """Write the profiles and the segment's members for `contacts` contacts."""
    profiles = profiles_frame(0, contacts)
    warehouse.write_frame(PROFILES_TABLE, profiles)
    warehouse.write_frame(MEMBERS_TABLE, members_frame(profiles))


def change_one_percent(warehouse: Warehouse) -> dict[str, int]:
    """Change 1% of the members: 0.5% change a field, 0.25% leave the segment, 0.25% new ones join."""
    profiles = warehouse.read_frame(PROFILES_TABLE).with_row_index("n")
    members = warehouse.read_frame(MEMBERS_TABLE).with_row_index("n")
    count = profiles.height
    joiners = profiles_frame(count, (count + 399) // 400)
    changed = profiles.with_columns(
        first_name=pl.when(pl.col("n") % 200 == 0)
        .then(pl.col("first_name") + "e")
        .otherwise(pl.col("first_name"))
    ).drop("n")
    left = members.with_columns(
        left_at=pl.when(pl.col("n") % 400 == 1).then(pl.lit(datetime(2019, 4, 1))).otherwise("left_at")
    ).drop("n")
    warehouse.write_frame(PROFILES_TABLE, pl.concat([changed, joiners]))
    warehouse.write_frame(MEMBERS_TABLE, pl.concat([left, members_frame(joiners)]))
    return {"changed": (count + 199) // 200, "left": (count + 398) // 400, "joined": joiners.height}
