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

from ac_export.state.pacer import AccountPacer, PaceWindows, _thread_lock
from ac_export.state.postgres.connection import connect

_READ = """
SELECT state, extract(epoch FROM clock_timestamp())::float8
FROM ac_export_pacing WHERE account = %s FOR UPDATE
"""


class PostgresPacer(AccountPacer):
    """Blocks each request until the account's windows allow it; the windows live in PostgreSQL."""

    def __init__(self, account: str, limits: PaceWindows, dsn: str) -> None:
        self.limits = limits
        self._windows = limits.windows()
        self._account = account
        self._conn = connect(dsn)
        self._lock = _thread_lock(f"postgres:{account}")
        self._clock = 0.0
        with self._conn.transaction():
            self._conn.execute(
                "INSERT INTO ac_export_pacing (account, state) VALUES (%s, '{}') ON CONFLICT DO NOTHING",
                [account],
            )

    @contextmanager
    def _state(self) -> Iterator[dict[str, list[float]]]:
        with self._lock, self._conn.transaction():
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
