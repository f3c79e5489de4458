"""The plan as rows: each contact an export would add, update, remove, re-subscribe, leave or reject, and why.

It reads the plan's TEMP tables (`plan_ops`, `plan_contacts`) on the ledger's connection, so it
works for any run, dry or not. Changed fields are named by comparing a contact's new payload with
the one last confirmed for it, which `remember_sent` has the ledger keep (`Ledger.remember_sent`,
in a table of its own: the ledger's schema stays the ledger's; read back as `Ledger.last_sent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ac_export.activecampaign.api.payloads import payload_values_sql
from ac_export.activecampaign.masking import email_sql
from ac_export.contracts import plan_table
from ac_export.state.ledger import REFUSED
from ac_export.state.ledger_api import Ledger
from ac_export.warehouse import Warehouse, scalar

PREVIEW_SAMPLE_ROWS = 20
# Ops whose payload ActiveCampaign stores as the contact's fields (a removal changes only the status).
SENT_OPS = "('add', 'update', 'resubscribe', 'repair')"
# (plan op, action shown, reason shown), in the order a preview lists them: removals first, as they
# are what an operator must check before approving a run (and cannot undo for people who opted out).
ACTIONS = (
    ("remove", "remove", "left the segment; this project subscribed it"),
    ("add", "add", "new in the segment"),
    ("resubscribe", "resubscribe", "back in the segment after this project removed it"),
    ("repair", "repair", "subscribed by this project, then lost by the list (reset, emptied, restored)"),
    ("update", "update", "fields changed since the last export"),
    ("opted_out", "leave", "unsubscribed themselves from the list: never re-subscribed"),
    (
        "unsubscribed_in_activecampaign",
        "leave",
        "unsubscribed from the list in ActiveCampaign, not by this project: never subscribed",
    ),
    ("left_opted_out", "leave", "left the segment after unsubscribing themselves: nothing to do"),
    ("refused", "skip", "refused by ActiveCampaign on an earlier run, data unchanged: not sent again"),
)
PLAN_COLUMNS = ("export", "customer_id", "email", "action", "reason", "changed_fields")


@dataclass(frozen=True)
class PlanPreview:
    """Where an export's plan table is, how many rows it has, and its first rows.

    `sample` rows are (customer, email, action, reason, changed fields); emails are in full unless
    `masked` (automation.yaml's `privacy.mask_emails: everywhere`).
    """

    table: str
    path: Path
    rows: int
    sample: list[tuple[str, str, str, str, str]]
    masked: bool = False


def remember_sent(ledger: Ledger) -> None:
    """Keep the payload of every contact this run sent and ActiveCampaign confirmed (for changed fields)."""
    # Confirmed: the ledger holds the hash the contact was sent with.
    ledger.remember_sent(f"SELECT email, payload, content_hash FROM plan_ops WHERE op IN {SENT_OPS}")


def email_changes(con: duckdb.DuckDBPyConnection) -> int:
    """Members whose email changed: the plan removes their old address and adds their new one."""
    return int(scalar(con, f"SELECT count(DISTINCT customer_id) FROM ({_moves_sql()})") or 0)


def _moves_sql() -> str:
    return """
        SELECT r.customer_id, r.email AS old_email, a.email AS new_email
        FROM plan_ops r JOIN plan_ops a ON a.customer_id = r.customer_id
        WHERE r.op = 'remove' AND a.op IN ('add', 'resubscribe')
    """


def _changed_fields_sql(new: str, old: str, field_ids: dict[str, int]) -> str:
    """The names of the fields whose value differs between payloads `new` and `old`, comma-separated."""
    old_values = payload_values_sql(old, field_ids)
    checks = [
        f"CASE WHEN {value} IS DISTINCT FROM {old_values[name]} THEN '{name}' END"
        for name, value in payload_values_sql(new, field_ids).items()
    ]
    return f"array_to_string(list_filter([{', '.join(checks)}], lambda x: x IS NOT NULL), ', ')"


def plan_rows_sql(ledger: Ledger, export_name: str, field_ids: dict[str, int], *, mask: bool = False) -> str:
    """The plan's rows (PLAN_COLUMNS): every contact not left unchanged, in ACTIONS order, then rejections.

    Emails are in full (the plan is the operator's) unless `mask`.
    """
    name = export_name.replace("'", "''")
    order = "CASE o.op " + " ".join(f"WHEN '{op}' THEN {i}" for i, (op, _, _) in enumerate(ACTIONS)) + " END"
    action = "CASE o.op " + " ".join(f"WHEN '{op}' THEN '{shown}'" for op, shown, _ in ACTIONS)
    reason = "CASE o.op " + " ".join(f"WHEN '{op}' THEN '{why}'" for op, _, why in ACTIONS)
    previous = f"LEFT JOIN {ledger.last_sent()} s ON s.email = o.email"
    changed = _changed_fields_sql("o.payload", "s.payload", field_ids)
    return f"""
        WITH moves AS ({_moves_sql()})
        SELECT export, customer_id, {email_sql("email", mask=mask)} AS email, action, reason, changed_fields
        FROM (
            SELECT '{name}' AS export, o.customer_id, o.email,
                {action} ELSE o.op END AS action,
                CASE
                    WHEN o.op = 'remove' AND mo.customer_id IS NOT NULL
                        THEN 'email changed to ' || {email_sql("mo.new_email", mask=mask)}
                            || ': the old address is unsubscribed, the person stays a member'
                    WHEN o.op = 'remove' AND rj.customer_id IS NOT NULL
                        THEN 'still a member, but the profile''s email is now unusable (see its rejection); '
                            || 'the old address is unsubscribed'
                    WHEN mi.customer_id IS NOT NULL
                        THEN 'email changed from ' || {email_sql("mi.old_email", mask=mask)}
                    WHEN o.op = 'add' AND lg.status = '{REFUSED}'
                        THEN 'sent again: ActiveCampaign refused it last time ('
                            || coalesce(lg.reason, '?') || ')'
                    WHEN o.op = 'update' AND s.payload IS NULL
                        THEN 'fields changed since the last export (earlier values not recorded)'
                    ELSE {reason} ELSE replace(o.op, '_', ' ') END
                END AS reason,
                CASE WHEN o.op = 'update' AND s.payload IS NOT NULL THEN {changed} END AS changed_fields,
                {order} AS rank
            FROM plan_ops o {previous}
            LEFT JOIN {ledger.plan_inputs()} lg ON o.op = 'add' AND lg.email = o.email
            LEFT JOIN moves mo ON o.op = 'remove' AND mo.old_email = o.email
            LEFT JOIN moves mi ON o.op IN ('add', 'resubscribe') AND mi.new_email = o.email
            LEFT JOIN (SELECT DISTINCT customer_id FROM plan_contacts WHERE rejection IS NOT NULL) rj
                ON o.op = 'remove' AND rj.customer_id = o.customer_id
            WHERE o.op <> 'unchanged'
            UNION ALL
            SELECT '{name}', customer_id, coalesce(ac_email, email), 'reject', reason, NULL, 99
            FROM plan_contacts WHERE rejection IS NOT NULL
        ) ORDER BY rank NULLS LAST, email NULLS FIRST, customer_id
    """


def write_plan(
    ledger: Ledger,
    warehouse: Warehouse,
    export_name: str,
    field_ids: dict[str, int],
    sample_rows: int = PREVIEW_SAMPLE_ROWS,
    *,
    mask: bool = False,
) -> PlanPreview:
    """Write the plan table of `export_name` to the warehouse; returns where it is and its first rows.

    Emails are in full, for the people who run the export, unless `mask` (masked everywhere).
    """
    table = plan_table(export_name)
    sql = plan_rows_sql(ledger, export_name, field_ids, mask=mask)
    rows = warehouse.write_query(table, ledger.con, sql)
    sample = ledger.con.execute(
        f"""
        SELECT coalesce(customer_id, ''), email, action, reason, coalesce(changed_fields, '')
        FROM {warehouse.scan(table)} LIMIT {int(sample_rows)}
        """
    ).fetchall()
    shown = [(str(a), str(b), str(c), str(d), str(e)) for a, b, c, d, e in sample]
    return PlanPreview(table, warehouse.path(table), rows, shown, masked=mask)
