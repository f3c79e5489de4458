"""A source file is loaded only from a stable, whole snapshot; a sharp drop in records is held.

A refused load leaves the previous good tables exactly as they were, and in Dagster the source
asset fails so nothing downstream (profiles, segments, exports) runs on the partial file.
"""

# No `from __future__ import annotations`: Dagster reads annotations at runtime.

import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from ac_export.definitions import build_definitions
from ac_export.profiles.ingest import ingest_profile_source
from ac_export.profiles.reading import SourceFileError
from ac_export.profiles.snapshot import UnstableSourceError, stable_read
from ac_export.profiles.sources_config import ProfileSource
from ac_export.warehouse import Warehouse
from ac_export_tests.support.project import write_project

TABLE = "sources/people"
SOURCE: dict[str, Any] = {
    "path": "people.csv",
    "primary_key": "Id",
    "columns": {"Email": "email", "First": "first_name"},
}


def people_csv(count: int) -> bytes:
    """A CSV of `count` people, one line each, ending with a line break."""
    lines = ["Id,Email,First", *(f"P{n:06d},person{n}@example.com,First{n}" for n in range(count))]
    return ("\n".join(lines) + "\n").encode()


def load(root: Path, **options: Any) -> int:
    """Load `root/people.csv`; the accepted row count."""
    source = ProfileSource.model_validate({**SOURCE, **options})
    return ingest_profile_source(Warehouse(root / "warehouse"), "people", source, root).accepted


def test_a_file_cut_mid_line_is_refused_and_the_good_table_stays(tmp_path: Path) -> None:
    whole = people_csv(1000)
    (tmp_path / "people.csv").write_bytes(whole)
    assert load(tmp_path) == 1000
    good = Warehouse(tmp_path / "warehouse").read_frame(TABLE)
    (tmp_path / "people.csv").write_bytes(whole[: int(len(whole) * 0.87)])  # cut inside a record

    with pytest.raises(SourceFileError, match=r"people\.csv: the last line has no line break"):
        load(tmp_path)

    assert Warehouse(tmp_path / "warehouse").read_frame(TABLE).equals(good)


def test_a_file_cut_at_a_line_boundary_is_held_by_max_row_drop(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_bytes(people_csv(1000))
    assert load(tmp_path) == 1000
    (tmp_path / "people.csv").write_bytes(people_csv(870))

    with pytest.raises(SourceFileError, match=r"holds 870 records where the previous good load .* had 1,000"):
        load(tmp_path)
    assert load(tmp_path, max_row_drop=0.2) == 870  # a drop within the setting loads
    (tmp_path / "people.csv").write_bytes(people_csv(10))
    assert load(tmp_path, max_row_drop=None) == 10  # and null turns the hold off


def test_a_file_written_while_it_is_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(people_csv(10))

    growing = pytest.raises(UnstableSourceError, match=r"changed while it was read \(its size went from")
    with growing, stable_read(path, "csv"), path.open("ab") as handle:
        handle.write(b"P9,late@example.com,Late\n")
    replaced = pytest.raises(UnstableSourceError, match=r"it was replaced by another file")
    with replaced, stable_read(path, "csv"):
        (tmp_path / "new.csv").write_bytes(people_csv(10))
        (tmp_path / "new.csv").replace(path)


WRITER = textwrap.dedent("""
    import sys, time
    path, whole, rounds = sys.argv[1], open(sys.argv[2], 'rb').read(), int(sys.argv[3])
    for _ in range(rounds):
        with open(path, 'wb') as handle:  # rewritten in place, in pieces, as a slow export would
            for start in range(0, len(whole), 65536):
                handle.write(whole[start:start + 65536]); handle.flush(); time.sleep(0.002)
""")


def test_a_refresh_racing_a_writer_loads_only_whole_files(tmp_path: Path) -> None:
    whole = people_csv(20_000)
    (tmp_path / "people.csv").write_bytes(whole)
    (tmp_path / "whole.bin").write_bytes(whole)
    assert load(tmp_path) == 20_000
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "people.csv"), str(tmp_path / "whole.bin"), "400"]
    )
    outcomes: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while writer.poll() is None and time.monotonic() < deadline and len(outcomes) < 60:
            try:
                outcomes.append(f"loaded {load(tmp_path)}")
            except SourceFileError as refused:
                assert str(tmp_path / "people.csv") in str(refused)
                outcomes.append("refused")
    finally:
        writer.kill()
        writer.wait(timeout=10)
    (tmp_path / "people.csv").write_bytes(whole)

    assert outcomes and set(outcomes) <= {"loaded 20000", "refused"}, outcomes
    assert load(tmp_path) == 20_000


def test_in_dagster_the_source_fails_and_nothing_downstream_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(tmp_path / "data", 200, 1)
    monkeypatch.setenv("AC_EXPORT_WAREHOUSE", str(project.warehouse_dir))
    defs = build_definitions(project.config_dir)
    assets = [
        a
        for a in defs.assets or []
        if isinstance(a, dg.AssetsDefinition) and "activecampaign" not in str(a.key)
    ]
    resources = dict(defs.resources or {})
    selection = [dg.AssetKey(["sources", "people"]), dg.AssetKey("unified_profiles")]
    with dg.instance_for_test() as instance:
        assert dg.materialize(assets, selection=selection, instance=instance, resources=resources).success
        profiles = Warehouse(project.warehouse_dir).read_frame("profiles/unified_profiles")
        whole = project.source_file.read_bytes()
        project.source_file.write_bytes(whole[: len(whole) // 2])

        result = dg.materialize(
            assets, selection=selection, instance=instance, resources=resources, raise_on_error=False
        )

    failure = next(e.step_failure_data for e in result.all_events if e.is_step_failure)
    assert "people.csv: the last line has no line break" in str(failure.error)
    assert "Traceback" not in failure.error.message
    assert result.get_step_success_events() == []  # unified_profiles never ran
    assert Warehouse(project.warehouse_dir).read_frame("profiles/unified_profiles").equals(profiles)
