"""Warehouse tables on object storage (`s3://bucket/prefix`): immutable versions behind a pointer object.

The same scheme as the local folder: each write uploads a new version object that is never
modified (`<table>.v<time>-<id>.parquet`), then replaces the pointer object `<table>.current` with
its name. A single-object PUT is atomic and S3 reads after writes are strongly consistent, so a
reader resolves the pointer once and reads one whole version; a writer that dies before the
pointer's PUT leaves the previous version current. Readers copy a version to a local cache once
(versions never change, so a cached copy is never stale) and DuckDB and Polars read that file.

Library: obstore (Rust's `object_store`), chosen over fsspec/s3fs because it is one small
dependency without aiobotocore's pins on botocore, and over DuckDB's httpfs because DuckDB
extensions are downloaded at run time, which locked-down hosts (and this project's CI) cannot do.
Credentials and endpoint come from the usual AWS variables (`AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` for S3-compatible stores), never the URL.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from datetime import UTC
from pathlib import Path
from typing import Any

SCHEMES = ("s3://",)


def is_object_url(location: str) -> bool:
    """Whether a warehouse location is an object-storage URL rather than a folder."""
    return location.startswith(SCHEMES)


def cache_dir(url: str, base: Path) -> Path:
    """Where versions read from `url` are cached: a folder of `base` (settings' `warehouse_cache`)."""
    return base / hashlib.sha256(url.encode()).hexdigest()[:16]


class ObjectTables:
    """Version objects and pointer objects of warehouse tables under one object-storage URL."""

    def __init__(self, url: str) -> None:
        try:
            from obstore.store import from_url
        except ImportError:
            raise RuntimeError(
                "a warehouse on object storage needs obstore; install the project with its s3 extra "
                "(pip install 'ac_export[s3]')"
            ) from None
        self.url = url
        self._store: Any = from_url(url)

    def current(self, key: str) -> str | None:
        """The version name a table's pointer object names, or None when the table was never written."""
        import obstore

        try:
            return bytes(obstore.get(self._store, f"{key}.current").bytes()).decode().strip()
        except FileNotFoundError:
            return None

    def download(self, key_dir: str, version: str, target: Path) -> None:
        """Copy a version object to a local file (through a temporary name, so no half file is ever seen)."""
        import obstore

        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            with partial.open("wb") as out:
                for chunk in obstore.get(self._store, _join(key_dir, version)):
                    out.write(chunk)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def publish(self, key: str, version: str, source: Path) -> None:
        """Upload a new version, then point the table at it."""
        import obstore

        key_dir = key.rpartition("/")[0]
        obstore.put(self._store, _join(key_dir, version), source)
        obstore.put(self._store, f"{key}.current", version.encode())

    def prune(
        self, key: str, pattern: re.Pattern[str], current: str, keep_versions: int, keep_seconds: float
    ) -> None:
        """Delete superseded versions (names matching `pattern`) that are old and not among the newest few."""
        import obstore

        key_dir = key.rpartition("/")[0]
        # Listing takes whole path segments as its prefix, so list the folder and match names here.
        listed = (item for batch in obstore.list(self._store, prefix=key_dir or None) for item in batch)
        versions = sorted(
            (item for item in listed if pattern.match(str(item["path"]).rpartition("/")[2])),
            key=lambda item: str(item["path"]),
        )
        old = [item for item in versions if str(item["path"]).rpartition("/")[2] != current]
        cutoff = time.time() - keep_seconds
        for item in old[: max(len(old) - keep_versions, 0)]:
            if item["last_modified"].astimezone(UTC).timestamp() < cutoff:
                obstore.delete(self._store, str(item["path"]))


def _join(key_dir: str, name: str) -> str:
    return f"{key_dir}/{name}" if key_dir else name
