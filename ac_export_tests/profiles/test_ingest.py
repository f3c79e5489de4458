"""Reading source files: typed tables, rejected rows with reasons, values set to NULL, every format."""

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from ac_export.profiles.ingest import ingest_activity_source, ingest_profile_source
from ac_export.profiles.reading import SourceFileError
from ac_export.profiles.sources_config import ActivitySource, ProfileSource
from ac_export.warehouse import Warehouse
from ac_export_tests.profiles.fixtures import write_csv

SOURCE = {
    "path": "people.csv",
    "primary_key": "Id",
    "date_formats": ["%m/%d/%Y"],
    "null_values": ["N/A"],
    "columns": {
        "Mail": "email",
        "Born": "birth_date",
        "Points": {"attribute": "points", "type": "integer"},
        "Subscribed": {"attribute": "subscribed", "type": "boolean"},
        "Income": {"attribute": "income", "type": "float"},
        "Since": "created_at",
    },
}
HEADER = ["Id", "Mail", "Born", "Points", "Subscribed", "Income", "Since"]


def _source(**changes: object) -> ProfileSource:
    return ProfileSource.model_validate({**SOURCE, **changes})


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "wh")


def test_csv_records_are_typed_and_problems_explained(tmp_path: Path, warehouse: Warehouse) -> None:
    write_csv(
        tmp_path / "people.csv",
        HEADER,
        [
            ["A1", " ann@x.com ", "5/8/1986", "12", "Yes", "1000.5", "2018-01-02"],
            ["A2", "bo@x.com", "13/45/2000", "7.0", "no", "N/A", "2018-01-02 10:11:12"],
            ["A1", "dup@x.com", "", "", "", "", ""],
            ["", "nokey@x.com", "", "", "", "", ""],
            ["A3", "cy@x.com", "1/2/2003", "x", "maybe", "", "", "extra"],
            ["A4", "di@x.com", "1/2/2003", "3", "TRUE", "2e3", "yesterday"],
        ],
    )
    report = ingest_profile_source(warehouse, "people", _source(), tmp_path)
    assert (report.rows_read, report.accepted, report.rejected) == (6, 3, 3)
    table = warehouse.read_frame("sources/people").sort("_row")
    assert table.columns == [
        "source_key",
        "email",
        "birth_date",
        "points",
        "subscribed",
        "income",
        "created_at",
        "_row",
    ]
    assert table.schema["birth_date"] == pl.Date and table.schema["points"] == pl.Int64
    assert table.schema["subscribed"] == pl.Boolean and table.schema["created_at"] == pl.Datetime("us")
    assert table.rows() == [
        ("A1", "ann@x.com", date(1986, 5, 8), 12, True, 1000.5, datetime(2018, 1, 2), 1),
        ("A2", "bo@x.com", None, 7, False, None, datetime(2018, 1, 2, 10, 11, 12), 2),
        ("A4", "di@x.com", date(2003, 1, 2), 3, True, 2000.0, None, 6),
    ]
    rejected = warehouse.read_frame("sources/people__rejected").sort("row")
    assert rejected["row"].to_list() == [3, 4, 5]
    reasons = rejected["reason"].to_list()
    assert reasons[0] == "duplicate primary key 'A1' (first seen at row 1)"
    assert reasons[1] == "primary key column 'Id' is empty"
    assert reasons[2].startswith("too many columns")
    assert rejected["raw"][2] == "A3,cy@x.com,1/2/2003,x,maybe,,,extra"
    invalid = warehouse.read_frame("sources/people__invalid_values").sort("row", "column")
    assert invalid.select("row", "column", "value").rows() == [
        (2, "Born", "13/45/2000"),
        (6, "Since", "yesterday"),
    ]
    assert invalid["reason"][0] == "column 'Born': '13/45/2000' is not a date in formats ['%m/%d/%Y']"
    assert report.invalid_values == 2 and report.invalid_by_column == {"Born": 1, "Since": 1}
    assert report.rejected_by_reason["duplicate primary key"] == 1


def test_rows_after_a_rejected_record_keep_their_numbers(tmp_path: Path, warehouse: Warehouse) -> None:
    rows = [[f"K{i}", f"p{i}@x.com", "", "", "", "", ""] for i in range(1, 8)]
    rows[1] = ["K2", "too", "few"]
    rows[4] = ["K5", "a", "b", "c", "d", "e", "f", "g", "h"]
    write_csv(tmp_path / "people.csv", HEADER, rows)
    ingest_profile_source(warehouse, "people", _source(), tmp_path)
    table = warehouse.read_frame("sources/people").sort("_row")
    assert table.select("source_key", "_row").rows() == [
        ("K1", 1),
        ("K3", 3),
        ("K4", 4),
        ("K6", 6),
        ("K7", 7),
    ]
    assert warehouse.read_frame("sources/people__rejected").sort("row")["row"].to_list() == [2, 5]


def test_delimiter_quotes_and_encoding_are_configurable(tmp_path: Path, warehouse: Warehouse) -> None:
    text = 'Id;Mail;Born;Points;Subscribed;Income;Since\nB1;"zoë;müller@x.com";;;;;\n'
    (tmp_path / "people.csv").write_bytes(text.encode("cp1252"))
    ingest_profile_source(warehouse, "people", _source(delimiter=";", encoding="cp1252"), tmp_path)
    assert warehouse.read_frame("sources/people")["email"].to_list() == ["zoë;müller@x.com"]


def test_a_file_not_in_the_configured_encoding_is_refused(tmp_path: Path, warehouse: Warehouse) -> None:
    (tmp_path / "people.csv").write_bytes(b"Id,Mail\n\xff\xfe\x00,x\n")
    with pytest.raises(SourceFileError, match="not valid utf-16"):
        ingest_profile_source(warehouse, "people", _source(encoding="utf-16"), tmp_path)


def test_missing_columns_and_files_name_the_fix(tmp_path: Path, warehouse: Warehouse) -> None:
    with pytest.raises(SourceFileError, match=r"file not found; fix 'path' in sources\.yaml"):
        ingest_profile_source(warehouse, "people", _source(), tmp_path)
    write_csv(tmp_path / "people.csv", ["Id", "Mail"], [["A", "a@x.com"]])
    with pytest.raises(
        SourceFileError, match=r"column\(s\) \['Born', 'Points', 'Subscribed', 'Income', 'Since'\]"
    ):
        ingest_profile_source(warehouse, "people", _source(), tmp_path)


def test_json_lines(tmp_path: Path, warehouse: Warehouse) -> None:
    lines = [
        json.dumps(
            {"Id": 1, "Mail": "a@x.com", "Born": "5/8/1986", "Points": 3, "Subscribed": True, "Income": 2.5}
        ),
        "",
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"Id": "2", "Mail": "b@x.com", "Since": "2019-03-04"}),
    ]
    (tmp_path / "people.jsonl").write_text("\n".join(lines) + "\n")
    report = ingest_profile_source(
        warehouse, "people", _source(path="people.jsonl", format="jsonl"), tmp_path
    )
    assert (report.accepted, report.rejected) == (2, 2)
    table = warehouse.read_frame("sources/people").sort("_row")
    assert table.select("source_key", "email", "birth_date", "points", "subscribed", "_row").rows() == [
        ("1", "a@x.com", date(1986, 5, 8), 3, True, 1),
        ("2", "b@x.com", None, None, None, 5),
    ]
    rejected = warehouse.read_frame("sources/people__rejected").sort("row")
    assert rejected.select("row", "reason").rows() == [
        (3, "not a JSON object on one line"),
        (4, "not a JSON object on one line"),
    ]


def test_parquet_keeps_its_types_and_parses_its_text(tmp_path: Path, warehouse: Warehouse) -> None:
    pl.DataFrame(
        {
            "Id": [10, 11],
            "Mail": ["a@x.com", None],
            "Born": ["5/8/1986", "bad"],
            "Points": [1, 2],
            "Subscribed": [True, False],
            "Income": [1.5, None],
            "Since": [datetime(2020, 1, 1), None],
        }
    ).write_parquet(tmp_path / "people.parquet")
    report = ingest_profile_source(
        warehouse, "people", _source(path="people.parquet", format="parquet"), tmp_path
    )
    assert (report.accepted, report.invalid_values) == (2, 1)
    table = warehouse.read_frame("sources/people").sort("_row")
    assert table.rows()[0] == ("10", "a@x.com", date(1986, 5, 8), 1, True, 1.5, datetime(2020, 1, 1), 1)


def test_activities_link_to_profile_records(tmp_path: Path, warehouse: Warehouse) -> None:
    write_csv(tmp_path / "people.csv", HEADER, [["A1", "a@x.com", "", "", "", "", ""]])
    ingest_profile_source(warehouse, "people", _source(), tmp_path)
    write_csv(
        tmp_path / "orders.csv",
        ["OrderId", "Customer", "Total", "On"],
        [
            ["O1", "A1", "10.5", "2019-01-02"],
            ["O2", "", "3", "2019-01-03"],
            ["O3", "Z9", "abc", "2019-01-04"],
        ],
    )
    source = ActivitySource.model_validate(
        {
            "path": "orders.csv",
            "primary_key": "OrderId",
            "links_to": {"source": "people", "column": "Customer"},
            "columns": {
                "Total": {"attribute": "total", "type": "float"},
                "On": {"attribute": "ordered_on", "type": "date"},
            },
        }
    )
    report = ingest_activity_source(warehouse, "orders", source, tmp_path)
    table = warehouse.read_frame("activities/orders").sort("_row")
    assert table.columns == ["activity_id", "profile_source", "profile_key", "total", "ordered_on", "_row"]
    assert table.rows() == [
        ("O1", "people", "A1", 10.5, date(2019, 1, 2), 1),
        ("O3", "people", "Z9", None, date(2019, 1, 4), 3),
    ]
    rejected = warehouse.read_frame("activities/orders__rejected")
    assert rejected["reason"].to_list() == [
        "link column 'Customer' is empty: the activity names no customer record"
    ]
    assert report.unlinked == 1 and report.invalid_values == 1
