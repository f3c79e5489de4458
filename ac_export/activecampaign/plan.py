"""The export plan: segment members → mapped contacts → validated → diffed against the ledger.

Everything here is set-based SQL in the ledger's DuckDB connection; the plan lives in TEMP tables
(`plan_contacts`, `plan_ops`, `plan_rejections`) so a dry run writes nothing but its own plan table
(`preview.py`). The diff is SQL here, over the rows the ledger gives it (`Ledger.plan_inputs`): the
ops it chooses and the payloads of removals are the engine's, never the ledger's.
"""

from __future__ import annotations

import duckdb

from ac_export.activecampaign.api.limits import MAX_CONTACT_BYTES
from ac_export.activecampaign.api.payloads import (
    carries_field_values_sql,
    contact_payload_sql,
    field_value_sql,
    removal_payload_sql,
)
from ac_export.activecampaign.config import Export
from ac_export.activecampaign.emails import check_emails
from ac_export.contracts import MEASURES_TABLE, PROFILES_TABLE, ExportCounts, members_table
from ac_export.profiles.email_text import email_form_sql
from ac_export.state.ledger import (
    MISSING,
    NOT_OURS,
    ON_LIST,
    OPTED_OUT_STATUSES,
    PRE_EXISTING,
    PRE_EXISTING_MISSING,
    REFUSED,
    REMOVED,
    SUBSCRIBED,
    UNSUBSCRIBED_STATUSES,
    sql_in,
)
from ac_export.state.ledger_api import Ledger
from ac_export.warehouse import Warehouse, scalar

SEND_OPS = ("remove", "update", "resubscribe", "repair", "add")
# Ops whose contact ActiveCampaign may hold as unsubscribed when the ledger's view is partial: their
# payload subscribes it to the list, or (a removal) would record as removed by us someone who left
# by themselves, and so could be re-subscribed later. (A `resubscribe` is one we unsubscribed.)
SUBSCRIBING_OPS = ("add", "repair", "update", "remove")
# Each op's count (ExportCounts); `refused` (refused before, data unchanged since) is not sent again.
OP_COUNTS = {
    "add": "added",
    "update": "updated",
    "unchanged": "unchanged",
    "remove": "removed",
    "resubscribe": "resubscribed",
    "repair": "repaired",
    "opted_out": "opted_out",
    "unsubscribed_in_activecampaign": "unsubscribed_in_activecampaign",
    "refused": "rejected_by_activecampaign",
}
# Each rejection's count; a contact over the size limit counts as rejected by ActiveCampaign unsent.
REJECTION_COUNTS = {
    "rejected_missing_email": "rejected_missing_email",
    "rejected_invalid_email": "rejected_invalid_email",
    "duplicate_email": "duplicates_folded",
    "rejected_by_activecampaign": "rejected_by_activecampaign",
}


def quote_identifier(name: str) -> str:
    """A DuckDB identifier for a column name already validated against the attribute catalogue."""
    return '"' + name.replace('"', '""') + '"'


def _value_sql(column: str, kind: str) -> str:
    """A mapped attribute as ActiveCampaign's field text."""
    return field_value_sql(quote_identifier(column), kind)


def load_contacts(
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    export: Export,
    attribute_types: dict[str, str],
) -> None:
    """`plan_source`: one row per current member with the mapped contact fields as text."""
    members = warehouse.scan(members_table(export.segment))
    mapping = export.fields
    # The same form unification matched on (`email_text`), so one person is one contact.
    columns = [f"{email_form_sql(f'CAST(d.{quote_identifier(mapping.email)} AS VARCHAR)')} AS email"]
    for name in ("first_name", "last_name", "phone"):
        attribute = getattr(mapping, name)
        columns.append(
            f"{_value_sql(attribute, 'string')} AS {name}" if attribute else f"NULL::VARCHAR AS {name}"
        )
    for index, attribute in enumerate(mapping.custom.values()):
        columns.append(f"{_value_sql(attribute, attribute_types[attribute])} AS custom_{index}")
    joins = f"LEFT JOIN {warehouse.scan(PROFILES_TABLE)} p USING (customer_id)"
    if warehouse.exists(MEASURES_TABLE):
        joins += f" LEFT JOIN {warehouse.scan(MEASURES_TABLE)} x USING (customer_id)"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE plan_source AS
        SELECT d.customer_id, {", ".join(columns)}
        FROM (
            SELECT * FROM (SELECT DISTINCT customer_id FROM {members} WHERE left_at IS NULL) m {joins}
        ) d
        """
    )


def validate_new_emails(ledger: Ledger) -> None:
    """`email_checks`: validator verdicts for addresses the ledger has not seen accepted before."""
    known = ledger.plan_inputs()
    emails = ledger.con.sql(
        f"""
        SELECT DISTINCT s.email FROM plan_source s
        WHERE s.email IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {known} l WHERE l.email = s.email AND l.status IN {sql_in(ON_LIST)})
        """
    ).pl()["email"]
    checks = check_emails(emails)  # noqa: F841 - referenced by name in the SQL below
    ledger.con.execute("CREATE OR REPLACE TEMP TABLE email_checks AS SELECT * FROM checks")


def classify_contacts(con: duckdb.DuckDBPyConnection, export: Export, field_ids: dict[str, int]) -> None:
    """`plan_contacts`: every member with its ActiveCampaign email, payload, hash or rejection."""
    custom = [(field_ids[perstag], f"custom_{index}") for index, perstag in enumerate(export.fields.custom)]
    payload = contact_payload_sql(
        email="ac_email",
        first_name="first_name",
        last_name="last_name",
        phone="phone",
        tags="$tags::VARCHAR[]",
        fields=custom,
        list_id="$list_id",
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE plan_contacts AS
        WITH checked AS (
            SELECT s.*, coalesce(c.normalized, s.email) AS ac_email, c.problem
            FROM plan_source s LEFT JOIN email_checks c USING (email)
        ),
        shaped AS (
            SELECT *,
                row_number() OVER (PARTITION BY ac_email ORDER BY customer_id) AS email_rank,
                first(customer_id) OVER (PARTITION BY ac_email ORDER BY customer_id) AS kept_customer,
                {payload} AS payload
            FROM checked
        )
        SELECT customer_id, email, ac_email, payload, md5(payload) AS content_hash,
            CASE
                WHEN email IS NULL THEN 'rejected_missing_email'
                WHEN problem IS NOT NULL THEN 'rejected_invalid_email'
                WHEN email_rank > 1 THEN 'duplicate_email'
                WHEN strlen(payload) > $max_bytes THEN 'rejected_by_activecampaign'
            END AS rejection,
            CASE
                WHEN email IS NULL THEN 'no email address in the profile'
                WHEN problem IS NOT NULL THEN 'invalid email: ' || problem
                WHEN email_rank > 1 THEN 'same email as customer ' || kept_customer || '; folded into it'
                WHEN strlen(payload) > $max_bytes THEN 'contact data is ' || strlen(payload)
                    || ' bytes, over ActiveCampaign''s 399,999-byte request limit; shorten its field values'
            END AS reason
        FROM shaped
        """,
        {"tags": list(export.tags), "list_id": export.list_id, "max_bytes": MAX_CONTACT_BYTES},
    )


def diff_against_ledger(ledger: Ledger, export: Export) -> None:
    """`plan_ops`: what to do with each member, and with each leaver we subscribed (mirror only).

    Only contacts we subscribed (status subscribed) are ever removed; pre-existing subscribers are
    updated but kept; people who left the list in ActiveCampaign are never put back on it, even once
    ActiveCampaign forgot they left; members the list lost are repaired (someone else's stay theirs).
    """
    mirror = export.mode == "mirror"
    known = ledger.plan_inputs()
    ledger.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE plan_ops AS
        WITH valid AS (SELECT * FROM plan_contacts WHERE rejection IS NULL)
        SELECT v.ac_email AS email, v.customer_id,
            CASE
                WHEN l.status IN {sql_in(OPTED_OUT_STATUSES)} THEN 'opted_out'
                WHEN l.status IN {sql_in(UNSUBSCRIBED_STATUSES)} THEN 'unsubscribed_in_activecampaign'
                WHEN l.status IN {sql_in(ON_LIST)} AND l.content_hash = v.content_hash THEN 'unchanged'
                WHEN l.status IN {sql_in(ON_LIST)} THEN 'update'
                WHEN l.status = '{REMOVED}' THEN 'resubscribe'
                WHEN l.status IN ('{MISSING}', '{PRE_EXISTING_MISSING}') THEN 'repair'
                WHEN l.status = '{REFUSED}' AND l.content_hash = v.content_hash THEN 'refused'
                ELSE 'add'
            END AS op,
            v.content_hash, v.payload, coalesce(l.status IN {sql_in(NOT_OURS)}, FALSE) AS pre_existing
        FROM valid v LEFT JOIN {known} l ON l.email = v.ac_email
        UNION ALL
        SELECT l.email, l.customer_id, 'remove', NULL, {removal_payload_sql("l.email", "$list_id")}, FALSE
        FROM {known} l
        WHERE {str(mirror).upper()} AND l.status = '{SUBSCRIBED}'
          AND NOT EXISTS (SELECT 1 FROM valid v WHERE v.ac_email = l.email)
        """,
        {"list_id": export.list_id},
    )


def count_plan(ledger: Ledger) -> ExportCounts:
    """The plan's counts: what it would send, and how the members divide up."""
    con = ledger.con
    ops = con.execute("SELECT op, count(*) FROM plan_ops GROUP BY op").fetchall()
    rejections = con.execute(
        "SELECT rejection, count(*) FROM plan_contacts WHERE rejection IS NOT NULL GROUP BY 1"
    ).fetchall()
    members = scalar(con, "SELECT count(*) FROM plan_source")
    pre_existing = ledger.counts().of(PRE_EXISTING)
    return (
        counts_named(ops, OP_COUNTS)
        + counts_named(rejections, REJECTION_COUNTS)
        + ExportCounts(members=int(members), pre_existing=pre_existing)
    )


def counts_named(by_kind: list[tuple[str, int]], names: dict[str, str]) -> ExportCounts:
    """Counts by op or rejection (`names` gives each its count) as ExportCounts, the same count summed."""
    totals: dict[str, int] = {}
    for kind, count in by_kind:
        totals[names[kind]] = totals.get(names[kind], 0) + int(count)
    return ExportCounts.from_mapping(totals)


def list_size(ledger: Ledger) -> int:
    """Contacts we subscribed to the list, as the ledger has them."""
    return ledger.counts().of(SUBSCRIBED)


def subscribing_emails(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Emails the plan would send with a subscription that the ledger does not know as unsubscribed."""
    wanted = ", ".join(f"'{op}'" for op in SUBSCRIBING_OPS)
    rows = con.execute(f"SELECT email FROM plan_ops WHERE op IN ({wanted})").fetchall()
    return [str(row[0]) for row in rows]


def sends_custom_values(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the plan sends any contact with a custom field value (its payload names the field's id)."""
    wanted = ", ".join(f"'{op}'" for op in SEND_OPS)
    carries = carries_field_values_sql("payload")
    return bool(scalar(con, f"SELECT EXISTS (SELECT 1 FROM plan_ops WHERE op IN ({wanted}) AND {carries})"))


def build_plan(
    ledger: Ledger,
    warehouse: Warehouse,
    export: Export,
    attribute_types: dict[str, str],
    field_ids: dict[str, int],
) -> ExportCounts:
    """Compute the whole plan for one export into TEMP tables and return its counts."""
    load_contacts(ledger.con, warehouse, export, attribute_types)
    validate_new_emails(ledger)
    classify_contacts(ledger.con, export, field_ids)
    diff_against_ledger(ledger, export)
    return count_plan(ledger)


def send_queue_sql() -> str:
    """The contacts to send, in send order: (email, customer_id, op, content_hash, payload)."""
    order = "CASE op " + " ".join(f"WHEN '{op}' THEN {i}" for i, op in enumerate(SEND_OPS)) + " END"
    wanted = ", ".join(f"'{op}'" for op in SEND_OPS)
    return f"""
        SELECT email, customer_id, op, content_hash, payload FROM plan_ops
        WHERE op IN ({wanted}) ORDER BY {order}, email
    """


REMEMBERED_REFUSAL = "' (on an earlier run; not sent again until the contact''s data changes)'"


def rejection_rows_sql(ledger: Ledger, export_name: str) -> str:
    """The plan's rejections as rows for the warehouse table (one reason per row)."""
    name = export_name.replace("'", "''")
    return f"""
        SELECT '{name}' AS export, customer_id, email, rejection AS kind, reason, 'plan' AS stage
        FROM plan_contacts WHERE rejection IS NOT NULL
        UNION ALL
        SELECT '{name}', o.customer_id, o.email, 'rejected_by_activecampaign',
               coalesce(l.reason, 'refused by ActiveCampaign') || {REMEMBERED_REFUSAL}, 'activecampaign'
        FROM plan_ops o JOIN {ledger.plan_inputs()} l USING (email) WHERE o.op = 'refused'
    """
