"""A small, typed client for the part of ActiveCampaign API v3 that exports use.

Every call has a timeout, is paced to the account's limits, honours `Retry-After`, and retries
5xx answers, timeouts and dropped connections with exponential backoff and jitter — within a time
budget per call and per phase of a run (`budget.py`). Answers are streamed and refused past a size
cap, and every paged read or count checks itself (`paging.py`) before anything uses it.
"""

from __future__ import annotations

import random
import re
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from ac_export.activecampaign.api.budget import Budget, PhaseClock, RequestClock
from ac_export.activecampaign.api.defaults import ACCOUNT_DEFAULTS
from ac_export.activecampaign.api.errors import (
    ActiveCampaignError,
    AnswerTooLarge,
    AuthenticationError,
    BulkValidationError,
    InconsistentRead,
    NotFoundError,
)
from ac_export.activecampaign.api.limits import (
    ALL_LISTS,
    BULK_RATE_LIMIT_MESSAGE,
    MAX_ANSWER_BYTES,
    PAGE_SIZE,
    RequestKind,
)
from ac_export.activecampaign.api.paging import WHAT_NEXT, PagedRead, checked_count
from ac_export.activecampaign.api.redaction import Redactor, guard_logs
from ac_export.activecampaign.api.statuses import ListStatus
from ac_export.activecampaign.api.tls import verifying_context
from ac_export.state.pacer import AccountPacer, NoPacing

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
# ActiveCampaign is known to answer a valid key with an occasional 403 (independent clients retry
# it); a revoked key keeps answering 403, so after these retries the refusal stands.
AUTH_RETRIES = 2
AUTH_RETRY_WAIT_S = 0.5
# What an HTTP header value may hold; anything else would make httpx raise an error quoting the key.
_SENDABLE_KEY = re.compile(r"[\x21-\x7e]+")


@dataclass
class ClientStats:
    """What the client did: requests sent, answers that said slow down, and retries."""

    requests: int = 0
    throttled: int = 0
    retries: int = 0
    by_status: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AcList:
    """An ActiveCampaign list."""

    id: int
    name: str


@dataclass(frozen=True)
class CustomField:
    """A custom contact field, known to users by its personalization tag."""

    id: int
    title: str
    perstag: str
    type: str
    # The lists the field is available on (`fieldRels`; 0 means every list).
    list_ids: frozenset[int] = frozenset()

    def available_on(self, list_id: int) -> bool:
        """Whether values of this field are kept for contacts of the list."""
        return 0 in self.list_ids or list_id in self.list_ids


@dataclass(frozen=True)
class QueuedImport:
    """A bulk import ActiveCampaign accepted for asynchronous processing."""

    batch_id: str
    queued_contacts: int


@dataclass(frozen=True)
class ImportStatus:
    """The processing state of a bulk import; `failure` lists the emails ActiveCampaign refused."""

    status: str | None
    success: tuple[str, ...]
    failure: tuple[str, ...]

    @property
    def done(self) -> bool:
        """Whether ActiveCampaign finished processing the batch."""
        return self.status == "completed"

    @property
    def broken(self) -> bool:
        """Whether processing ended without completing (resubmitting is safe)."""
        return self.status in ("failed", "interrupted")


class ActiveCampaignClient:
    """HTTP client for one ActiveCampaign account.

    Example:
        with ActiveCampaignClient("https://acme.api-us1.com", key) as client:
            client.get_list(3)

    `transport` replaces httpx's network transport (e.g. `httpx.MockTransport` or a proxy's), as in
    httpx itself; TLS verification stays on whatever the transport. The client owns its pacer:
    `close()`, or leaving the with-block, closes it (a postgres pacer's connection with it).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        pacer: AccountPacer | NoPacing | None = None,
        timeout_s: float = ACCOUNT_DEFAULTS.timeout_s,
        max_retries: int = ACCOUNT_DEFAULTS.max_retries,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        budget: Budget | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        key = sendable_key(api_key)
        # Every message built from an answer passes this: a server may echo the key back.
        self._redact = Redactor(key)
        guard_logs(key)
        self._http = httpx.Client(
            base_url=f"{base_url}/api/3",
            headers={"Api-Token": key, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            verify=verifying_context(),  # TLS verification is never turned off.
            transport=transport,
        )
        self.pacer = pacer or NoPacing()
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._budget = budget or Budget()
        self._max_answer_bytes = max_answer_bytes
        self.phase = PhaseClock(self._budget)
        self.stats = ClientStats()

    def __enter__(self) -> ActiveCampaignClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool and the pacer: the client owns the pacer it was given."""
        try:
            self._http.close()
        finally:
            self.pacer.close()

    def begin_phase(self, name: str) -> None:
        """Name the phase of the run that follows (e.g. "the reads"); its trouble budget starts afresh."""
        self.phase.begin(name)

    # -- transport ---------------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_max_s, self._backoff_base_s * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)

    def _request(
        self, method: str, path: str, *, kind: RequestKind = RequestKind.GENERAL, **kwargs: Any
    ) -> httpx.Response:
        """Send one request, paced, retrying what is safe to retry within its budget; the final answer."""
        clock = RequestClock(f"{method} {path}", self._budget.for_kind(kind))
        refusals = 0
        throttled_for = 0.0
        for attempt in range(self._max_retries + 1):
            if attempt:
                self.stats.retries += 1
            waited = time.monotonic()
            stamp = self.pacer.acquire(kind)
            # Pacing is not trouble; only the part of the wait a rate limit asked for is.
            clock.extend(time.monotonic() - waited - throttled_for)
            throttled_for = 0.0
            self.stats.requests += 1
            sent = time.monotonic()
            try:
                response = self._send(method, path, clock, **kwargs)
            except _BROKEN as exc:
                _refuse_unverified_tls(exc, self._http.base_url.host)
                self._trouble(clock, sent, _transport_problem(exc))
                if attempt < self._max_retries:
                    self._pause(clock, self._backoff(attempt))
                continue
            finally:
                self.pacer.settle(kind, stamp)
            self.stats.by_status[response.status_code] = self.stats.by_status.get(response.status_code, 0) + 1
            problem, wait = self._verdict(response, kind, attempt, refusals)
            if problem is None:
                return response
            self._trouble(clock, sent, problem)
            if response.status_code == 403:
                refusals += 1
            if attempt == self._max_retries:
                break
            if problem.startswith("HTTP 429") or problem.startswith("the bulk window"):
                self.stats.throttled += 1
                # A full bulk window (HTTP 400) holds back bulk imports only; a 429 every request.
                self._throttle(clock, wait, kind if response.status_code == 400 else None)
                throttled_for = wait
            else:
                self._pause(clock, wait)
        raise clock.out_of_time(retries_spent=True)

    def _verdict(
        self, response: httpx.Response, kind: RequestKind, attempt: int, refusals: int
    ) -> tuple[str | None, float]:
        """(what is wrong with the answer, seconds to wait before asking again); (None, 0) to use it."""
        wait = self._throttle_wait(response, kind, attempt)
        if wait is not None:
            if response.status_code == 429:
                told = "" if _retry_after(response) is not None else " without Retry-After"
                return f"HTTP 429 (rate limited{told})", wait
            return "the bulk window full (HTTP 400)", wait
        if response.status_code in RETRYABLE_STATUS:
            return f"HTTP {response.status_code}", self._backoff(attempt)
        if response.status_code == 403 and refusals < AUTH_RETRIES and attempt < self._max_retries:
            return "HTTP 403", AUTH_RETRY_WAIT_S * (refusals + 1)
        if response.is_success and not _is_json_object(response):
            # An empty or non-JSON answer says nothing; like a dropped connection, ask again.
            return _not_json_problem(response), self._backoff(attempt)
        return None, 0.0

    def _send(self, method: str, path: str, clock: RequestClock, **kwargs: Any) -> httpx.Response:
        """One attempt: the answer streamed in, refused past the size cap or the call's deadline."""
        left = max(0.05, clock.remaining())
        timeout = httpx.Timeout(min(self._timeout_s, left), connect=min(self._timeout_s, 10.0, left))
        with self._http.stream(method, path, timeout=timeout, **kwargs) as streamed:
            declared = streamed.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self._max_answer_bytes:
                raise self._too_large(clock.call, f"declares {int(declared):,} bytes")
            chunks: list[bytes] = []
            size = 0
            for chunk in streamed.iter_bytes():
                size += len(chunk)
                if size > self._max_answer_bytes:
                    raise self._too_large(clock.call, f"passed {self._max_answer_bytes:,} bytes")
                if clock.remaining() <= 0:
                    raise _Overdue
                chunks.append(chunk)
        # Decoded already: the copy must not claim an encoding or a length it no longer has.
        headers = [
            (name, value)
            for name, value in streamed.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            streamed.status_code, headers=headers, content=b"".join(chunks), request=streamed.request
        )

    def _too_large(self, call: str, what: str) -> AnswerTooLarge:
        return AnswerTooLarge(
            f"ActiveCampaign's answer to {call} {what}, more than any answer of its API (a page of 100 "
            f"contacts is a few hundred KB); it was not read further. Check that the connection's API host "
            f"is ActiveCampaign's; {WHAT_NEXT.split(';')[0]}"
        )

    def _trouble(self, clock: RequestClock, since: float, problem: str) -> None:
        """Count a failed attempt against the call and the phase."""
        clock.note(problem)
        self.phase.charge(time.monotonic() - since, f"{problem} on {clock.call}")

    def _pause(self, clock: RequestClock, seconds: float) -> None:
        """Wait before the next attempt, or give up now if the wait would pass the call's deadline."""
        if seconds >= clock.remaining():
            raise clock.out_of_time(f"; the next wait ({seconds:.0f} s) would pass that budget")
        self.phase.charge(seconds, f"waiting to retry {clock.call}")
        time.sleep(seconds)

    def _throttle(self, clock: RequestClock, seconds: float, window: RequestKind | None) -> None:
        """Honour a rate limit's wait through the pacer (every run on the account waits) if it fits."""
        if seconds >= clock.remaining():
            raise clock.out_of_time(f"; the wait it asks for ({seconds:.0f} s) would pass that budget")
        self.phase.charge(seconds, f"rate limited on {clock.call}")
        self.pacer.block(seconds, window)

    def _throttle_wait(self, response: httpx.Response, kind: RequestKind, attempt: int) -> float | None:
        """Seconds to wait if the answer is a rate limit (429, or bulk import's 400), else None."""
        if response.status_code == 429:
            return _retry_after(response) or self._backoff(attempt)
        if response.status_code == 400 and kind is not RequestKind.GENERAL:
            body = _json_or_empty(response)
            if body.get("message") == BULK_RATE_LIMIT_MESSAGE:
                # The bulk window is a minute long and this answer carries no Retry-After.
                return _retry_after(response) or self._backoff(attempt + 3)
        return None

    def _call(self, method: str, path: str, *, kind: RequestKind = RequestKind.GENERAL, **kwargs: Any) -> Any:
        response = self._request(method, path, kind=kind, **kwargs)
        if response.status_code == 403:
            raise AuthenticationError(
                "ActiveCampaign refused the API key (HTTP 403): check that the key in the connection's "
                "environment variable is current and belongs to this account"
            )
        if response.status_code == 404:
            message = str(_json_or_empty(response).get("message") or f"{method} {path}: not found")
            raise NotFoundError(_short(self._redact(message)))
        if response.status_code >= 400:
            raise ActiveCampaignError(
                f"{method} {path}: HTTP {response.status_code}: {self._body(response)}", response.status_code
            )
        return _json_or_empty(response)

    def _body(self, response: httpx.Response) -> str:
        """The start of an answer's body for a message, without any echo of the key."""
        # Redacted before it is shortened, so a cut cannot leave part of the key unrecognised.
        return _short(self._redact(response.text))

    # -- endpoints ---------------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The key's user: a cheap credentials check."""
        return _member(self._call("GET", "/users/me"), "user", "GET /users/me")

    def get_list(self, list_id: int) -> AcList:
        """One list; NotFoundError if the account has no such list."""
        body = _member(self._call("GET", f"/lists/{list_id}"), "list", f"GET /lists/{list_id}")
        return _ac_list(body)

    def lists(self) -> list[AcList]:
        """Every list of the account (paged by `limit`/`offset`, the parameters /lists documents)."""
        return [_ac_list(item) for page, _ in self._offset_pages("/lists", "lists", {}) for item in page]

    def create_list(self, name: str) -> AcList:
        """Create a list (ActiveCampaign requires a unique `stringid`; the name serves)."""
        payload = {"list": {"name": name, "stringid": name, "sender_url": "", "sender_reminder": ""}}
        return _ac_list(_member(self._call("POST", "/lists", json=payload), "list", "POST /lists"))

    def count_list_contacts(self, list_id: int, status: ListStatus = ListStatus.SUBSCRIBED) -> int:
        """How many contacts of the list have this membership status."""
        body = self._call("GET", "/contacts", params={"listid": list_id, "status": int(status), "limit": 1})
        call = f"GET /contacts?listid={list_id}&status={int(status)}"
        return checked_count(body, _items(body, "contacts", call), call)

    def count_contacts(self) -> int:
        """How many contacts the account holds, on any list or none (one request)."""
        body = self._call("GET", "/contacts", params={"limit": 1})
        return checked_count(body, _items(body, "contacts", "GET /contacts"), "GET /contacts")

    def has_list_status(self, email: str, list_id: int, status: ListStatus) -> bool:
        """Whether the contact with this email has this membership status on the list (one request).

        Relies on `GET /contacts` combining its documented `email`, `listid` and `status` filters.
        """
        params = {"email": email, "listid": list_id, "status": int(status), "limit": 1}
        return bool(self._contacts_by_email(email, params))

    def field_by_perstag(self, perstag: str) -> CustomField | None:
        """The custom field with this personalization tag, if the account has it, with its lists."""
        found: dict[str, Any] | None = None
        relations: list[Any] = []
        for page, body in self._offset_pages("/fields", "fields", {"filters[perstag]": perstag}):
            relations.extend(body.get("fieldRels") or [])
            found = found or next(
                (item for item in page if str(item.get("perstag", "")).upper() == perstag.upper()), None
            )
        return None if found is None else _custom_field(found, relations)

    def create_field(self, title: str, perstag: str, field_type: str = "text") -> CustomField:
        """Create a custom contact field, available on every list, or return it if it exists already.

        ActiveCampaign's own tools follow `POST /fields` with `POST /fieldRels` (relid 0): without a
        relation a field's values may not be kept for the list's contacts.
        """
        payload = {"field": {"title": title, "type": field_type, "perstag": perstag, "visible": 1}}
        try:
            body = self._call("POST", "/fields", json=payload)
            created = _custom_field(_member(body, "field", "POST /fields"))
        except ActiveCampaignError as exc:
            # A retry after a connection dropped once the field was created gets 422 `duplicate`.
            existing = self.field_by_perstag(perstag) if exc.status_code == 422 else None
            if existing is None:
                raise
            created = existing
        if not created.available_on(0):
            self.relate_field(created.id, ALL_LISTS)
            created = CustomField(created.id, created.title, created.perstag, created.type, frozenset({0}))
        return created

    def relate_field(self, field_id: int, list_id: int) -> None:
        """Make a field available on a list (`ALL_LISTS`, 0, for every list); an existing relation is kept."""
        payload = {"fieldRel": {"field": field_id, "relid": list_id}}
        try:
            self._call("POST", "/fieldRels", json=payload)
        except ActiveCampaignError as exc:
            if exc.status_code != 422:  # 422 `duplicate`: the relation exists (a retried request)
                raise

    def contact_id(self, email: str) -> int | None:
        """The id of the contact with this email, if the account has one."""
        found = self._contacts_by_email(email, {"email": email, "limit": 1})
        return int(found[0]["id"]) if found else None

    def _contacts_by_email(self, email: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The contacts an exact-email lookup returns; InconsistentRead if the server ignored the filter."""
        call = "GET /contacts?email=…"
        body = self._call("GET", "/contacts", params=params)
        items = _items(body, "contacts", call)
        checked_count(body, items, call)
        if any(str(item.get("email", "")).strip().lower() != email.lower() for item in items):
            # Taking a non-match as "no such contact" could re-subscribe someone who left the list.
            raise InconsistentRead(
                f"ActiveCampaign answered {call} with a contact of another email: the server ignored the "
                f"email filter; {WHAT_NEXT}"
            )
        return items

    def subscribe(self, contact_id: int, list_id: int) -> None:
        """Subscribe a contact to a list through the single-contact membership endpoint.

        The bulk import may not subscribe contacts previously unsubscribed from a list (its reference
        says so); `POST /contactLists` with status 1 does. Only for contacts this project removed.
        """
        status = int(ListStatus.SUBSCRIBED)
        payload = {"contactList": {"list": list_id, "contact": contact_id, "status": status, "sourceid": 4}}
        self._call("POST", "/contactLists", json=payload)

    def bulk_ready_in(self) -> float:
        """Seconds until a bulk import of several contacts could go out (its window and the account's)."""
        return self.pacer.ready_in(RequestKind.BULK_MULTI)

    def bulk_import(self, body: bytes, contact_count: int) -> QueuedImport:
        """Queue a bulk import of a prepared JSON body; BulkValidationError if it was refused whole."""
        kind = RequestKind.BULK_SINGLE if contact_count == 1 else RequestKind.BULK_MULTI
        response = self._request(
            "POST",
            "/import/bulk_import",
            kind=kind,
            content=body,
            headers={"Content-Type": "application/json"},
        )
        payload = _json_or_empty(response)
        if response.status_code == 400:
            reasons = [(index, _short(self._redact(reason))) for index, reason in _failure_reasons(payload)]
            raise BulkValidationError(_short(self._redact(str(payload.get("message", "")))), reasons)
        if response.status_code == 200 and not payload.get("batchId"):
            raise ActiveCampaignError(
                "ActiveCampaign answered the bulk import without a batchId, so it cannot be confirmed; "
                "nothing is recorded as sent and the next run sends it again",
                response.status_code,
            )
        if response.status_code == 403:
            raise AuthenticationError("ActiveCampaign refused the API key (HTTP 403) during a bulk import")
        if response.status_code != 200 or not (payload.get("success") or payload.get("Success")):
            raise ActiveCampaignError(
                f"bulk import not queued: HTTP {response.status_code}: {self._body(response)}",
                response.status_code,
            )
        return QueuedImport(
            batch_id=str(payload["batchId"]), queued_contacts=int(payload.get("queued_contacts", 0))
        )

    def import_status(self, batch_id: str) -> ImportStatus:
        """Where ActiveCampaign is with a bulk import (`status` is None while it is not yet known)."""
        body = self._call("GET", "/import/info", params={"batchId": batch_id})
        lists = all(isinstance(body.get(key) or [], list) for key in ("success", "failure"))
        if "status" not in body or not lists:
            # A batch is confirmed only by an answer that says so: anything else is no answer at all.
            raise InconsistentRead(
                f"ActiveCampaign's answer to GET /import/info for batch {batch_id} has no status (or its "
                f"success/failure are not lists); the batch stays in flight and the next run polls it again"
            )
        status = body.get("status")
        return ImportStatus(
            status=str(status) if status else None,
            success=tuple(str(item) for item in body.get("success") or ()),
            failure=tuple(str(item).strip().lower() for item in body.get("failure") or ()),
        )

    def list_contact_emails(self, list_id: int, status: ListStatus) -> Iterator[list[str]]:
        """Pages of emails of the list's contacts with a membership status."""
        params = {"listid": list_id, "status": int(status)}
        for page in self._id_pages("/contacts", "contacts", params):
            yield [str(item["email"]).strip().lower() for item in page if item.get("email")]

    def _id_pages(self, path: str, key: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Pages in id order with `id_greater`, as ActiveCampaign recommends for big contact lists.

        Every page is checked (`PagedRead`): a server that ignores `id_greater` repeats ids already
        read and stops the read, which ends only when the distinct ids equal `meta.total`.
        """
        read, last_id = PagedRead(f"GET {path}"), 0
        while not read.complete:
            query = {**params, "orders[id]": "ASC", "id_greater": last_id, "limit": PAGE_SIZE}
            body = self._call("GET", path, params=query)
            items = _items(body, key, f"GET {path}")
            read.accept(items, body, f"the page after id {last_id}", by_id=True)
            if items:
                yield items
                last_id = max(int(item["id"]) for item in items)

    def _offset_pages(
        self, path: str, key: str, params: dict[str, Any]
    ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any]]]:
        """(records, answer) pages by `limit`/`offset`, each checked, until `meta.total` is read."""
        read = PagedRead(f"GET {path}")
        while not read.complete:
            offset = read.read
            query = {**params, "orders[id]": "ASC", "limit": PAGE_SIZE, "offset": offset}
            body = self._call("GET", path, params=query)
            items = _items(body, key, f"GET {path}")
            read.accept(items, body, f"the page at offset {offset}")
            yield items, body


def sendable_key(api_key: str) -> str:
    """The key without the whitespace a paste leaves around it; refused, and never echoed, if unsendable."""
    key = api_key.strip()
    if not _SENDABLE_KEY.fullmatch(key):
        raise AuthenticationError(
            "the API key is empty or holds spaces, line breaks or non-ASCII characters, which no HTTP header "
            "can carry; copy it again from ActiveCampaign (Settings → Developer) into the connection's "
            "environment variable"
        )
    return key


def _refuse_unverified_tls(error: Exception, host: str) -> None:
    """Stop at once on a certificate that fails verification: no retry can fix it, and it is never skipped."""
    cause: BaseException | None = error
    for _ in range(10):  # httpx wraps the ssl error a few levels deep
        if cause is None:
            return
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise ActiveCampaignError(
                f"the TLS certificate of {host} could not be verified ({cause.verify_message}); "
                "check the connection's API host. Verification is always on, so a host with an invalid "
                "certificate is never sent the key or any contact"
            ) from None
        cause = cause.__cause__ or cause.__context__


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _is_json_object(response: httpx.Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def _member(body: dict[str, Any], key: str, call: str) -> dict[str, Any]:
    """The object an answer wraps under `key`, or a clear error naming the call."""
    value = body.get(key)
    if not isinstance(value, dict) or "id" not in value:
        raise ActiveCampaignError(f"ActiveCampaign's answer to {call} has no {key!r} object; try again later")
    return value


def _items(body: dict[str, Any], key: str, call: str) -> list[dict[str, Any]]:
    """The objects of one page; entries without an id are a malformed answer."""
    items = body.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) and "id" in i for i in items):
        raise ActiveCampaignError(f"ActiveCampaign's answer to {call} has a malformed {key!r} list")
    return items


class _Overdue(Exception):
    """An answer still arriving when its call's budget ran out (a server dripping bytes)."""


# Attempts that failed in transit (timeouts, drops, cut or undecodable answers): retried with backoff.
_BROKEN = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
    _Overdue,
)


def _transport_problem(error: Exception) -> str:
    """A failed attempt in words for a message."""
    if isinstance(error, _Overdue):
        return "an answer still arriving at the deadline"
    if isinstance(error, httpx.TimeoutException):
        return "a timeout"
    if isinstance(error, httpx.RemoteProtocolError):
        return "a connection cut mid-answer"
    if isinstance(error, httpx.DecodingError):
        return "an answer that could not be decoded"
    return "a dropped connection"


def _not_json_problem(response: httpx.Response) -> str:
    if not response.content.strip():
        return f"an empty answer (HTTP {response.status_code})"
    html = "html" in response.headers.get("Content-Type", "") or response.content.lstrip()[:1] == b"<"
    if html:
        return f"an HTML page instead of JSON (HTTP {response.status_code}; a proxy or maintenance page?)"
    return f"an answer that is not a JSON object (HTTP {response.status_code})"


def _ac_list(item: dict[str, Any]) -> AcList:
    return AcList(id=int(item["id"]), name=str(item.get("name", "")))


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _custom_field(item: dict[str, Any], relations: list[Any] | None = None) -> CustomField:
    field_id = int(item["id"])
    lists = frozenset(
        int(rel["relid"])
        for rel in relations or []
        if isinstance(rel, dict) and str(rel.get("field")) == str(field_id) and rel.get("relid") is not None
    )
    return CustomField(
        id=field_id,
        title=str(item.get("title", "")),
        perstag=str(item.get("perstag", "")),
        type=str(item.get("type", "")),
        list_ids=lists,
    )


def _failure_reasons(payload: dict[str, Any]) -> list[tuple[int | None, str]]:
    reasons: list[tuple[int | None, str]] = []
    for item in payload.get("failureReasons") or []:
        if isinstance(item, dict):
            index = item.get("contact")
            reasons.append((int(index) if index is not None else None, str(item.get("failureReason", ""))))
        else:
            reasons.append((None, str(item)))
    return reasons
