"""`list_in_sync`: after each export, the list's subscribers in ActiveCampaign match the ledger's."""

from __future__ import annotations

import dagster as dg

from ac_export.activecampaign.list_export import ExportResult
from ac_export.defs.keys import EXPORT_ASSET_KEY

LIST_IN_SYNC_CHECK = dg.AssetCheckSpec(
    "list_in_sync",
    asset=EXPORT_ASSET_KEY,
    description=(
        "Subscribed contacts in ActiveCampaign against the ones the ledger has on the list (ours and "
        "pre-existing), counted after the run: fails when members are missing from the list."
    ),
)


def list_in_sync_result(results: list[ExportResult], *, dry_run: bool = False) -> dg.AssetCheckResult:
    """Fails (error) when ActiveCampaign lacks members we manage; warns when it has ones we never saw.

    A dry run reports the list as it is now, before the changes it would make.
    """
    missing = sum(r.tally.missing for r in results)
    unknown = sum(r.tally.unknown for r in results)
    metadata: dict[str, int] = {
        "activecampaign_subscribed": sum(r.tally.activecampaign_subscribed for r in results),
        "ours": sum(r.tally.ours for r in results),
        "pre_existing": sum(r.tally.pre_existing for r in results),
        "missing": missing,
        "unknown": unknown,
    }
    return dg.AssetCheckResult(
        check_name=LIST_IN_SYNC_CHECK.name,
        passed=missing == 0 and unknown == 0,
        severity=dg.AssetCheckSeverity.ERROR if missing else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=("dry run, the list as it is now: " if dry_run else "") + _describe(results),
    )


def _describe(results: list[ExportResult]) -> str:
    parts = []
    for r in results:
        s = r.tally
        if s.in_sync:
            parts.append(f"{r.name}: {s.activecampaign_subscribed} subscribed, as the ledger expects")
        else:
            parts.append(
                f"{r.name}: ActiveCampaign has {s.activecampaign_subscribed} subscribed, the ledger "
                f"{s.ours} ours + {s.pre_existing} pre-existing ({s.lost} of ours lost): "
                f"{s.missing} missing, {s.unknown} unknown (the next run reconciles and repairs)"
            )
    return "; ".join(parts) or "no exports for this segment"
