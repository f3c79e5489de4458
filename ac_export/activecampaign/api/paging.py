"""Paged reads that check themselves: a read is used only if its pages add up.

Every page of a read must carry `meta.total`, hold ids not seen on an earlier page, differ from the
page before it, and keep the total steady; the read ends when the distinct ids read equal that total.
A server that omits `meta`, ignores `offset`, repeats a page or changes its total mid-read therefore
stops the export with one line saying what it did, instead of handing on part of a list as the whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ac_export.activecampaign.api.errors import InconsistentRead

WHAT_NEXT = (
    "nothing was written; run again, and if it repeats the server at this host is not paging as "
    "ActiveCampaign documents"
)


def meta_total(body: dict[str, Any], call: str) -> int:
    """`meta.total` of an answer (a string in ActiveCampaign's answers); InconsistentRead if absent or bad."""
    meta = body.get("meta")
    if not isinstance(meta, dict) or meta.get("total") is None:
        raise InconsistentRead(
            f"ActiveCampaign answered {call} without meta.total, so the read cannot be checked complete; "
            f"{WHAT_NEXT}"
        )
    try:
        total = int(str(meta["total"]).strip())
    except ValueError:
        raise InconsistentRead(
            f"ActiveCampaign answered {call} with meta.total {str(meta['total'])[:40]!r}, not a count; "
            f"{WHAT_NEXT}"
        ) from None
    if total < 0:
        raise InconsistentRead(
            f"ActiveCampaign answered {call} with a negative meta.total ({total}); {WHAT_NEXT}"
        )
    return total


def checked_count(body: dict[str, Any], items: list[dict[str, Any]], call: str) -> int:
    """A count (`limit=1`) whose page agrees with it: no records for 0, at least one for more."""
    total = meta_total(body, call)
    if total > 0 and not items:
        raise InconsistentRead(
            f"ActiveCampaign counts {total} for {call} but its page holds no record; {WHAT_NEXT}"
        )
    if len({str(item["id"]) for item in items}) > total:
        raise InconsistentRead(
            f"ActiveCampaign counts {total} for {call} but its page holds {len(items)} records; {WHAT_NEXT}"
        )
    return total


@dataclass
class PagedRead:
    """What one paged read has seen so far, and the checks each further page must pass."""

    call: str
    total: int | None = None
    seen: set[str] = field(default_factory=set)
    previous: tuple[str, ...] = ()
    # Paging by `id_greater`, `meta.total` may count the whole set or only what is left after the id;
    # which one the server does is learnt on the second page and then held to.
    counts_remaining: bool | None = None

    @property
    def read(self) -> int:
        """Distinct records read so far."""
        return len(self.seen)

    @property
    def complete(self) -> bool:
        """Whether the read holds as many distinct records as `meta.total` announced."""
        return self.total is not None and self.read >= self.total

    def accept(
        self, items: list[dict[str, Any]], body: dict[str, Any], where: str, *, by_id: bool = False
    ) -> None:
        """Check one page (`where` names it, e.g. "the page at offset 100") and add its ids."""
        self._check_total(meta_total(body, self.call), where, by_id=by_id)
        total = self.total or 0
        ids = [str(item["id"]) for item in items]
        if len(set(ids)) != len(ids):
            twice = next(i for i in ids if ids.count(i) > 1)
            self._fail(f"{where} lists id {twice} twice")
        if ids and tuple(ids) == self.previous:
            self._fail(f"{where} repeated the page before it (ids {ids[0]}…{ids[-1]}): it ignored the paging")
        again = [i for i in ids if i in self.seen]
        if again:
            self._fail(f"{where} returned id {again[0]} and {len(again) - 1} more read on an earlier page")
        if not ids and self.read < total:
            self._fail(f"ended at {self.read} of the {total} records meta.total announced ({where} is empty)")
        self.seen.update(ids)
        if self.read > total:
            self._fail(f"returned {self.read} distinct records, more than the {total} meta.total announced")
        self.previous = tuple(ids)

    def _check_total(self, total: int, where: str, *, by_id: bool) -> None:
        if self.total is None:
            self.total = total
            return
        remaining = self.total - self.read
        if by_id and self.counts_remaining is None and self.read and total in (self.total, remaining):
            self.counts_remaining = total == remaining and total != self.total
        expected = remaining if self.counts_remaining else self.total
        if total != expected:
            self._fail(
                f"meta.total changed from {self.total} to {total} at {where} "
                f"(after {self.read} records; {expected} expected)"
            )

    def _fail(self, what: str) -> None:
        raise InconsistentRead(f"ActiveCampaign's read of {self.call} is inconsistent: {what}; {WHAT_NEXT}")
