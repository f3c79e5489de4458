"""The ledger's schema, declared once: both backends' DDL and the statuses are generated from here.

The embedded ledger (one DuckDB file per list) has the tables as written; PostgreSQL holds every
list in one table each, so its tables lead with (host, list_id) and prefix `ac_export_`. Statuses
are plain text in both stores on purpose: a status added later passes through without a migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LedgerStatus(StrEnum):
    """What the ledger knows of a contact on its list."""

    SUBSCRIBED = "subscribed"  # we subscribed it and ActiveCampaign confirmed: ours
    PRE_EXISTING = "pre_existing"  # on the list before we managed it (or put there by others): never removed
    REMOVED = "removed"  # we unsubscribed it (it may be re-subscribed when it re-enters the segment)
    OPTED_OUT = "opted_out"  # it left the list while we had it subscribed: never re-subscribed
    UNSUBSCRIBED_IN_AC = "unsubscribed_in_activecampaign"  # unsubscribed, not by us: never sent
    MISSING = "missing"  # we had it subscribed but ActiveCampaign no longer has it on the list: repaired
    REFUSED = (
        "refused"  # ActiveCampaign refused it; sent again once its data changes (or at a full reconcile)
    )
    # What the ledger remembers after ActiveCampaign forgot it (an account reset, a list emptied or
    # restored, a contact deleted): consent and ownership are the ledger's to keep, not the list's.
    OPTED_OUT_REMEMBERED = "opted_out_remembered"  # opted out; ActiveCampaign no longer shows it
    UNSUBSCRIBED_REMEMBERED = "unsubscribed_remembered"  # unsubscribed by others, likewise: never sent
    PRE_EXISTING_MISSING = "pre_existing_missing"  # not ours, lost by the list: repaired as not ours


@dataclass(frozen=True)
class Table:
    """One ledger table: its columns (name → DuckDB type), key and indexes, as both stores hold it."""

    name: str
    columns: dict[str, str]
    key: tuple[str, ...] | None = None
    not_null: tuple[str, ...] = ()
    indexes: dict[str, tuple[str, ...]] | None = None

    def duckdb_ddl(self, *, temporary: bool = False) -> str:
        """The table in a list's DuckDB file (or as a temporary shadow of it)."""
        head = f"CREATE TEMP TABLE {self.name}" if temporary else f"CREATE TABLE IF NOT EXISTS {self.name}"
        key = f", PRIMARY KEY ({', '.join(self.key)})" if self.key else ""
        return f"{head} ({self._columns(_DUCKDB_TYPES)}{key});"

    def postgres_ddl(self) -> str:
        """The table in PostgreSQL, every list's rows in one, keyed by (host, list_id) first."""
        name = POSTGRES_PREFIX + self.name
        scope = "host TEXT NOT NULL, list_id BIGINT NOT NULL, "
        key = f", PRIMARY KEY (host, list_id, {', '.join(self.key or ('email',))})"
        ddl = [f"CREATE TABLE IF NOT EXISTS {name} ({scope}{self._columns(POSTGRES_TYPES)}{key});"]
        ddl += [
            f"CREATE INDEX IF NOT EXISTS {name}_{suffix} ON {name} (host, list_id, {', '.join(cols)});"
            for suffix, cols in (self.indexes or {}).items()
        ]
        return "\n".join(ddl)

    def _columns(self, types: dict[str, str]) -> str:
        return ", ".join(
            f"{column} {types[kind]}{' NOT NULL' if column in self.not_null else ''}"
            for column, kind in self.columns.items()
        )


_DUCKDB_TYPES = {"VARCHAR": "VARCHAR", "BIGINT": "BIGINT", "TIMESTAMP": "TIMESTAMP"}
POSTGRES_TYPES = {"VARCHAR": "TEXT", "BIGINT": "BIGINT", "TIMESTAMP": "TIMESTAMP"}
POSTGRES_PREFIX = "ac_export_"

LEDGER = Table(
    "ledger",
    {
        "email": "VARCHAR",
        "customer_id": "VARCHAR",
        "content_hash": "VARCHAR",
        "status": "VARCHAR",
        "reason": "VARCHAR",
        "batch_id": "VARCHAR",
        "export": "VARCHAR",
        "updated_at": "TIMESTAMP",
    },
    key=("email",),
    not_null=("status", "updated_at"),
)
INFLIGHT = Table(
    "inflight",
    {
        "batch_no": "BIGINT",
        "batch_id": "VARCHAR",
        "email": "VARCHAR",
        "customer_id": "VARCHAR",
        "op": "VARCHAR",
        "content_hash": "VARCHAR",
        "payload": "VARCHAR",
        "export": "VARCHAR",
        "run_id": "VARCHAR",
        "created_at": "TIMESTAMP",
    },
    # The embedded queue has no key (a split moves rows between batches in place); PostgreSQL's is
    # per email, as one contact is queued once.
    not_null=("batch_no", "email", "op", "payload", "export", "created_at"),
    indexes={"batches": ("batch_no",)},
)
FACTS = Table("facts", {"name": "VARCHAR", "value": "VARCHAR"}, key=("name",), not_null=("name",))
# What each contact was last sent with (for a preview's changed fields); read, never shadowed.
SENT_PAYLOADS = Table(
    "sent_payloads",
    {"email": "VARCHAR", "payload": "VARCHAR", "sent_at": "TIMESTAMP"},
    key=("email",),
    not_null=("email", "sent_at"),
)
WORKING_TABLES = (LEDGER, INFLIGHT, FACTS)
TABLES = (*WORKING_TABLES, SENT_PAYLOADS)
LEDGER_COLUMNS = ", ".join(LEDGER.columns)


def duckdb_schema(tables: tuple[Table, ...] = TABLES) -> str:
    """DDL of a list's embedded ledger file."""
    return "\n".join(table.duckdb_ddl() for table in tables)


__all__ = ["FACTS", "INFLIGHT", "LEDGER", "SENT_PAYLOADS", "TABLES", "LedgerStatus", "Table", "duckdb_schema"]
