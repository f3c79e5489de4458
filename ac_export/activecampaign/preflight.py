"""The preflight: credentials, the list and every custom field checked before any write."""

from __future__ import annotations

from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import NotFoundError
from ac_export.activecampaign.config import Export
from ac_export.activecampaign.errors import ExportStopped


def preflight(
    client: ActiveCampaignClient, export: Export, *, dry_run: bool
) -> tuple[dict[str, int], list[str], str]:
    """Check credentials, the list and every custom field before any write.

    Returns the field ids, the fields created and the list's name. A missing field stops the export
    unless the export opts into creating it.
    """
    client.me()
    try:
        ac_list = client.get_list(export.list_id)
    except NotFoundError:
        raise ExportStopped(
            f"ActiveCampaign list {export.list_id} does not exist in this account; create it (Lists → Add a "
            f"list) or fix list_id in exports.yaml (`ac-export check-connection` prints the account's lists)"
        ) from None
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
    return field_ids, created, ac_list.name


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
