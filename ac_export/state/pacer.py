"""Pacing requests to ActiveCampaign's per-account limits, shared by threads and processes.

ActiveCampaign allows 5 requests per second per account (all endpoints, all keys), and bulk
imports have their own windows: 100 requests a minute with several contacts, 20 a minute with one.
Every run exporting to an account on this machine shares one state file (under a portable file
lock; named by the account's canonical identity, however its host is spelled), so two runs in
separate Dagster processes split the pace instead of racing into 429s. The pacer knows windows by
name only: which request classes there are, which windows each counts against and how long they
are is ActiveCampaign's business, stated in `activecampaign.api.limits` and passed in as `limits`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from filelock import FileLock

from ac_export.state.accounts import account_identity, spellings


class PaceWindows(Protocol):
    """The account's windows (name → (requests allowed, seconds)) and the request classes counted in them."""

    def windows(self) -> dict[str, tuple[int, float]]:
        """Every window the pacer enforces."""
        ...

    def counted_in(self, request: str) -> tuple[str, ...]:
        """The windows a request of this class (named by the caller) counts against."""
        ...


_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(key: str) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(key, threading.Lock())


class AccountPacer:
    """Blocks each request until the account's windows allow it; shared through a locked state file."""

    def __init__(self, account: str, limits: PaceWindows, state_dir: Path | None = None) -> None:
        self.limits = limits
        self._windows = limits.windows()
        identity = account_identity(account)
        folder = state_dir or pacing_state_dir()
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / f"{_digest(identity)}.json"
        self._lock = _thread_lock(str(self._path))
        self._file_lock = FileLock(folder / f"{_digest(identity)}.lock")
        self._absorb_older_spellings(folder, identity)

    def _absorb_older_spellings(self, folder: Path, identity: str) -> None:
        """Fold pacing files an older version kept per host spelling into this account's one file.

        Their names are hashes, so they are found by the spellings an account can have been written as.
        """
        for spelling in spellings(identity):
            digest = _digest(spelling)
            older = folder / f"{digest}.json"
            if older == self._path or not older.exists():
                continue
            with FileLock(folder / f"{digest}.lock"), self._state() as state:
                if older.exists():
                    text = older.read_text(encoding="utf-8")
                    state.update(merge_states(state, json.loads(text) if text.strip() else {}))
                    older.unlink()

    @contextmanager
    def _state(self) -> Iterator[dict[str, list[float]]]:
        with self._lock, self._file_lock, open(self._path, "a+", encoding="utf-8") as handle:
            handle.seek(0)
            text = handle.read()
            state = json.loads(text) if text.strip() else {}
            yield state
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(state))
            handle.flush()

    def acquire(self, request: str) -> float:
        """Wait until a request of this class may go out, record it, and return its stamp for `settle`."""
        while True:
            stamp, wait = self._try_acquire(request)
            if wait <= 0:
                return stamp
            time.sleep(min(wait, 1.0))

    def _now(self) -> float:
        """The clock the windows are kept in (this machine's; a shared backend uses its server's)."""
        return time.time()

    def _try_acquire(self, request: str) -> tuple[float, float]:
        names = self.limits.counted_in(request)
        with self._state() as state:
            now = self._now()
            wait = self._wait(state, names, now)
            if wait <= 0:
                for name in names:
                    state.setdefault(name, []).append(now)
            return now, wait

    def settle(self, request: str, stamp: float) -> None:
        """Move a request's stamp to when its answer arrived.

        The server counts a request when it arrives, somewhere between our send and its answer;
        counting windows from the answer keeps slow responses from squeezing the next window.
        """
        names = self.limits.counted_in(request)
        with self._state() as state:
            now = self._now()
            for name in names:
                stamps = state.get(name, [])
                if stamp in stamps:
                    stamps.remove(stamp)
                    stamps.append(now)
                    stamps.sort()

    def ready_in(self, request: str) -> float:
        """Seconds until a request of this class could go out, without recording one."""
        names = self.limits.counted_in(request)
        with self._state() as state:
            return max(self._wait(state, names, self._now()), 0.0)

    def _wait(self, state: dict[str, list[float]], names: tuple[str, ...], now: float) -> float:
        wait = max(state.get("blocked_until", [0.0])) - now
        for name in names:
            allowed, length = self._windows[name]
            recent = [t for t in state.get(name, []) if t > now - length]
            state[name] = recent
            if len(recent) >= allowed:
                wait = max(wait, recent[-allowed] + length - now)
        return wait

    def block(self, seconds: float, window: str | None = None) -> None:
        """Hold back requests after the server said to wait: all of them, or those counted in `window`.

        (Retry-After holds back every request; a full bulk window only the requests counted in it.)
        """
        with self._state() as state:
            until = self._now() + seconds
            if window is None:
                state["blocked_until"] = [max([until, *state.get("blocked_until", [])])]
            else:
                allowed, length = self._windows[window]
                # A full window as of now makes the next request counted in it wait `seconds`.
                state[window] = [until - length] * allowed


def _digest(account: str) -> str:
    return hashlib.sha256(account.encode()).hexdigest()[:16]


def merge_states(first: dict[str, list[float]], second: dict[str, list[float]]) -> dict[str, list[float]]:
    """One account's windows from two pacers' states: every request of both, the later block."""
    merged = {name: sorted([*first.get(name, []), *second.get(name, [])]) for name in {*first, *second}}
    if "blocked_until" in merged:
        merged["blocked_until"] = [max(merged["blocked_until"])]
    return merged


class NoPacing:
    """A pacer that never waits: for emulators run with their limits off (throughput benchmarks)."""

    def acquire(self, request: str) -> float:
        """Never waits."""
        return 0.0

    def settle(self, request: str, stamp: float) -> None:
        """Nothing to record."""

    def ready_in(self, request: str) -> float:
        """Always ready."""
        return 0.0

    def block(self, seconds: float, window: str | None = None) -> None:
        """Sleeps out a server-imposed wait, since there is no shared state to record it in."""
        time.sleep(seconds)


def pacing_state_dir() -> Path:
    """Where pacing state files live (`AC_EXPORT_PACING_DIR`, default a folder in the temp dir)."""
    configured = os.environ.get("AC_EXPORT_PACING_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "ac_export-pacing"
