"""Where shared export state lives: `embedded` (the default, no setup) or `postgres`.

- `embedded`: each list's ledger is a DuckDB file under the warehouse, the account pacer a JSON
  file under a file lock: shared by every run on one machine.
- `postgres`: ledgers, in-flight queues and the pacer's windows in PostgreSQL tables, shared by
  every run on every host that reaches the database.

Chosen with `AC_EXPORT_STATE` (`embedded` or `postgres`); the DSN comes from `AC_EXPORT_STATE_DSN`
(in Dagster, the `state` resource reads it through `dg.EnvVar`), never from a file. Only the edges
read those variables (`ac_export.settings.Settings`); the engine is handed the backend they build.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ac_export.errors import UserError
from ac_export.settings import DEFAULT_LEDGER_CACHE_DIR, DEFAULT_PACING_DIR, DSN_ENV, STATE_ENV, Settings
from ac_export.state.pacer import AccountPacer, PaceWindows
from ac_export.state.store import LedgerStore

KINDS = ("embedded", "postgres")


class StateConfigError(UserError, ValueError):
    """The state setting is wrong; the message names the variable and the fix."""


@dataclass(frozen=True)
class StateBackend:
    """The state backend the engine opens ledgers and pacers through."""

    kind: Literal["embedded", "postgres"] = "embedded"
    dsn: str | None = field(default=None, repr=False)  # a secret: never shown
    # Where the embedded pacer's files live (settings' AC_EXPORT_PACING_DIR).
    pacing_dir: Path = DEFAULT_PACING_DIR
    # Where this machine caches PostgreSQL ledgers (settings' AC_EXPORT_LEDGER_CACHE_DIR).
    ledger_cache_dir: Path = DEFAULT_LEDGER_CACHE_DIR

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
    def from_settings(cls, settings: Settings) -> StateBackend:
        """The backend the settings name (raises StateConfigError naming the variable and the fix)."""
        dsn = settings.state_dsn.get_secret_value() if settings.state_dsn else None
        return cls(settings.state, dsn, settings.pacing_dir, settings.ledger_cache_dir)  # type: ignore[arg-type]

    def open_ledger(
        self, warehouse_root: Path | None, host: str, list_id: int, *, read_only: bool = False
    ) -> LedgerStore:
        """A list's ledger, locked for this run unless read only (raises LedgerInUse after a wait).

        `host` is any spelling of the account: the ledger is keyed by its canonical identity.
        """
        if self.kind == "postgres":
            from ac_export.state.postgres.ledger import PostgresLedger

            return PostgresLedger.open_list(
                str(self.dsn), host, list_id, read_only=read_only, cache_dir=self.ledger_cache_dir
            )
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
        return AccountPacer(account, limits, self.pacing_dir)

    def describe(self) -> str:
        """A line for logs: the backend and, for postgres, the database without credentials."""
        if self.kind == "postgres":
            from ac_export.state.postgres.connection import describe

            return f"postgres ({describe(str(self.dsn))})"
        return "embedded"
