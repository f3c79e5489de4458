"""The preflight: the list counted first (which checks the key too), read only when the counts cannot vouch.

Every endpoint answers a refused key with the same 403, so the first count checks the key as well
as `GET /users/me` would. The list's read (`GET /lists/{id}`) tells two things: that the list exists,
and its name, which the ledger remembers so that a list id now naming another list (an account
reset, a list deleted and made again) is found. When the ledger knows the list and ActiveCampaign
counts exactly the subscribers it has (not zero) and the unsubscribed contacts the last run left,
the list exists and holds our people, and a list put in its place at the same id would have to
hold the very same numbers: the read can tell nothing and is not made. Any other count reads it.
The custom fields are checked in `custom_fields.py`.
"""

from __future__ import annotations

from ac_export.activecampaign import verify
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError, NotFoundError
from ac_export.activecampaign.config import Export
from ac_export.activecampaign.errors import ExportStopped
from ac_export.activecampaign.verify import ListCounts
from ac_export.state.ledger_api import Ledger


def count_first(client: ActiveCampaignClient, list_id: int) -> tuple[ListCounts, str | None]:
    """The list's two counts, and its name when they cannot vouch for it without the ledger (none, or 404).

    A list that holds nobody is read before its ledger is opened, so a list id that names no list
    stops the export (with the fix) before anything is written, as it always did.
    """
    try:
        counted = verify.activecampaign_counts(client, list_id)
    except NotFoundError:
        read_list(client, list_id)
        raise ActiveCampaignError(
            f"ActiveCampaign answered 404 to counting list {list_id} although the list exists; nothing "
            f"was written. Run the export again; if it repeats, report it to ActiveCampaign",
            404,
        ) from None
    return counted, read_list(client, list_id) if counted.subscribed == 0 else None


def read_list(client: ActiveCampaignClient, list_id: int) -> str:
    """The list's name; ExportStopped with the fix if the account has no such list."""
    try:
        return client.get_list(list_id).name
    except NotFoundError:
        raise ExportStopped(
            f"ActiveCampaign list {list_id} does not exist in this account; create it (Lists → Add a "
            f"list) or fix list_id in exports.yaml (`ac-export check-connection` prints the account's lists)"
        ) from None


def list_name(
    client: ActiveCampaignClient,
    ledger: Ledger,
    export: Export,
    counted: ListCounts,
    *,
    full_reconcile_requested: bool,
) -> str:
    """The list's name: the ledger's when the counts vouch for the list, else read from ActiveCampaign.

    A full reconcile, due or requested, reads the whole list anyway: its name is read with it.
    """
    known = ledger.fact(verify.LIST_NAME_FACT)
    if known is None or not _counts_vouch(ledger, counted):
        return read_list(client, export.list_id)
    provisional = verify.verify(ledger, counted, known)
    _, full = verify.reconcile_reason(
        provisional, ledger, export.full_reconcile_every_days, requested=full_reconcile_requested
    )
    return read_list(client, export.list_id) if full else known


def _counts_vouch(ledger: Ledger, counted: ListCounts) -> bool:
    """Whether ActiveCampaign counts the ledger's subscribers (not none) and the unsubscribed last left.

    The last run remembered how many unsubscribed contacts the ledger does not know
    (`verify.remember_counts`); with the ones it knows, that is the unsubscribed count to expect.
    """
    unknown = ledger.fact(verify.UNKNOWN_UNSUBSCRIBED_FACT)
    if unknown is None or counted.subscribed == 0:
        return False
    ours = verify.ledger_counts(ledger)
    return counted == ListCounts(ours.subscribed, ours.unsubscribed + int(unknown))
