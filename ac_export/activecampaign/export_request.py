"""What one list's export is asked to do: the request every step of a run reads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ac_export.activecampaign.config import Export


@dataclass(frozen=True)
class ExportRequest:
    """What to export where, and how."""

    name: str
    export: Export
    account_host: str
    attribute_types: dict[str, str]
    dry_run: bool = False
    allow_large_removal: bool = False
    full_reconcile: bool = False
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # automation.yaml's approval.removals_above, and the removals a person approved for this run.
    approval_limit: int | None = None
    approved_removals: int | None = None
    # automation.yaml's privacy.mask_emails: everywhere (the plan and rejections tables masked too).
    mask_emails: bool = False
