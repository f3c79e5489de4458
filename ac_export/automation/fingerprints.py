"""Fingerprints of source files: which configured files are new or changed since the last check.

A file is identified by its resolved path and judged by a SHA-256 of its content, so saving it
again unchanged or touching it never counts as a change. Hashing is skipped while (device, inode,
size, mtime) stay the same, as git does, so a check of large unchanged files costs a stat each.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileFingerprint:
    """A file's content hash and size, plus the stat values that let an unchanged file skip hashing."""

    sha256: str
    size: int
    stat_key: str


@dataclass(frozen=True)
class FileChanges:
    """Files that appeared, whose content changed, or that disappeared between two checks."""

    added: list[str]
    changed: list[str]
    removed: list[str]

    @property
    def triggers_refresh(self) -> bool:
        """New or changed content needs a refresh; a vanished file only fails one, so it waits."""
        return bool(self.added or self.changed)

    def describe(self) -> str:
        """One line per kind of change, for run tags and logs."""
        parts = [(label, names) for label, names in self._labelled() if names]
        return "; ".join(f"{label}: {', '.join(names)}" for label, names in parts) or "no change"

    def _labelled(self) -> list[tuple[str, list[str]]]:
        return [("new", self.added), ("changed", self.changed), ("missing", self.removed)]


def _stat_key(stat: os.stat_result) -> str:
    return f"{stat.st_dev}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(path: Path, previous: FileFingerprint | None = None) -> FileFingerprint | None:
    """The file's fingerprint (None if it is missing or still being written)."""
    try:
        before = path.stat()
        key = _stat_key(before)
        if previous is not None and previous.stat_key == key:
            return previous
        sha = _sha256(path)
        after = path.stat()
    except FileNotFoundError:
        return None
    if _stat_key(after) != key:
        # Written to while we read it: judge it on a later check, once the writer is done.
        return previous
    return FileFingerprint(sha256=sha, size=before.st_size, stat_key=key)


def fingerprint_files(
    paths: Mapping[str, Path], previous: Mapping[str, FileFingerprint]
) -> dict[str, FileFingerprint]:
    """Fingerprints of the files that exist, keyed like `paths`, reusing `previous` where nothing moved."""
    current = {name: fingerprint(path, previous.get(name)) for name, path in paths.items()}
    return {name: print_ for name, print_ in current.items() if print_ is not None}


def compare(previous: Mapping[str, FileFingerprint], current: Mapping[str, FileFingerprint]) -> FileChanges:
    """What differs between two sets of fingerprints, judged on content alone."""
    return FileChanges(
        added=sorted(current.keys() - previous.keys()),
        changed=sorted(
            k for k in current.keys() & previous.keys() if current[k].sha256 != previous[k].sha256
        ),
        removed=sorted(previous.keys() - current.keys()),
    )


def encode_cursor(fingerprints: Mapping[str, FileFingerprint]) -> str:
    """The sensor cursor: fingerprints as compact, key-sorted JSON."""
    return json.dumps({k: asdict(v) for k, v in sorted(fingerprints.items())}, separators=(",", ":"))


def decode_cursor(cursor: str | None) -> dict[str, FileFingerprint] | None:
    """Fingerprints from a cursor; None when there is no usable cursor (the first check)."""
    if not cursor:
        return None
    try:
        return {name: FileFingerprint(**fields) for name, fields in json.loads(cursor).items()}
    except (ValueError, TypeError, AttributeError):
        return None
