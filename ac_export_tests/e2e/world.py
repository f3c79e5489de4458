"""The end-to-end world: a trimmed copy of the demo project over the real Contoso files, and its lists.

Three segments export to lists 1-3 of the emulated account; a fourth exports to a list the account
does not have, so its export fails and the failure alert has something to report.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import yaml

from ac_export.settings import PROJECT_ROOT
from ac_export.warehouse import Warehouse

GOOD_SEGMENTS = {"california_email_subscribers": 1, "high_value_online_buyers": 2, "gold_tier_starters": 3}
BROKEN_SEGMENT = "incomplete_contact_details"
MISSING_LIST = 404
LATE_SOURCE = "sources/WebsiteReviews_LinkedToEcommerceContacts.txt"
WEBHOOK_ENV = "AC_EXPORT_E2E_WEBHOOK_URL"
AUTOMATION = {
    "refresh": {"cron": "0 6,12,18 * * *", "timezone": "Europe/Paris", "enabled": False},
    "source_files": {"enabled": True, "minimum_interval_seconds": 5},
    "alerts": {"webhook_url_env": WEBHOOK_ENV, "timeout_seconds": 5},
}


def export_name(segment: str) -> str:
    """The demo's name for a segment's export."""
    return f"{segment}_to_activecampaign"


def _rewrite(path: Path, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump(change(data), sort_keys=False), encoding="utf-8")


def _keep_segments(data: dict[str, Any]) -> dict[str, Any]:
    keep = [*GOOD_SEGMENTS, BROKEN_SEGMENT]
    return {**data, "segments": {name: data["segments"][name] for name in keep}}


def _keep_exports(data: dict[str, Any]) -> dict[str, Any]:
    lists = {**GOOD_SEGMENTS, BROKEN_SEGMENT: MISSING_LIST}
    exports = {export_name(s): {**data["exports"][export_name(s)], "list_id": n} for s, n in lists.items()}
    return {**data, "exports": exports}


def write_project(root: Path) -> Path:
    """Copy data/config and data/sources under `root/data`, trimmed; one source file is held back."""
    data = root / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "config", data / "config")
    shutil.copytree(PROJECT_ROOT / "data" / "sources", data / "sources")
    _rewrite(data / "config" / "segments.yaml", _keep_segments)
    _rewrite(data / "config" / "exports.yaml", _keep_exports)
    (data / "config" / "automation.yaml").write_text(yaml.safe_dump(AUTOMATION), encoding="utf-8")
    (data / LATE_SOURCE).replace(root / Path(LATE_SOURCE).name)
    return data / "config"


def deliver_late_source(root: Path) -> None:
    """Move the held-back source file into place in one rename, as a careful uploader does."""
    (root / Path(LATE_SOURCE).name).replace(root / "data" / LATE_SOURCE)


def expected_list(warehouse: Warehouse, segment: str) -> set[str]:
    """Emails ActiveCampaign should hold for a segment: its current members minus rejected ones."""
    rejections = f"exports/{export_name(segment)}/rejections"
    rejected = (
        f"SELECT customer_id FROM {warehouse.scan(rejections)}" if warehouse.exists(rejections) else None
    )
    sql = (
        f"SELECT DISTINCT lower(trim(p.email)) FROM {warehouse.scan(f'segments/members/{segment}')} m "
        f"JOIN {warehouse.scan('profiles/unified_profiles')} p USING (customer_id) "
        "WHERE m.left_at IS NULL AND p.email IS NOT NULL"
        + (f" AND m.customer_id NOT IN ({rejected})" if rejected else "")
    )
    with closing(warehouse.connect()) as con:
        return {row[0] for row in con.execute(sql).fetchall()}
