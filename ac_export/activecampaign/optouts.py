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
from ac_export.state.ledger import (
    OPTED_OUT_REMEMBERED,
    OPTED_OUT_STATUSES,
    UNSUBSCRIBED_REMEMBERED,
    UNSUBSCRIBED_STATUSES,
)
from ac_export.state.ledger_api import Ledger

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


def forget_opt_out(store: Ledger, email: str, by: str, note: str = "") -> ForgottenOptOut:
    """Forget one contact's opt-out from the list, so that the next run may subscribe it again.

    While ActiveCampaign still holds it unsubscribed, it becomes one we removed (the next run,
    were it a member, re-subscribes it through `contactLists`, as an import may not); an opt-out
    only the ledger remembered is dropped (the next run adds it as new).
    """
    key = email.strip().lower()
    status = store.status_of(key)
    if status not in FORGETTABLE:
        held = "nothing" if status is None else f"status {status!r}"
        raise NotOptedOut(
            f"the ledger holds no opt-out for {key} on this list (it holds {held}); nothing was forgotten"
        )
    record = ForgottenOptOut(key, str(status), by, datetime.now(UTC).isoformat(timespec="seconds"), note)
    with store.transaction():
        if status in (OPTED_OUT_REMEMBERED, UNSUBSCRIBED_REMEMBERED):
            store.forget([key])
        else:
            store.mark_removed([key], f"opt-out forgotten by {by} at {record.at}")
        store.record_fact(FORGOTTEN_FACT + key, json.dumps(asdict(record)))
    store.write_through()
    return record


def forgotten_opt_outs(store: Ledger) -> list[ForgottenOptOut]:
    """Every opt-out forgotten on this list, oldest first."""
    facts = store.facts_starting(FORGOTTEN_FACT)
    records = [ForgottenOptOut(**json.loads(value)) for value in facts.values()]
    return sorted(records, key=lambda record: record.at)
