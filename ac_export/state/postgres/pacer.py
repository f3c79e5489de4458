"""The account pacer with its windows in PostgreSQL: shared by every process on every host.

The same protocol as the file-locked pacer (`state.pacer.AccountPacer`): each reservation reads the
account's windows under a row lock (`SELECT … FOR UPDATE`), decides, and writes them back in one
transaction, so two hosts can never both take the last slot of a window. Time is the database
server's clock, so hosts whose clocks disagree still agree on the windows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from ac_export.state.accounts import account_identity
from ac_export.state.pacer import AccountPacer, PaceWindows, _thread_lock, merge_states
from ac_export.state.postgres.connection import connect, reported

_READ = """
SELECT state, extract(epoch FROM clock_timestamp())::float8
FROM ac_export_pacing WHERE account = %s FOR UPDATE
"""


class PostgresPacer(AccountPacer):
    """Blocks each request until the account's windows allow it; the windows live in PostgreSQL."""

    def __init__(self, account: str, limits: PaceWindows, dsn: str) -> None:
        self.limits = limits
        self._windows = limits.windows()
        self._account = account_identity(account)
        self._dsn = dsn  # a secret: only ever passed to `reported`, which names the database without it
        self._conn = connect(dsn)
        self._lock = _thread_lock(f"postgres:{self._account}")
        self._clock = 0.0
        with reported(dsn), self._conn.transaction():
            self._conn.execute(
                "INSERT INTO ac_export_pacing (account, state) VALUES (%s, '{}') ON CONFLICT DO NOTHING",
                [self._account],
            )
            self._absorb_older_rows()

    def _absorb_older_rows(self) -> None:
        """Fold rows an older version kept per host spelling into the account's row, in this transaction."""
        rows = self._conn.execute("SELECT account FROM ac_export_pacing").fetchall()
        accounts = [str(row[0]) for row in rows]
        older = [a for a in accounts if a != self._account and account_identity(a) == self._account]
        if not older:
            return
        rows = self._conn.execute(
            "SELECT account, state FROM ac_export_pacing WHERE account = ANY(%s) ORDER BY account FOR UPDATE",
            [[self._account, *older]],
        ).fetchall()
        states = {str(account): json.loads(text) for account, text in rows}
        older = [a for a in older if a in states]
        merged = states[self._account]
        for account in older:
            merged = merge_states(merged, states[account])
        self._conn.execute(
            "UPDATE ac_export_pacing SET state = %s WHERE account = %s", [json.dumps(merged), self._account]
        )
        self._conn.execute("DELETE FROM ac_export_pacing WHERE account = ANY(%s)", [older])

    @contextmanager
    def _state(self) -> Iterator[dict[str, list[float]]]:
        with self._lock, reported(self._dsn), self._conn.transaction():
            row = self._conn.execute(_READ, [self._account]).fetchone()
            assert row is not None  # inserted when the pacer was made, never deleted
            text, self._clock = row
            state = json.loads(text)
            yield state
            self._conn.execute(
                "UPDATE ac_export_pacing SET state = %s WHERE account = %s",
                [json.dumps(state), self._account],
            )

    def _now(self) -> float:
        """The server's clock, read under the row lock."""
        return float(self._clock)

    def close(self) -> None:
        """Close the connection to the state database."""
        self._conn.close()
