"""The export's custom fields: planned with the ids the last lookup found, looked up before any value is sent.

A payload names each field by its id, and a bulk import silently drops a value for an id the
account no longer has (a field deleted and made again gets a new one), so no value is ever sent
with an id this run did not look up. Planning needs the ids only to build the payloads it compares
with the ledger's, so it plans with the ones remembered from the last lookup; the lookup (one
request per mapped field, creating or relating what the export allows) is made before any write
only when the plan sends a field value, and the plan is made again if an id changed. A run that
sends no field value — an unchanged run, removals only — makes no field request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ac_export.activecampaign import plan
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.config import Export
from ac_export.activecampaign.errors import ExportStopped
from ac_export.state.ledger_api import Ledger

# The ids the last lookup of a real run found, by personalization tag (JSON).
FIELD_IDS_FACT = "field_ids"


@dataclass(frozen=True)
class Fields:
    """The mapped fields' ids to plan with; whether this run looked them up; the fields it created."""

    ids: dict[str, int]
    looked_up: bool
    created: list[str] = field(default_factory=list)


def before_planning(client: ActiveCampaignClient, ledger: Ledger, export: Export, *, dry_run: bool) -> Fields:
    """The ids to plan with: the remembered ones when every mapped field has one, else looked up now.

    Batches an earlier run queued are sent again as they were, field ids and all, before this run
    plans: with any waiting, the fields are looked up (and made again, after an account reset) first.
    """
    known = remembered(ledger, export)
    if known is not None and not ledger.pending_batches():
        return Fields(known, looked_up=False)
    return _looked_up(client, ledger, export, dry_run=dry_run)


def before_sending(
    client: ActiveCampaignClient,
    ledger: Ledger,
    export: Export,
    planned_with: Fields,
    *,
    dry_run: bool,
) -> Fields:
    """The ids the plan's payloads may be sent with: looked up now if the plan sends a field value."""
    if planned_with.looked_up or not plan.sends_custom_values(ledger.con):
        return planned_with
    return _looked_up(client, ledger, export, dry_run=dry_run)


def remembered(ledger: Ledger, export: Export) -> dict[str, int] | None:
    """The mapped fields' ids as the last lookup found them; None if any mapped field has none."""
    raw = ledger.fact(FIELD_IDS_FACT)
    known: dict[str, int] = {str(tag): int(value) for tag, value in json.loads(raw).items()} if raw else {}
    if any(perstag not in known for perstag in export.fields.custom):
        return None
    return {perstag: known[perstag] for perstag in export.fields.custom}


def _looked_up(client: ActiveCampaignClient, ledger: Ledger, export: Export, *, dry_run: bool) -> Fields:
    """Look the fields up (creating and relating them if the export allows), and remember their ids."""
    ids, created = look_up(client, export, dry_run=dry_run)
    if not dry_run and ids:
        ledger.record_fact(FIELD_IDS_FACT, json.dumps(ids, sort_keys=True))
    return Fields(ids, looked_up=True, created=created)


def look_up(
    client: ActiveCampaignClient, export: Export, *, dry_run: bool
) -> tuple[dict[str, int], list[str]]:
    """Every mapped custom field's id, and the fields created; stops on one missing or off the list.

    A missing field stops the export unless the export opts into creating it; a dry run creates
    nothing (its id is 0).
    """
    field_ids: dict[str, int] = {}
    created: list[str] = []
    missing: list[str] = []
    unrelated: list[str] = []
    for perstag in export.fields.custom:
        found = client.field_by_perstag(perstag)
        if found is not None:
            field_ids[perstag] = found.id
            if not found.available_on(export.list_id):
                unrelated.append(perstag)
        elif export.create_missing_fields:
            field_ids[perstag] = 0 if dry_run else client.create_field(_title(perstag), perstag).id
            created.append(perstag)
        else:
            missing.append(perstag)
    if missing:
        raise ExportStopped(
            f"ActiveCampaign has no custom field with personalization tag {', '.join(missing)}; create it "
            f"(Contacts → Fields) or set create_missing_fields: true on the export"
        )
    _relate_fields(client, export, field_ids, unrelated, dry_run=dry_run)
    return field_ids, created


def _relate_fields(
    client: ActiveCampaignClient,
    export: Export,
    field_ids: dict[str, int],
    unrelated: list[str],
    *,
    dry_run: bool,
) -> None:
    """Make sure every mapped field is available on the list: without a relation its values may be lost."""
    if not unrelated:
        return
    if not export.create_missing_fields:
        raise ExportStopped(
            f"the custom field(s) {', '.join(unrelated)} are not available on list {export.list_id} in "
            f"ActiveCampaign, which may drop their values; add them to the list (Contacts → Fields → the "
            f"field → Lists) or set create_missing_fields: true on the export to let it add them"
        )
    if not dry_run:
        for perstag in unrelated:
            client.relate_field(field_ids[perstag], export.list_id)


def _title(perstag: str) -> str:
    return perstag.replace("_", " ").capitalize()
