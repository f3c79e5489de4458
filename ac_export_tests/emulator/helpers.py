"""Calls the emulator's contract tests share: polite requests, bulk imports, lists and fields."""

from __future__ import annotations

import time
from typing import Any

import httpx

POLL_S = 0.01


def call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request, waiting out 429s as a polite client would (for tests where limits are on)."""
    while True:
        response = client.request(method, path, **kwargs)
        if response.status_code != 429:
            return response
        time.sleep(float(response.headers["Retry-After"]))


def bulk(client: httpx.Client, contacts: list[dict[str, Any]], **top: Any) -> httpx.Response:
    """`POST /import/bulk_import` with these contacts (and top-level keys)."""
    return call(client, "POST", "/import/bulk_import", json={"contacts": contacts, **top})


def completed(client: httpx.Client, batch_id: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """Poll `import/info` until the batch completes; its body."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        info = call(client, "GET", "/import/info", params={"batchId": batch_id}).json()
        if info["status"] == "completed":
            return info
        time.sleep(POLL_S)
    raise AssertionError(f"batch {batch_id} did not complete in {timeout_s}s")


def imported(client: httpx.Client, contacts: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    """Bulk import these contacts, assert it was queued, and return the completed `import/info`."""
    response = bulk(client, contacts, **top)
    assert response.status_code == 200, response.text
    return completed(client, response.json()["batchId"])


def new_list(client: httpx.Client, name: str) -> int:
    """Create a list through the API; its id."""
    response = call(client, "POST", "/lists", json={"list": {"name": name}})
    assert response.status_code == 201, response.text
    return int(response.json()["list"]["id"])


def new_field(client: httpx.Client, perstag: str, field_type: str = "text", relid: int | None = 0) -> int:
    """Create a custom field through the API, on every list (relid 0) as ActiveCampaign's tools do; its id.

    `relid=None` leaves the field on no list at all.
    """
    body = {"field": {"title": perstag.title(), "type": field_type, "perstag": perstag}}
    response = call(client, "POST", "/fields", json=body)
    assert response.status_code == 201, response.text
    field_id = int(response.json()["field"]["id"])
    if relid is not None:
        relation = call(client, "POST", "/fieldRels", json={"fieldRel": {"field": field_id, "relid": relid}})
        assert relation.status_code == 201, relation.text
    return field_id


def contact_by_email(client: httpx.Client, email: str) -> dict[str, Any] | None:
    """The contact with this address through `GET /contacts?email=`, or None."""
    contacts = call(client, "GET", "/contacts", params={"email": email}).json()["contacts"]
    return contacts[0] if contacts else None
