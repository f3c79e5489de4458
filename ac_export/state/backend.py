"""Where shared export state lives: `embedded` (the default, no setup) or `postgres`.

- `embedded`: each list's ledger is a DuckDB file under the warehouse, the account pacer a JSON
  file under a file lock: shared by every run on one machine.
- `postgres`: ledgers, in-flight queues and the pacer's windows in PostgreSQL tables, shared by
  every run on every host that reaches the database.

Chosen with `AC_EXPORT_STATE` (`embedded` or `postgres`); the DSN comes from `AC_EXPORT_STATE_DSN`
(in Dagster, the `state` resource reads it through `dg.EnvVar`), never from a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ac_export.state.pacer import AccountPacer, PaceWindows, pacing_state_dir
from ac_export.state.store import LedgerStore

STATE_ENV = "AC_EXPORT_STATE"
DSN_ENV = "AC_EXPORT_STATE_DSN"
KINDS = ("embedded", "postgres")


class StateConfigError(ValueError):
    """The state setting is wrong; the message names the variable and the fix."""


@dataclass(frozen=True)
class StateBackend:
    """The state backend the engine opens ledgers and pacers through."""

    kind: Literal["embedded", "postgres"] = "embedded"
    dsn: str | None = field(default=None, repr=False)  # a secret: never shown

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise StateConfigError(
                f"{STATE_ENV}={self.kind!r} is not a state backend; use embedded or postgres"
            )
        if self.kind == "postgres" and not (self.dsn or "").strip():
            raise StateConfigError(
                f"{STATE_ENV}=postgres needs the database's DSN in {DSN_ENV} "
                "(e.g. postgresql://ac_export@db.internal:5432/ac_export, password in the DSN or PGPASSWORD)"
            )

    @classmethod
    def from_environment(cls) -> StateBackend:
        """The backend named by AC_EXPORT_STATE (default embedded), with AC_EXPORT_STATE_DSN for postgres."""
        kind = os.environ.get(STATE_ENV, "embedded").strip().lower() or "embedded"
        return cls(kind, os.environ.get(DSN_ENV) if kind == "postgres" else None)  # type: ignore[arg-type]

    def open_ledger(
        self, warehouse_root: Path | None, host: str, list_id: int, *, read_only: bool = False
    ) -> LedgerStore:
        """A list's ledger, locked for this run unless read only (raises LedgerInUse after a wait).

        `host` is any spelling of the account: the ledger is keyed by its canonical identity.
        """
        if self.kind == "postgres":
            from ac_export.state.postgres.ledger import PostgresLedger

            return PostgresLedger.open_list(str(self.dsn), host, list_id, read_only=read_only)
        if warehouse_root is None:
            raise StateConfigError(
                f"the warehouse is on object storage, where DuckDB ledger files cannot live; set "
                f"{STATE_ENV}=postgres and {DSN_ENV} so that ledgers live in PostgreSQL"
            )
        return LedgerStore.open_account(warehouse_root, host, list_id, read_only=read_only)

    def pacer(self, account: str, limits: PaceWindows) -> AccountPacer:
        """The pacer shared by every run exporting to this account (on this machine, or everywhere)."""
        if self.kind == "postgres":
            from ac_export.state.postgres.pacer import PostgresPacer

            return PostgresPacer(account, limits, str(self.dsn))
        return AccountPacer(account, limits, pacing_state_dir())

    def describe(self) -> str:
        """A line for logs: the backend and, for postgres, the database without credentials."""
        if self.kind == "postgres":
            from ac_export.state.postgres.connection import describe

            return f"postgres ({describe(str(self.dsn))})"
        return "embedded"
