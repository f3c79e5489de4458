"""Values that fail to parse are counted per attribute, shown as shapes, explained, and checked.

A birth date in a format `date_formats` does not list used to become NULL without a word; now the
source's metadata and run log count it, the `values_parse` check fails above the source's
`max_unparsed_share`, and the hint names the format to add.
"""

# No `from __future__ import annotations`: Dagster reads annotations at runtime.

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from ac_export.definitions import build_definitions
from ac_export.profiles.ingest import ingest_profile_source
from ac_export.profiles.parse_failures import parse_failures
from ac_export.profiles.sources_config import ProfileSource
from ac_export.warehouse import Warehouse
from ac_export_tests.support.project import write_project

SOURCE: dict[str, Any] = {
    "path": "people.csv",
    "primary_key": "Id",
    "columns": {
        "Email": "email",
        "Born": "birth_date",
        "Points": {"attribute": "points", "type": "integer"},
        "Member": {"attribute": "member", "type": "boolean"},
        "Phone": "phone",
    },
}


def write_people(root: Path, count: int, born: str = "{y}{m:02d}{d:02d}") -> None:
    """`count` people whose birth dates are written as `born`, with a few bad numbers and booleans."""
    lines = ["Id,Email,Born,Points,Member,Phone"]
    for n in range(count):
        date = born.format(y=1950 + n % 50, m=1 + n % 12, d=1 + n % 28)
        points = "1,200" if n % 10 == 0 else str(n)
        member = "Ja" if n % 20 == 0 else "yes"
        email = "not an address" if n % 25 == 0 else f"p{n}@example.com"
        lines.append(f'P{n},{email},{date},"{points}",{member},+1 202 555 {n % 10000:04d}')
    (root / "people.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_each_attribute_counts_its_lost_values_with_shapes_and_a_hint(tmp_path: Path) -> None:
    write_people(tmp_path, 200)
    source = ProfileSource.model_validate(SOURCE)
    warehouse = Warehouse(tmp_path / "warehouse")
    ingest_profile_source(warehouse, "people", source, tmp_path)

    found = {f.column: f for f in parse_failures(warehouse, "sources/people", source, "US")}

    born = found["Born"]
    assert (born.failed, born.given, born.shapes) == (200, 200, ("99999999",))
    assert "dates look like %Y%m%d (200 of 200 failed values match); add it to date_formats" in born.hint
    assert (found["Points"].failed, found["Points"].given) == (20, 200) and "thousands" in found[
        "Points"
    ].hint
    assert found["Member"].failed == 10 and "['Ja']" in found["Member"].hint
    assert (found["Email"].failed, found["Email"].shapes) == (8, ("aaa aa aaaaaaa",))
    assert found["Phone"].given == 200
    every_shape = " ".join(s for f in found.values() for s in f.shapes)
    assert "Ja" not in every_shape and "1950" not in every_shape  # shapes, never the values


def test_the_listed_format_recovers_every_date(tmp_path: Path) -> None:
    write_people(tmp_path, 50)
    source = ProfileSource.model_validate({**SOURCE, "date_formats": ["%Y-%m-%d", "%Y%m%d"]})
    warehouse = Warehouse(tmp_path / "warehouse")
    ingest_profile_source(warehouse, "people", source, tmp_path)

    found = {f.column: f for f in parse_failures(warehouse, "sources/people", source, "US")}

    assert (found["Born"].failed, found["Born"].hint) == (0, "")


def test_in_dagster_the_loss_is_logged_in_metadata_and_fails_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(tmp_path / "data", 10, 1)
    monkeypatch.setenv("AC_EXPORT_WAREHOUSE", str(project.warehouse_dir))
    write_people(project.source_file.parent, 300)
    (project.source_file.parent / "people.csv").replace(project.source_file)
    sources = {"profile_sources": {"people": {**SOURCE, "path": "sources/people.csv"}}}
    (project.config_dir / "sources.yaml").write_text(yaml.safe_dump(sources))
    defs = build_definitions(project.config_dir)
    key = dg.AssetKey(["sources", "people"])
    people = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition) and a.key == key]
    checks = [c for c in defs.asset_checks or [] if key in {k.asset_key for k in c.check_keys}]

    with dg.instance_for_test() as instance:
        result = dg.materialize([*people, *checks], instance=instance, resources=dict(defs.resources or {}))
        logs = [e.message for e in instance.all_logs(result.run_id) if e.level == 30]  # warnings

    evaluation = next(e for e in result.get_asset_check_evaluations() if e.check_name == "values_parse")
    metadata = result.asset_materializations_for_node("sources__people")[0].metadata
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "Born: 300 of 300 (100%) did not parse" in (evaluation.description or "")
    assert "add it to date_formats" in (evaluation.description or "")
    assert evaluation.metadata["attributes_over"].value == ["Born", "Points"]
    assert metadata["values_unparsed"].value >= 300 and "%Y%m%d" in metadata["parse_failures"].value
    assert any("people.Born (birth_date, date): 300 of 300 values" in line for line in logs)
