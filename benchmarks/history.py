"""The `history` benchmark: what an unchanged run costs on a list that has seen a lot of churn.

A list of N members is exported, then 10 runs each replace 10% of its members (they leave, as many
new people join), then one run with nothing changed. Reading every unsubscribed contact of the list
on every run (the old way to find opt-outs) would cost leavers / 100 requests; verifying with the
list's counts costs the same few requests whatever the list has seen. A run after 10 members opted
out finds the counts explained by them and reads nothing more; the full reconcile that follows shows
what naming them costs: both sides of the list, once.
"""

from __future__ import annotations

import math
import shutil
from datetime import datetime
from pathlib import Path

import httpx
import polars as pl

from ac_export.activecampaign.api.limits import PAGE_SIZE
from ac_export.warehouse import Warehouse
from benchmarks.export import (
    LIST_ID,
    UNLIMITED,
    export_figures,
    prepared_export_warehouse,
    run_against,
)
from benchmarks.export_data import MEMBERS_TABLE, PROFILES_TABLE, members_frame, profiles_frame
from benchmarks.run_options import RunOptions
from benchmarks.worker import Figures, Params

CHURN_RUNS = 10
CHURN_SHARE = 0.10
OPT_OUTS = 10


def replace_members(warehouse: Warehouse, share: float) -> int:
    """`share` of the current members leave the segment and as many new profiles join; how many."""
    profiles = warehouse.read_frame(PROFILES_TABLE)
    members = warehouse.read_frame(MEMBERS_TABLE)
    current = members.filter(pl.col("left_at").is_null())
    leaving = current.head(math.ceil(current.height * share)).select("customer_id")
    joiners = profiles_frame(profiles.height, leaving.height)
    left = members.with_columns(
        left_at=pl.when(pl.col("customer_id").is_in(leaving["customer_id"].implode()))
        .then(pl.lit(datetime(2019, 4, 1)))
        .otherwise("left_at")
    )
    warehouse.write_frame(PROFILES_TABLE, pl.concat([profiles, joiners]))
    warehouse.write_frame(MEMBERS_TABLE, pl.concat([left, members_frame(joiners)]))
    return leaving.height


def history_task(params: Params) -> Figures:
    """Cold export, 10 runs of 10% churn, an unchanged run, then a run after 10 people opted out."""
    warehouse = Warehouse(Path(params["warehouse"]))
    shutil.rmtree(warehouse.root / "ledger", ignore_errors=True)
    first = export_figures(params, warehouse)
    leavers, churn_requests = 0, []
    for _ in range(CHURN_RUNS):
        leavers += replace_members(warehouse, CHURN_SHARE)
        churn_requests.append(export_figures(params, warehouse)["requests"])
    unchanged = export_figures(params, warehouse)
    opted_out = _opt_out_some(params["base_url"], warehouse, OPT_OUTS)
    after_opt_outs = export_figures(params, warehouse)
    full = export_figures(params, warehouse, full_reconcile=True)
    return {
        "members": unchanged["members"],
        "leavers": leavers,
        "first.requests": first["requests"],
        "churn.requests_median": sorted(churn_requests)[len(churn_requests) // 2],
        "unchanged.requests": unchanged["requests"],
        "unchanged.server_requests": unchanged["server_requests"],
        "unchanged.seconds": unchanged["seconds"],
        "unchanged.sent": unchanged["sent"],
        "reading_leavers_requests": math.ceil(leavers / PAGE_SIZE),
        "opt_outs": opted_out,
        "after_opt_outs.requests": after_opt_outs["requests"],
        "after_opt_outs.opted_out": after_opt_outs["opted_out"],
        "full_reconcile.requests": full["requests"],
        "full_reconcile.opted_out": full["opted_out"],
    }


def _opt_out_some(base_url: str, warehouse: Warehouse, count: int) -> int:
    """`count` current members unsubscribe themselves in ActiveCampaign (the emulator's control)."""
    members = warehouse.read_frame(MEMBERS_TABLE).filter(pl.col("left_at").is_null()).select("customer_id")
    emails = (
        warehouse.read_frame(PROFILES_TABLE)
        .join(members, on="customer_id")
        .filter(pl.col("email").str.contains(r"^[^@]+@[^@]+$"))
        .sort("customer_id")
        .head(count)["email"]
    )
    for email in emails:
        httpx.post(f"{base_url}/_emulator/optout", json={"email": email, "list": LIST_ID}).raise_for_status()
    return len(emails)


def history_repetition(options: RunOptions, members: int, folder: Path) -> Figures:
    """The history scenario against a fresh emulator with its limits off."""
    warehouse = prepared_export_warehouse(options.root, members)
    params = {"warehouse": str(warehouse.root), "pace": False, "time_scale": 1.0, "poll_interval_s": 0.0}
    return run_against(options, "export_history", params, folder, *UNLIMITED)
