"""Run the ActiveCampaign emulator in a subprocess for a test, and drive its `/_emulator/` endpoints."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx

from ac_export.activecampaign.api.tls import verifying_context
from ac_export.emulator.process import EmulatorProcess

PAGE_SIZE = 100


class EmulatorHandle:
    """A running emulator: its address and key, and the test controls around its account."""

    def __init__(self, process: EmulatorProcess, api_key: str) -> None:
        self.process = process
        self.base_url = process.base_url
        self.host = self.base_url.removeprefix("http://")
        self.api_key = api_key
        self._control = httpx.Client(base_url=self.base_url, timeout=30.0, verify=verifying_context())
        # The handle's own API calls (lists, memberships) share one client; the key is sent per call,
        # as a test may give the handle a new one (`handle.api_key = …`).
        self._api = httpx.Client(base_url=f"{self.base_url}/api/3", timeout=30.0, verify=verifying_context())

    def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._control.post(f"/_emulator/{path}", json=body or {})
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        """`GET /_emulator/stats`: requests, throttled, bulk_import_requests, contacts, by_endpoint, …"""
        response = self._control.get("/_emulator/stats")
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """Back to the start-up account, knobs and keys."""
        self._post("reset")

    def optout(self, email: str, list_id: int) -> None:
        """The contact unsubscribes itself from the list (never to be re-subscribed by an import)."""
        self._post("optout", {"email": email, "list": list_id})

    def empty_list(self, list_id: int) -> int:
        """The list loses every membership (a restore from backup, a hand edit); how many it lost."""
        return int(self._post(f"lists/{list_id}/empty")["memberships_dropped"])

    def unsubscribe_by_account(self, emails: str | list[str], list_id: int) -> None:
        """Someone in the account unsubscribes contacts (`POST /contactLists` status 2)."""
        self._set_memberships([emails] if isinstance(emails, str) else emails, list_id, status=2)

    def subscribe_by_account(self, emails: str | list[str], list_id: int) -> None:
        """Someone in the account adds contacts to the list by hand (created when new)."""
        self._set_memberships([emails] if isinstance(emails, str) else emails, list_id, status=1)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return _retrying(self._api, method, path, headers={"Api-Token": self.api_key}, **kwargs)

    def _set_memberships(self, emails: list[str], list_id: int, status: int) -> None:
        for email in emails:
            found = self._call("POST", "/contact/sync", json={"contact": {"email": email}}).json()
            body = {
                "contactList": {"list": list_id, "contact": int(found["contact"]["id"]), "status": status}
            }
            self._call("POST", "/contactLists", json=body)

    def exclude(self, email: str) -> None:
        """Put the address on the account's exclusion list."""
        self._post("exclusions", {"email": email})

    def bounce(self, email: str) -> None:
        """Mark the address as bounced."""
        self._post("bounces", {"email": email})

    def configure(self, **knobs: Any) -> dict[str, Any]:
        """Change knobs and readings at run time (fault_rate, …, resubscribe="lenient", failure_index=1)."""
        return self._post("config", knobs)

    def contact(self, email: str) -> dict[str, Any]:
        """`GET /_emulator/contacts/{email}`: id, memberships, field values and `automations_started`."""
        response = self._control.get(f"/_emulator/contacts/{email}")
        response.raise_for_status()
        return response.json()

    def revoke(self, api_key: str | None = None) -> None:
        """Revoke an API key (this handle's by default): later requests with it get 403."""
        self._post("revoke", {"api_key": api_key or self.api_key})

    def batch(self, batch_id: str) -> dict[str, Any]:
        """`GET /_emulator/batches/{id}`: a batch with the reason for every refused email."""
        response = self._control.get(f"/_emulator/batches/{batch_id}")
        response.raise_for_status()
        return response.json()

    def api(self) -> httpx.Client:
        """An httpx client for the emulated API (`/api/3/...`) that sends this handle's key."""
        return httpx.Client(
            base_url=f"{self.base_url}/api/3",
            headers={"Api-Token": self.api_key},
            timeout=30.0,
            verify=verifying_context(),
        )

    def create_list(self, name: str) -> int:
        """Create a list through the API and return its id."""
        response = self._call("POST", "/lists", json={"list": {"name": name}})
        return int(response.json()["list"]["id"])

    def list_members(self, list_id: int, status: int = 1) -> set[str]:
        """Emails of the list's contacts with this status, paging through the real API."""
        emails: set[str] = set()
        offset, total = 0, 1
        while offset < total:
            params = {"listid": list_id, "status": status, "limit": PAGE_SIZE, "offset": offset}
            page = self._call("GET", "/contacts", params=params).json()
            total = int(page["meta"]["total"])
            emails.update(contact["email"] for contact in page["contacts"])
            offset += PAGE_SIZE
        return emails

    def stop(self) -> None:
        """Stop gracefully (the state file, if any, is written)."""
        self._close_clients()
        self.process.stop()

    def kill(self) -> None:
        """Kill at once, as a crash would."""
        self._close_clients()
        self.process.kill()

    def _close_clients(self) -> None:
        self._control.close()
        self._api.close()


def _retrying(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One API call that waits out the emulator's 429s (the handle is test plumbing, not the client)."""
    while True:
        response = client.request(method, path, **kwargs)
        if response.status_code != 429:
            response.raise_for_status()
            return response
        time.sleep(float(response.headers["Retry-After"]))


# The emulator's readings of ActiveCampaign's ambiguous points (ac_export/emulator/README.md,
# "Readings"), as `configure` takes them: the exporter must be right under every one of them.
READINGS: dict[str, dict[str, Any]] = {
    "documented": {
        "resubscribe": "documented",
        "automations_flag": "per-contact",
        "failure_index": 0,
        "success_key": "Success",
        "fieldrels": "required",
        "lists_id_greater": "ignored",
        "lists_channel": "email",
        "lists_id_filter": "like",
        "date_bounds": "exclusive",
        "tag_search": "contains",
    },
    "lenient": {
        "resubscribe": "lenient",
        "automations_flag": "top-level",
        "failure_index": 1,
        "success_key": "success",
        "fieldrels": "lenient",
        "lists_id_greater": "honoured",
        "lists_channel": "all",
        "lists_id_filter": "exact",
        "date_bounds": "inclusive",
        "tag_search": "eq",
    },
}


@contextlib.contextmanager
def running_emulator(
    *args: str, api_key: str = "test-key", readings: tuple[str, ...] = ()
) -> Iterator[EmulatorHandle]:
    """Start `python -m ac_export.emulator --port 0 --api-key KEY *readings *args`; terminate it on exit.

    The emulator starts with its documented (stricter) readings unless `readings` says otherwise;
    export tests switch readings per test with `configure(**READINGS[name])`. Flags in `args`
    override `readings`.
    """
    handle = EmulatorHandle(EmulatorProcess(["--api-key", api_key, *readings, *args]), api_key)
    try:
        yield handle
    finally:
        handle.stop()
