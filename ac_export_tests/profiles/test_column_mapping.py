"""Mapping a file of one's own: a column feeding several attributes, an attribute built from columns."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from ac_export.cli import main
from ac_export.profiles.ingest import ingest_profile_source
from ac_export.profiles.sources_config import ProfileSource
from ac_export.warehouse import Warehouse
from ac_export_tests.profiles.fixtures import write_csv

SOURCE = {
    "path": "members.csv",
    "primary_key": "No",
    "null_values": ["-"],
    "columns": {
        # One column, two attributes: the profile's email, and the login kept as text.
        "Email": ["email", {"attribute": "login"}],
        "Joined": [{"attribute": "joined", "type": "date"}, {"attribute": "joined_text"}],
        "Town": "city",
    },
    "combine": {
        "street": {"concat": ["HouseNo", "Street"]},
        "label": {"concat": ["Town", "No"], "separator": "/"},
    },
}


def test_columns_feed_several_attributes_and_attributes_combine_columns(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "members.csv",
        ["No", "Email", "HouseNo", "Street", "Town", "Joined"],
        [
            ["1", "ann@x.com", "12", " High Street ", "Leeds", "2020-01-02"],
            ["2", "bo@x.com", "", "Mill Lane", "-", "02/01/2020"],
            ["3", "", "-", "", "", ""],
        ],
    )
    warehouse = Warehouse(tmp_path / "wh")
    report = ingest_profile_source(warehouse, "members", ProfileSource.model_validate(SOURCE), tmp_path)
    table = warehouse.read_frame("sources/members").sort("source_key")
    assert table.columns == [
        "source_key", "email", "login", "joined", "joined_text", "city", "street", "label", "_row"
    ]  # fmt: skip
    assert table["login"].to_list() == table["email"].to_list() == ["ann@x.com", "bo@x.com", None]
    # Parts are trimmed, empty and null texts skipped, and nothing left is NULL.
    assert table["street"].to_list() == ["12 High Street", "Mill Lane", None]
    assert table["label"].to_list() == ["Leeds/1", "2", "3"]
    # The date that does not parse is NULL in `joined` and kept as text in `joined_text`, listed once.
    assert table["joined_text"].to_list() == ["2020-01-02", "02/01/2020", None]
    assert [str(d) if d else None for d in table["joined"].to_list()] == ["2020-01-02", None, None]
    assert report.invalid_by_column == {"Joined": 1}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            {"combine": {"birth_date": {"concat": ["A", "B"]}}},
            "'birth_date' is a date; combined columns make text",
        ),
        ({"combine": {"city": {"concat": ["A", "B"]}}}, "combine: {attribute: {concat: [...]}}"),
        ({"combine": {"street": {"concat": ["A"]}}}, "at least 2 items"),
        ({"combine": {"source_key": {"concat": ["A", "B"]}}}, "reserved"),
        ({"columns": {"Email": ["email", "email"]}}, "both map to 'email'"),
    ],
)
def test_mapping_mistakes_are_explained(change: dict[str, object], says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ProfileSource.model_validate({**SOURCE, **change})
    assert says in str(caught.value)


def test_the_readme_worked_example_runs_as_shown(capsys: pytest.CaptureFixture[str]) -> None:
    config = Path(__file__).resolve().parents[2] / "examples" / "gym" / "config"
    arguments = ["--truth", "members=Person", "--truth", "shop=person"]
    assert main(["unify-quality", "--config-dir", str(config), *arguments]) == 0
    out = capsys.readouterr().out
    assert "Unified 11 records from 2 sources into 6 profiles (4 with several sources)" in out
    assert "rule same_email (match): linked 6 records, first for 5" in out
    assert out.rstrip().endswith("F1                  1.00000")
