"""The `--state` file: a JSON snapshot of the account, replaced atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

SNAPSHOT_VERSION = 1


class SnapshotError(ValueError):
    """The state file exists but cannot be used; the message names the file and the fix."""


def write_snapshot(path: Path, data: dict[str, Any]) -> None:
    """Write `data` so that a crash leaves either the old file or the new one, never a torn one."""
    payload = orjson.dumps({"version": SNAPSHOT_VERSION, **data})
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(payload)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def read_snapshot(path: Path) -> dict[str, Any] | None:
    """The snapshot in `path`, or None when the file does not exist yet."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except orjson.JSONDecodeError as exc:
        raise SnapshotError(
            f"{path}: not a valid emulator state file ({exc}); delete it to start afresh"
        ) from None
    if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
        raise SnapshotError(f"{path}: unknown state file version; delete it to start afresh")
    return data
