"""Forgetting an opt-out: the operator's deliberate way back for a person who asked to come back.

The export never subscribes again someone the ledger saw leave the list, even once ActiveCampaign
forgot it (a reset, a list emptied). Besides the person being subscribed to the list again by
another's doing than ours (then they are `pre_existing`, see `reconcile`), this is the only way
back, and it leaves a record of who forgot the opt-out, when and why, in the list's ledger.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from ac_export.errors import UserError
from ac_export.state import ledger
from ac_export.state.ledger import (
    OPTED_OUT_REMEMBERED,
    OPTED_OUT_STATUSES,
    REMOVED,
    UNSUBSCRIBED_REMEMBERED,
    UNSUBSCRIBED_STATUSES,
)
from ac_export.state.store import LedgerStore

# One fact per forgotten opt-out: `opt_out_forgotten <email>` → who, when, why, the status it had.
FORGOTTEN_FACT = "opt_out_forgotten "
FORGETTABLE = (*OPTED_OUT_STATUSES, *UNSUBSCRIBED_STATUSES)


class NotOptedOut(UserError, ValueError):
    """The list's ledger holds no opt-out for this email; the message says what it holds."""


@dataclass(frozen=True)
class ForgottenOptOut:
    """The record an operator's forgetting leaves in the ledger."""

    email: str
    status_before: str
    by: str
    at: str
    note: str


def forget_opt_out(store: LedgerStore, email: str, by: str, note: str = "") -> ForgottenOptOut:
    """Forget one contact's opt-out from the list, so that the next run may subscribe it again.

    While ActiveCampaign still holds it unsubscribed, it becomes one we removed (the next run,
    were it a member, re-subscribes it through `contactLists`, as an import may not); an opt-out
    only the ledger remembered is dropped (the next run adds it as new).
    """
    con = store.con
    key = email.strip().lower()
    row = con.execute("SELECT status FROM ledger WHERE email = ?", [key]).fetchone()
    status = None if row is None else str(row[0])
    if status not in FORGETTABLE:
        held = "nothing" if status is None else f"status {status!r}"
        raise NotOptedOut(
            f"the ledger holds no opt-out for {key} on this list (it holds {held}); nothing was forgotten"
        )
    record = ForgottenOptOut(key, str(status), by, datetime.now(UTC).isoformat(timespec="seconds"), note)
    with ledger.transaction(con):
        if status in (OPTED_OUT_REMEMBERED, UNSUBSCRIBED_REMEMBERED):
            con.execute("DELETE FROM ledger WHERE email = ?", [key])
        else:
            con.execute(
                "UPDATE ledger SET status = ?, reason = ?, content_hash = NULL, updated_at = now() "
                "WHERE email = ?",
                [REMOVED, f"opt-out forgotten by {by} at {record.at}", key],
            )
        ledger.write_fact(con, FORGOTTEN_FACT + key, json.dumps(asdict(record)))
    store.write_through()
    return record


def forgotten_opt_outs(store: LedgerStore) -> list[ForgottenOptOut]:
    """Every opt-out forgotten on this list, oldest first."""
    rows = store.con.execute(
        "SELECT value FROM facts WHERE starts_with(name, ?)", [FORGOTTEN_FACT]
    ).fetchall()
    records = [ForgottenOptOut(**json.loads(str(value))) for (value,) in rows]
    return sorted(records, key=lambda record: record.at)
