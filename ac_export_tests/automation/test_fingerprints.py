"""Source file fingerprints: content decides, stat only spares hashing; the cursor round-trips."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ac_export.automation import fingerprints
from ac_export.automation.fingerprints import (
    FileChanges,
    FileFingerprint,
    compare,
    decode_cursor,
    encode_cursor,
    fingerprint,
    fingerprint_files,
)


def _files(root: Path, **contents: str) -> dict[str, Path]:
    for name, text in contents.items():
        (root / name).write_text(text, encoding="utf-8")
    return {name: root / name for name in ("a.txt", "b.txt")}


def test_fingerprint_is_the_content_hash(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"id,email\n1,a@example.com\n")
    print_ = fingerprint(path)
    assert print_ is not None
    assert print_.sha256 == hashlib.sha256(b"id,email\n1,a@example.com\n").hexdigest()
    assert print_.size == 25


def test_missing_file_has_no_fingerprint(tmp_path: Path) -> None:
    assert fingerprint(tmp_path / "nowhere.txt") is None


def test_new_and_changed_files_trigger_and_untouched_ones_do_not(tmp_path: Path) -> None:
    paths = _files(tmp_path, **{"a.txt": "one"})
    first = fingerprint_files(paths, {})
    assert list(first) == ["a.txt"]
    _files(tmp_path, **{"a.txt": "one, edited", "b.txt": "two"})
    changes = compare(first, fingerprint_files(paths, first))
    assert changes == FileChanges(added=["b.txt"], changed=["a.txt"], removed=[])
    assert changes.triggers_refresh
    assert changes.describe() == "new: b.txt; changed: a.txt"


def test_touching_or_rewriting_the_same_content_is_no_change(tmp_path: Path) -> None:
    paths = _files(tmp_path, **{"a.txt": "same"})
    before = fingerprint_files(paths, {})
    os.utime(paths["a.txt"], ns=(10**18, 10**18))
    touched = fingerprint_files(paths, before)
    replacement = tmp_path / "a.txt.new"
    replacement.write_text("same", encoding="utf-8")
    os.replace(replacement, paths["a.txt"])
    replaced = fingerprint_files(paths, touched)
    assert touched["a.txt"].stat_key != before["a.txt"].stat_key
    assert not compare(before, touched).triggers_refresh
    assert not compare(touched, replaced).triggers_refresh


def test_an_unmoved_file_is_not_hashed_again(tmp_path: Path) -> None:
    paths = _files(tmp_path, **{"a.txt": "content"})
    real = fingerprint_files(paths, {})["a.txt"]
    remembered = FileFingerprint(sha256="remembered", size=real.size, stat_key=real.stat_key)
    assert fingerprint(paths["a.txt"], remembered) is remembered


def test_a_file_written_while_hashed_waits_for_a_later_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.txt"
    path.write_text("partial", encoding="utf-8")
    real_hash = fingerprints._sha256

    def hash_while_a_writer_appends(target: Path) -> str:
        digest = real_hash(target)
        with target.open("a", encoding="utf-8") as handle:
            handle.write(" and the rest")
        return digest

    monkeypatch.setattr(fingerprints, "_sha256", hash_while_a_writer_appends)
    assert fingerprint(path) is None
    previous = FileFingerprint(sha256="old", size=1, stat_key="0:0:1:0")
    assert fingerprint(path, previous) is previous


def test_a_vanished_file_is_reported_but_does_not_trigger(tmp_path: Path) -> None:
    paths = _files(tmp_path, **{"a.txt": "one", "b.txt": "two"})
    before = fingerprint_files(paths, {})
    paths["b.txt"].unlink()
    changes = compare(before, fingerprint_files(paths, before))
    assert changes == FileChanges(added=[], changed=[], removed=["b.txt"])
    assert not changes.triggers_refresh


def test_cursor_round_trip_and_unusable_cursors(tmp_path: Path) -> None:
    prints = fingerprint_files(_files(tmp_path, **{"a.txt": "one", "b.txt": "two"}), {})
    assert decode_cursor(encode_cursor(prints)) == prints
    assert decode_cursor(None) is None
    assert decode_cursor("") is None
    assert decode_cursor("not json") is None
    assert decode_cursor('{"a.txt": {"sha": 1}}') is None
