"""Reading a source file only from a stable snapshot, and holding a load that lost most of its records.

A file being rewritten while a refresh reads it yields some of its records, cut mid-line, and every
guard downstream sees a smaller but plausible table; the export then removes the members who seem
gone. So a read counts only if the file's identity, size and modification time are the same before
and after it, and a CSV or JSON-lines file must end with a line break (a writer stopped mid-record
has not written one yet). A file cut at a line boundary passes both, so a load is also held when it
has far fewer records than the previous good one (`max_row_drop` per source).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ac_export.errors import UserError

# A line break (LF, or CR as old Mac files end lines) in one-byte encodings, UTF-8 and UTF-16 (either
# byte order): whatever encoding a file is declared in, its last bytes must be one of these (a wrong
# declaration is reported by the read).
_LINE_ENDS = (b"\n", b"\n\x00", b"\x00\n", b"\r", b"\r\x00", b"\x00\r")
RETRY_HINT = "run the refresh again once the file is completely written; the previous tables were kept"


class UnstableSourceError(UserError):
    """A source file changed while it was read, or ends in the middle of a record."""


@dataclass(frozen=True)
class FileState:
    """What identifies one version of a file without reading it."""

    device: int
    inode: int
    size: int
    modified_ns: int
    changed_ns: int


def file_state(path: Path) -> FileState:
    """The file's identity, size and modification times now."""
    info = os.stat(path)
    return FileState(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@contextmanager
def stable_read(path: Path, file_format: str, *, final_line_break: bool = True) -> Iterator[FileState]:
    """Wrap one read of a file; raises UnstableSourceError if the file changed meanwhile or is cut short."""
    before = file_state(path)
    if final_line_break and file_format in ("csv", "jsonl"):
        _require_final_line_break(path, before)
    yield before
    after = file_state(path)
    if after != before:
        raise UnstableSourceError(
            f"{path}: the file changed while it was read ({_change(before, after)}), so what was read may "
            f"be a part of it; nothing was loaded — {RETRY_HINT}"
        )


def _require_final_line_break(path: Path, state: FileState) -> None:
    ends = _LINE_ENDS
    width = max(len(end) for end in ends)
    with path.open("rb") as handle:
        handle.seek(max(0, state.size - width))
        tail = handle.read(width)
    if not any(tail.endswith(end) for end in ends):
        raise UnstableSourceError(
            f"{path}: the last line has no line break, so the file may still be being written (or was "
            f"cut short); nothing was loaded — {RETRY_HINT}. If the file is complete and its producer never "
            "ends it with a line break, set final_line_break: false for this source in sources.yaml"
        )


def _change(before: FileState, after: FileState) -> str:
    if (before.device, before.inode) != (after.device, after.inode):
        return "it was replaced by another file"
    if before.size != after.size:
        return f"its size went from {before.size:,} to {after.size:,} bytes"
    return "it was written to"


def row_drop_problem(
    path: Path, table: str, previous: int | None, current: int, max_row_drop: float | None
) -> str | None:
    """Why a load with `current` records must be held against the previous good load, or None."""
    if max_row_drop is None or not previous or current >= previous:
        return None
    drop = (previous - current) / previous
    if drop <= max_row_drop:
        return None
    return (
        f"{path}: holds {current:,} records where the previous good load of {table} had {previous:,} "
        f"(−{drop:.0%}, more than this source's max_row_drop of {max_row_drop:.0%}); nothing was loaded "
        "and nothing downstream (profiles, segments, exports) ran on it. If the file is whole and the "
        "drop is real, raise max_row_drop for this source in sources.yaml (or set it to null) and refresh"
    )
