"""An export's rejections as people read them: email (masked when shared), kind, reason, stage."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass

from ac_export.activecampaign.masking import email_sql
from ac_export.contracts import rejections_table
from ac_export.warehouse import Warehouse

REJECTION_COLUMNS = ("customer_id", "email", "kind", "reason", "stage")


@dataclass(frozen=True)
class Rejections:
    """An export's rejections table: how many rows, and the first ones (emails masked unless asked not to)."""

    table: str
    total: int
    rows: list[tuple[str, str, str, str, str]]
    by_kind: dict[str, int]


def read_rejections(
    warehouse: Warehouse,
    export_name: str,
    limit: int | None = None,
    kind: str | None = None,
    *,
    mask: bool = True,
) -> Rejections | None:
    """The latest run's rejections of an export (None if it has not written any yet).

    Emails are masked (as shared metadata shows them) unless `mask` is False (the operator's terminal).
    """
    table = rejections_table(export_name)
    if not warehouse.exists(table):
        return None
    where = "WHERE kind = $kind" if kind else ""
    params: dict[str, object] = {"kind": kind} if kind else {}
    top = f"LIMIT {int(limit)}" if limit is not None else ""
    with closing(warehouse.connect()) as con:
        rows = con.execute(
            f"""
            SELECT coalesce(customer_id, ''), coalesce({email_sql("email", mask=mask)}, ''),
                   kind, reason, stage
            FROM {warehouse.scan(table)} {where} ORDER BY kind, customer_id {top}
            """,
            params,
        ).fetchall()
        kinds = con.execute(
            f"SELECT kind, count(*) FROM {warehouse.scan(table)} GROUP BY kind ORDER BY kind"
        ).fetchall()
    by_kind = {str(k): int(n) for k, n in kinds}
    shown = [(str(a), str(b), str(c), str(d), str(e)) for a, b, c, d, e in rows]
    return Rejections(table, sum(by_kind.values()), shown, by_kind)
