"""What an export run shows in the UI: the plan of a dry run, the rejections, one list's history chart.

Tables are `MetadataValue.table` (first rows only) beside the path of the full warehouse table; the
history is a PNG written beside its table and embedded in markdown. The plan shows emails in full:
it is the run's own, for the people who launch and approve it (masked with automation.yaml's
`privacy.mask_emails: everywhere`). The rejections table is the asset's shared metadata, which
everyone who can see the asset reads: its emails are always masked.
"""

from __future__ import annotations

import base64

import dagster as dg

from ac_export.activecampaign.errors import ApprovalRequired
from ac_export.activecampaign.list_export import ExportResult
from ac_export.activecampaign.preview import PlanPreview
from ac_export.activecampaign.rejections import read_rejections
from ac_export.defs.metadata import table
from ac_export.warehouse import Warehouse

REJECTIONS_SHOWN = 25
PREVIEW_PREFIX = "preview/"  # every metadata key of a dry run's observation
# What matters first (the UI cuts wide tables on the right): what happens, to whom, why.
PLAN_COLUMNS = ["action", "email", "customer", "reason", "changed fields", "export"]
REJECTION_COLUMNS = [
    ("kind", "string"),
    ("reason", "string"),
    ("email (masked)", "string"),
    ("customer", "string"),
    ("export", "string"),
]

Metadata = dict[str, dg.MetadataValue | int | float | bool]


def plan_table(plans: list[tuple[str, PlanPreview]]) -> dg.TableMetadataValue:
    """The first rows of each export's plan (export, plan), removals first, in one table."""
    rows = [
        (action, email, customer, reason, changed, name)
        for name, plan in plans
        for customer, email, action, reason, changed in plan.sample
    ]
    masked = any(plan.masked for _, plan in plans)
    columns = [(f"{c} (masked)" if c == "email" and masked else c, "string") for c in PLAN_COLUMNS]
    return table(columns, rows)


def plan_metadata(results: list[ExportResult]) -> Metadata:
    """A dry run's plan: its first rows, removals first, as a table and where the full table is."""
    plans = [(r.name, r.preview) for r in results if r.preview]
    metadata: Metadata = {"dry_run": True, "plan": plan_table(plans)}
    for r in results:
        if r.preview:
            metadata[f"plan_path/{r.name}"] = dg.MetadataValue.path(str(r.preview.path))
            metadata[f"plan_rows/{r.name}"] = r.preview.rows
    warnings = [f"{r.name}: {w}" for r in results for w in r.warnings]
    if warnings:
        metadata["would_stop"] = dg.MetadataValue.text("\n".join(warnings))
    return metadata


def rejections_metadata(warehouse: Warehouse, results: list[ExportResult]) -> Metadata:
    """Every export's rejections (masked) as one table, and the path of each export's full table.

    A real run reads the table it has just written; a dry run writes none, so it shows its sample.
    """
    rows: list[tuple[str, ...]] = []
    metadata: Metadata = {}
    for r in results:
        found = None if r.dry_run else read_rejections(warehouse, r.name, limit=REJECTIONS_SHOWN)
        if found is None:
            rows += [(k, why, email, customer, r.name) for customer, email, k, why in r.rejection_sample]
            continue
        rows += [(kind, why, email, customer, r.name) for customer, email, kind, why, _ in found.rows]
        metadata[f"rejections_path/{r.name}"] = dg.MetadataValue.path(str(warehouse.path(found.table)))
    metadata["rejections"] = table(REJECTION_COLUMNS, rows[:REJECTIONS_SHOWN])
    return metadata


def history_metadata(results: list[ExportResult]) -> Metadata:
    """Each list's history chart, as an embedded picture and as the file beside its table."""
    parts: list[str] = []
    metadata: Metadata = {}
    for result in results:
        if result.history_chart is None:
            continue
        path, png = result.history_chart
        encoded = base64.b64encode(png).decode()
        parts.append(f"**{result.name}**\n\n![history of {result.name}](data:image/png;base64,{encoded})")
        metadata[f"history_chart/{result.name}"] = dg.MetadataValue.path(str(path))
    if parts:
        metadata["history"] = dg.MetadataValue.md("\n\n".join(parts))
    return metadata


def approval_metadata(approval: ApprovalRequired) -> Metadata:
    """A run waiting for approval: its plan's first rows, where the plan is, the number to approve."""
    plan = approval.plan
    return {
        "plan": plan_table([(approval.export, plan)]),
        f"plan_path/{approval.export}": dg.MetadataValue.path(str(plan.path)),
        f"plan_rows/{approval.export}": plan.rows,
        "removals_to_approve": approval.removals,
        "approval_removals_above": approval.limit,
    }
