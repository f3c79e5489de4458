"""Upload and confirm: bulk imports sent at ActiveCampaign's pace and settled in the ledger once confirmed.

Batches are pipelined: while the bulk window is full, the uploader polls the oldest batch in
flight, so confirmation keeps pace with sending. Each batch is recorded in the ledger before it is
sent and settled in one transaction after ActiveCampaign reports it processed, so a crash at any
point re-sends at most the batches that were in flight.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ac_export.activecampaign import ledger
from ac_export.activecampaign.client import ActiveCampaignClient, ImportStatus
from ac_export.activecampaign.errors import ActiveCampaignError, BulkValidationError, NotFoundError
from ac_export.activecampaign.pacing import RequestKind

MAX_CONTACTS_PER_REQUEST = 250  # ActiveCampaign's bulk import limit
MAX_BYTES_PER_REQUEST = 399_999  # ActiveCampaign's bulk import payload limit
REFUSED_REASON = (
    "refused by ActiveCampaign during import (its exclusion list, a bounce, an earlier unsubscribe "
    "from this list, or the account's contact limit)"
)


@dataclass
class UploadSettings:
    """How the uploader paces its polling and how long it waits for ActiveCampaign."""

    poll_interval_s: float = 1.0
    confirm_timeout_s: float = 1800.0
    max_batches_in_flight: int = 200
    run_automations: bool = False


@dataclass
class UploadCounts:
    """Confirmed outcomes of the batches this run settled."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    rejected_by_activecampaign: int = 0
    batches: int = 0

    def add(self, outcome: dict[str, int]) -> None:
        """Fold one settled batch's outcome into the totals."""
        self.added += outcome.get("add", 0)
        self.updated += outcome.get("update", 0)
        self.removed += outcome.get("remove", 0)
        self.rejected_by_activecampaign += outcome.get("refused", 0)
        self.batches += 1

    @property
    def done(self) -> int:
        """Contacts settled, whatever ActiveCampaign answered."""
        return self.added + self.updated + self.removed + self.rejected_by_activecampaign


@dataclass
class _InFlight:
    batch_no: int
    batch_id: str
    contacts: int
    submitted_at: float
    next_poll_at: float


@dataclass
class Uploader:
    """Sends one export's batches and settles them in its list's ledger."""

    client: ActiveCampaignClient
    con: duckdb.DuckDBPyConnection
    export: str
    run_id: str
    settings: UploadSettings
    progress: Callable[[UploadCounts, int], None] = lambda counts, total: None
    counts: UploadCounts = field(default_factory=UploadCounts)
    _pending: deque[_InFlight] = field(default_factory=deque)

    def resume(self) -> int:
        """Finish batches an earlier run left in flight; returns how many contacts they held."""
        stranded = ledger.pending_batches(self.con)
        for batch_no, batch_id, contacts in stranded:
            status = self._status_or_none(batch_id) if batch_id else None
            if batch_id and status is not None and not status.broken:
                self._pending.append(
                    _InFlight(batch_no, batch_id, contacts, time.monotonic(), time.monotonic())
                )
            else:
                self._submit(batch_no, ledger.batch_contents(self.con, batch_no))
        self._drain(total=sum(n for _, _, n in stranded), queue=iter(()))
        return sum(n for _, _, n in stranded)

    def upload(self, queue_path: Path, total: int) -> UploadCounts:
        """Send every contact in the send queue and wait until ActiveCampaign confirmed them all."""
        self._drain(total, self._batches(queue_path))
        return self.counts

    # -- the pipeline ------------------------------------------------------------------------------

    def _batches(self, queue_path: Path) -> Iterator[pa.Table]:
        if not queue_path.exists():
            return
        for record_batch in pq.ParquetFile(queue_path).iter_batches(batch_size=MAX_CONTACTS_PER_REQUEST):
            yield from _fit_bytes(pa.Table.from_batches([record_batch]))

    def _drain(self, total: int, queue: Iterator[pa.Table]) -> None:
        upcoming = next(queue, None)
        while upcoming is not None or self._pending:
            if upcoming is not None and len(self._pending) < self.settings.max_batches_in_flight:
                kind = RequestKind.BULK_SINGLE if upcoming.num_rows == 1 else RequestKind.BULK_MULTI
                if not self._pending or self.client.pacer.ready_in(kind) <= 0:
                    self._send_new(upcoming)
                    upcoming = next(queue, None)
                    continue
            self._poll_head(total)

    def _send_new(self, rows: pa.Table) -> None:
        batch_no = ledger.next_batch_no(self.con)
        ledger.record_inflight(self.con, batch_no, rows, self.export, self.run_id)
        contents = list(
            zip(rows.column("email").to_pylist(), rows.column("payload").to_pylist(), strict=True)
        )
        self._submit(batch_no, contents)

    def _submit(self, batch_no: int, contents: list[tuple[str, str]]) -> None:
        """Queue a recorded batch of (email, payload); contacts refused by validation leave it."""
        while contents:
            body = self._body([payload for _, payload in contents])
            try:
                queued = self.client.bulk_import(body, len(contents))
            except BulkValidationError as exc:
                contents = self._drop_refused(batch_no, contents, exc)
                continue
            ledger.set_batch_id(self.con, batch_no, queued.batch_id)
            now = time.monotonic()
            self._pending.append(_InFlight(batch_no, queued.batch_id, len(contents), now, now))
            return

    def _body(self, payloads: list[str]) -> bytes:
        automations = "" if self.settings.run_automations else ',"exclude_automations":true'
        return ('{"contacts":[' + ",".join(payloads) + "]" + automations + "}").encode()

    def _drop_refused(
        self, batch_no: int, contents: list[tuple[str, str]], error: BulkValidationError
    ) -> list[tuple[str, str]]:
        by_index = {i: reason for i, reason in error.contact_reasons.items() if 0 <= i < len(contents)}
        if not by_index or len(by_index) >= len(contents):
            # Nothing names a contact, or every contact is refused: the request itself is wrong
            # (a deleted list, a rate or size limit), so stop instead of rejecting everyone.
            detail = "; ".join(reason for _, reason in error.reasons[:3]) or str(error)
            raise ActiveCampaignError(f"ActiveCampaign refused the bulk import: {detail}", 400)
        refused = {contents[i][0]: f"refused by ActiveCampaign: {reason}" for i, reason in by_index.items()}
        ledger.refuse_from_inflight(self.con, batch_no, refused)
        self.counts.rejected_by_activecampaign += len(refused)
        return [item for i, item in enumerate(contents) if i not in by_index]

    def _poll_head(self, total: int) -> None:
        head = self._pending[0]
        pause = head.next_poll_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        status = self._status_or_none(head.batch_id)
        head.next_poll_at = time.monotonic() + self.settings.poll_interval_s
        if status is None or status.broken:
            # ActiveCampaign lost or abandoned the batch; resubmitting is safe (imports are upserts).
            self._pending.popleft()
            self._submit(head.batch_no, ledger.batch_contents(self.con, head.batch_no))
            return
        if status.done:
            self._pending.popleft()
            outcome = ledger.settle_batch(
                self.con, head.batch_no, head.batch_id, list(status.failure), REFUSED_REASON
            )
            self.counts.add(outcome)
            self.progress(self.counts, total)
        elif time.monotonic() - head.submitted_at > self.settings.confirm_timeout_s:
            raise ActiveCampaignError(
                f"ActiveCampaign has not finished processing batch {head.batch_id} after "
                f"{self.settings.confirm_timeout_s:.0f} s; the next run resumes from it"
            )

    def _status_or_none(self, batch_id: str | None) -> ImportStatus | None:
        if batch_id is None:
            return None
        try:
            return self.client.import_status(batch_id)
        except NotFoundError:
            return None


def _fit_bytes(rows: pa.Table) -> Iterator[pa.Table]:
    """Split a batch whose JSON would exceed ActiveCampaign's payload limit (rare: long field values).

    The plan already rejects single contacts over the limit, so halving always converges.
    """
    size = sum(len(p.encode()) + 1 for p in rows.column("payload").to_pylist()) + 64
    if size <= MAX_BYTES_PER_REQUEST or rows.num_rows == 1:
        yield rows
        return
    half = rows.num_rows // 2
    yield from _fit_bytes(rows.slice(0, half))
    yield from _fit_bytes(rows.slice(half))
