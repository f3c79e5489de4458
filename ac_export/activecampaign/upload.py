"""Upload and confirm: bulk imports sent at ActiveCampaign's pace and settled in the ledger once confirmed.

Batches are pipelined: while the bulk window is full, the uploader polls the oldest batch in
flight, so confirmation keeps pace with sending. Each batch is recorded in the ledger before it is
sent and settled in one transaction after ActiveCampaign reports it processed, so a crash at any
point re-sends at most the batches that were in flight.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ac_export.activecampaign.api.client import ActiveCampaignClient, ImportStatus
from ac_export.activecampaign.api.defaults import ACCOUNT_DEFAULTS
from ac_export.activecampaign.api.errors import ActiveCampaignError, BulkValidationError, NotFoundError
from ac_export.activecampaign.api.limits import MAX_BYTES_PER_BULK_REQUEST
from ac_export.activecampaign.api.payloads import (
    bulk_import_body,
    estimated_body_bytes,
    is_removal,
    subscribed_list,
)
from ac_export.activecampaign.plan import OP_COUNTS, counts_named
from ac_export.contracts import ExportCounts
from ac_export.state.ledger_api import Ledger

# Batches whose contents are read from the ledger in one query (about 4 MB of contacts).
READ_AHEAD_BATCHES = 40
REFUSED_REASON = (
    "refused by ActiveCampaign during import (its exclusion list, a bounce, an earlier unsubscribe "
    "from this list, or the account's contact limit)"
)
# What settling reports beside the plan's ops: leavers whose unsubscribe ActiveCampaign refused, still
# on the list and retried next run; apart from rejected_by_activecampaign, which counts members only.
SETTLED_COUNTS = {**OP_COUNTS, "refused_remove": "removals_refused"}


@dataclass
class UploadSettings:
    """How the uploader paces its polling and how long it waits for ActiveCampaign."""

    poll_interval_s: float = ACCOUNT_DEFAULTS.poll_interval_s
    confirm_timeout_s: float = ACCOUNT_DEFAULTS.confirm_timeout_s
    max_batches_in_flight: int = 200
    run_automations: bool = False


@dataclass
class _InFlight:
    batch_no: int
    batch_id: str
    contacts: int
    submitted_at: float
    next_poll_at: float


@dataclass
class Uploader:
    """Sends the batches recorded in flight in one list's ledger (its store) and settles them once confirmed.

    Batch ids and confirmations are written to the ledger in groups (at most every `flush_s`), so
    a crash re-sends at most the batches queued since the last flush, and confirmed batches are
    polled again rather than re-sent.
    """

    client: ActiveCampaignClient
    store: Ledger
    settings: UploadSettings
    progress: Callable[[ExportCounts, int], None] = lambda counts, total: None
    counts: ExportCounts = field(default_factory=ExportCounts)
    flush_s: float = 1.0
    _pending: deque[_InFlight] = field(default_factory=deque)
    _unrecorded: dict[int, str] = field(default_factory=dict)
    _confirmed: dict[int, tuple[str, list[str]]] = field(default_factory=dict)
    _flushed_at: float = 0.0
    _read_ahead: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    _to_send: deque[int] = field(default_factory=deque)
    # Batches of one contact that a refused request named as a suspect: refused alone, it is refused.
    _suspects: set[int] = field(default_factory=set)
    # Returning contacts subscribed again through `contactLists` this run (done once each).
    _resubscribed: set[str] = field(default_factory=set)

    def run(self) -> ExportCounts:
        """Send every batch in flight that has no id, poll those that have one, settle them all."""
        batches = self.store.pending_batches()
        total = sum(contacts for _, _, contacts in batches)
        now = time.monotonic()
        for batch_no, batch_id, contacts in batches:
            if batch_id:
                self._pending.append(_InFlight(batch_no, batch_id, contacts, now, now))
            else:
                self._to_send.append(batch_no)
        self._drain(total)
        return self.counts

    def _drain(self, total: int) -> None:
        # The last flush may queue returning contacts to send again, hence the outer loop.
        while self._to_send or self._pending:
            while self._to_send or self._pending:
                if self._to_send and self._may_send():
                    self._send(self._to_send.popleft())
                else:
                    self._poll_head()
                self._flush_if_due(total)
            self._flush(total)

    def _may_send(self) -> bool:
        """Send when nothing is in flight, or when the bulk window has room (else poll meanwhile)."""
        if not self._pending:
            return True
        room = len(self._pending) < self.settings.max_batches_in_flight
        return room and self.client.bulk_ready_in() <= 0

    def _flush_if_due(self, total: int) -> None:
        if time.monotonic() - self._flushed_at >= self.flush_s:
            self._flush(total)

    def _flush(self, total: int) -> None:
        """Record queued batch ids and settle confirmed batches in the ledger."""
        self._flushed_at = time.monotonic()
        if not (self._unrecorded or self._confirmed):
            return
        self.store.record_batch_ids(self._unrecorded)
        self._resubscribe_refused_returners()
        outcome = self.store.settle_batches(self._confirmed, REFUSED_REASON)
        self.counts += counts_named(list(outcome.items()), SETTLED_COUNTS) + ExportCounts(
            batches=len(self._confirmed)
        )
        self._unrecorded.clear()
        self._confirmed.clear()
        if outcome:
            self.progress(self.counts, total)

    def _send(self, batch_no: int) -> None:
        """Queue one recorded batch; contacts refused by validation leave it with their reason."""
        contents = self._contents(batch_no)
        if estimated_body_bytes(p for _, p in contents) > MAX_BYTES_PER_BULK_REQUEST and len(contents) > 1:
            half = len(contents) // 2
            self._to_send.appendleft(self.store.split_batch(batch_no, [e for e, _ in contents[half:]]))
            contents = contents[:half]
        while contents:
            try:
                body = bulk_import_body((p for _, p in contents), self.settings.run_automations)
                queued = self.client.bulk_import(body, len(contents))
            except BulkValidationError as exc:
                contents = self._set_suspects_apart(batch_no, contents, exc)
                continue
            self._unrecorded[batch_no] = queued.batch_id
            now = time.monotonic()
            self._pending.append(_InFlight(batch_no, queued.batch_id, len(contents), now, now))
            return

    def _contents(self, batch_no: int) -> list[tuple[str, str]]:
        """A batch's contents, read together with the batches queued after it."""
        if batch_no not in self._read_ahead:
            ahead = [batch_no, *itertools.islice(self._to_send, READ_AHEAD_BATCHES - 1)]
            self._read_ahead = self.store.batch_contents(ahead)
        return self._read_ahead.pop(batch_no)

    def _set_suspects_apart(
        self, batch_no: int, contents: list[tuple[str, str]], error: BulkValidationError
    ) -> list[tuple[str, str]]:
        """Send a refused request again without the contacts its reasons may name; they go alone.

        The index base of the reasons is not documented, so a reason suspects two contacts; each
        suspect is then sent on its own, and only one refused alone is recorded as refused.
        """
        suspects = error.suspects(len(contents))
        detail = "; ".join(reason for _, reason in error.reasons[:3]) or str(error)
        if batch_no in self._suspects and error.names_contacts:
            reason = next(iter(suspects.values()), detail)
            refused = {contents[0][0]: f"refused by ActiveCampaign: {reason}"}
            self.store.refuse_from_inflight(batch_no, refused)
            removal = is_removal(contents[0][1])
            self.counts += ExportCounts(
                removals_refused=int(removal), rejected_by_activecampaign=int(not removal)
            )
            return []
        if not suspects or (len(contents) > 1 and len(error.reasons) >= len(contents)):
            # Nothing names a contact, or every contact is refused: the request itself is wrong
            # (a deleted list, a rate or size limit), so stop instead of rejecting everyone.
            raise ActiveCampaignError(f"ActiveCampaign refused the bulk import: {detail}", 400)
        for position in sorted(suspects, reverse=True):
            alone = self.store.split_batch(batch_no, [contents[position][0]])
            self._suspects.add(alone)
            self._to_send.appendleft(alone)
        return [item for i, item in enumerate(contents) if i not in suspects]

    def _resubscribe_refused_returners(self) -> None:
        """Subscribe returning contacts that a bulk import refused through `contactLists`, then re-send.

        ActiveCampaign's bulk import may refuse to subscribe anyone previously unsubscribed from the
        list; for contacts this project removed itself, the single-contact membership endpoint may.
        The contact is then sent again (now subscribed) so its fields are updated too.
        """
        refused = {email for _, emails in self._confirmed.values() for email in emails}
        returning = self.store.returning_among(list(self._confirmed), refused - self._resubscribed)
        for batch_no, contacts in returning.items():
            done = [email for email, sent in contacts if self._subscribe_again(email, subscribed_list(sent))]
            if not done:
                continue
            batch_id, failed = self._confirmed[batch_no]
            self._confirmed[batch_no] = (batch_id, [e for e in failed if e not in done])
            self._to_send.append(self.store.split_batch(batch_no, done))
            self._resubscribed.update(done)

    def _subscribe_again(self, email: str, list_id: int) -> bool:
        contact_id = self.client.contact_id(email)
        if contact_id is None:
            return False
        try:
            self.client.subscribe(contact_id, list_id)
        except ActiveCampaignError as exc:
            if exc.refuses_everyone:
                raise
            return False  # refused for this contact: it stays refused, with the import's reason
        return True

    def _poll_head(self) -> None:
        head = self._pending[0]
        pause = head.next_poll_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        status = self._status_or_none(head.batch_id)
        head.next_poll_at = time.monotonic() + self.settings.poll_interval_s
        if status is None or status.broken:
            # ActiveCampaign lost or abandoned the batch; resubmitting is safe (imports are upserts).
            self._pending.popleft()
            self._send(head.batch_no)
        elif status.done:
            self._pending.popleft()
            self._confirmed[head.batch_no] = (head.batch_id, list(status.failure))
        elif time.monotonic() - head.submitted_at > self.settings.confirm_timeout_s:
            raise ActiveCampaignError(
                f"ActiveCampaign has not finished processing batch {head.batch_id} after "
                f"{self.settings.confirm_timeout_s:.0f} s; the next run resumes from it"
            )

    def _status_or_none(self, batch_id: str) -> ImportStatus | None:
        try:
            return self.client.import_status(batch_id)
        except NotFoundError:
            return None
