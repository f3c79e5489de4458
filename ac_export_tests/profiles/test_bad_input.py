"""Bad source files: each gives a clear message naming the file and what is wrong, or counted rejections.

Every case first loads a good version of the file, then the bad one. A refused file must leave the
good table exactly as it was (no half-written table, no loss of the last good data); a loaded one
must account for every record: accepted, or rejected with its row and reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ac_export.profiles.ingest import ingest_profile_source
from ac_export.profiles.reading import SourceFileError
from ac_export.profiles.reasons import REASON_LIMIT
from ac_export.profiles.sources_config import ProfileSource
from ac_export.warehouse import Warehouse

HEADER = b"Id,Email,First,Born,Phone\n"
GOOD = HEADER + b"G1,good@example.com,Good,2000-01-01,+12025550143\n"
SOURCE: dict[str, Any] = {
    "path": "people.csv",
    "primary_key": "Id",
    "columns": {"Email": "email", "First": "first_name", "Born": "birth_date", "Phone": "phone"},
    # Each case follows a one-record good file, so a case keeping no record would be held as a sharp
    # drop before its parse is judged; the drop guard has its own tests (test_snapshot.py).
    "max_row_drop": None,
}
TABLE = "sources/people"


@dataclass(frozen=True)
class Refused:
    """The file is refused whole: the message names the file and says this."""

    says: str


@dataclass(frozen=True)
class Loaded:
    """The file loads: this many records accepted and rejected (each with this reason), values set NULL."""

    accepted: int
    rejected: int = 0
    reason: str = ""
    invalid_values: int = 0
    values: dict[str, object] = field(default_factory=dict)


def rows(*lines: str) -> bytes:
    """A CSV body under the standard header."""
    return HEADER + "".join(f"{line}\n" for line in lines).encode()


MEGABYTE_NAME = "A" * 1_000_000
CASES: dict[str, tuple[bytes, dict[str, Any], Refused | Loaded]] = {
    "ragged row, too many fields": (
        rows("1,a@x.com,Ann,2000-01-01,1", "2,b@x.com,Bob,2000-01-01,1,extra", "3,c@x.com,Cy,2000-01-01,1"),
        {},
        Loaded(2, 1, "too many columns"),
    ),
    "ragged row, too few fields": (
        rows("1,a@x.com,Ann,2000-01-01,1", "2,b@x.com", "3,c@x.com,Cy,2000-01-01,1"),
        {},
        Loaded(2, 1, "too few columns"),
    ),
    "quote never closed": (
        rows('1,a@x.com,"Ann,2000-01-01,1', "2,b@x.com,Bob,2000-01-01,1"),
        {},
        Refused("a quote that is never closed"),
    ),
    "text after a closing quote": (
        rows('1,a@x.com,"Ann"x,2000-01-01,1', "2,b@x.com,Bob,2000-01-01,1"),
        {},
        Refused("text after a closing quote"),
    ),
    "line break inside quotes": (
        rows('1,a@x.com,"Ann\nMarie",2000-01-01,1', "2,b@x.com,Bob,2000-01-01,1"),
        {},
        Loaded(2, values={"first_name": "Ann\nMarie"}),
    ),
    "semicolons where commas are configured": (
        b"Id;Email;First;Born;Phone\n1;a@x.com;Ann;2000-01-01;1\n",
        {},
        Refused("it has ['Id;Email;First;Born;Phone']"),
    ),
    "commas where semicolons are configured": (
        rows("1,a@x.com,Ann,2000-01-01,1"),
        {"delimiter": ";"},
        Refused("it has ['Id,Email,First,Born,Phone']"),
    ),
    "tabs where commas are configured": (
        b"Id\tEmail\tFirst\tBorn\tPhone\n1\ta@x.com\tAnn\t2000-01-01\t1\n",
        {},
        Refused("are not in the file"),
    ),
    "latin-1 bytes in a UTF-8 file": (
        "Id,Email,First,Born,Phone\n1,a@x.com,Jos\xe9,2000-01-01,1\n2,b@x.com,Bob,2000-01-01,1\n".encode(
            "latin-1"
        ),
        {},
        Loaded(1, 1, "bytes that are not valid text in the configured encoding"),
    ),
    "latin-1 file declared latin-1": (
        "Id,Email,First,Born,Phone\n1,a@x.com,Jos\xe9,2000-01-01,1\n".encode("latin-1"),
        {"encoding": "latin-1"},
        Loaded(1, values={"first_name": "José"}),
    ),
    "cp1252 smart quotes declared cp1252": (
        "Id,Email,First,Born,Phone\n1,a@x.com,\u201cAnn\u201d \u20ac,2000-01-01,1\n".encode("cp1252"),
        {"encoding": "cp1252"},
        Loaded(1, values={"first_name": "\u201cAnn\u201d \u20ac"}),
    ),
    "UTF-8 byte order mark": ("\ufeff".encode() + rows("1,a@x.com,Ann,2000-01-01,1"), {}, Loaded(1)),
    "UTF-16 file declared UTF-8": (
        "Id,Email,First,Born,Phone\n1,a@x.com,Zoë,2000-01-01,1\n".encode("utf-16"),
        {},
        Refused("are not in the file"),
    ),
    "UTF-16 file declared UTF-16": (
        "Id,Email,First,Born,Phone\n1,a@x.com,Zoë,2000-01-01,1\n".encode("utf-16"),
        {"encoding": "utf-16"},
        Loaded(1, values={"first_name": "Zoë"}),
    ),
    "empty file": (b"", {}, Refused("the file is empty")),
    "header only": (HEADER, {}, Loaded(0)),
    "required column missing": (
        b"Id,Email,First,Born\n1,a@x.com,Ann,2000-01-01\n",
        {},
        Refused("column(s) ['Phone'] named in sources.yaml are not in the file"),
    ),
    "primary key column missing": (
        b"Email,First,Born,Phone\na@x.com,Ann,2000-01-01,1\n",
        {},
        Refused("column(s) ['Id'] named in sources.yaml are not in the file"),
    ),
    "duplicate primary keys": (
        rows("K1,a@x.com,Ann,2000-01-01,1", "K1,b@x.com,Bob,2000-01-01,1"),
        {},
        Loaded(1, 1, "duplicate primary key 'K1' (first seen at row 1)"),
    ),
    "empty primary key": (
        rows(",a@x.com,Ann,2000-01-01,1", "2,b@x.com,Bob,2000-01-01,1"),
        {},
        Loaded(1, 1, "primary key column 'Id' is empty"),
    ),
    "nulls everywhere but the key": (
        rows("1,,,,", "2, , , , "),
        {},
        Loaded(2, values={"email": None, "first_name": None, "birth_date": None, "phone": None}),
    ),
    "configured null texts": (
        rows("1,N/A,NULL,N/A,-"),
        {"null_values": ["N/A", "NULL", "-"]},
        Loaded(1, values={"email": None, "first_name": None, "birth_date": None, "phone": None}),
    ),
    "megabyte-long field": (
        rows(f"1,a@x.com,{MEGABYTE_NAME},2000-01-01,1", "2,b@x.com,Bob,2000-01-01,1"),
        {},
        Loaded(2, values={"first_name": MEGABYTE_NAME}),
    ),
    "line over DuckDB's 2 MB": (
        rows(f"1,a@x.com,{'A' * 3_000_000},2000-01-01,1"),
        {},
        Refused("Maximum line size of 2000000 bytes exceeded"),
    ),
    "garbage dates": (
        rows("1,a@x.com,A,31/02/2000,1", "2,b@x.com,B,yesterday,1", "3,c@x.com,C,2019-02-30,1"),
        {},
        Loaded(3, invalid_values=3),
    ),
    "garbage phones kept as text for unification": (
        rows("1,a@x.com,A,2000-01-01,call me", "2,b@x.com,B,2000-01-01,☎☎☎"),
        {},
        Loaded(2, values={"phone": "call me"}),
    ),
    "Windows line endings": (
        HEADER.replace(b"\n", b"\r\n") + b"1,a@x.com,Ann,2000-01-01,1\r\n",
        {},
        Loaded(1),
    ),
    "blank lines between records": (
        HEADER + b"\n1,a@x.com,Ann,2000-01-01,1\n\n\n2,b@x.com,B,2000-01-01,1\n",
        {},
        Loaded(2),
    ),
    "binary garbage": (bytes(range(256)) * 40, {}, Refused("nothing was loaded")),
    "NUL byte inside a field": (rows("1,a@x.com,A\x00nn,2000-01-01,1"), {}, Loaded(1)),
    "hostile values": (
        rows(
            "1,a@x.com,\"=cmd|' /C calc'!A0\",2000-01-01,1", "2,b@x.com,'); DROP TABLE raw; --,2000-01-01,1"
        ),
        {},
        Loaded(2, values={"first_name": "=cmd|' /C calc'!A0"}),
    ),
    "unicode and internationalised emails": (
        rows("1,josé@exämple.com,Zoë,2000-01-01,1", "2,ünïcödé@пример.рф,Ōno,2000-01-01,1"),
        {},
        Loaded(2, values={"email": "josé@exämple.com", "first_name": "Zoë"}),
    ),
    "JSON lines that are not objects": (
        b'{"Id": "1", "Email": "a@x.com", "First": "A", "Born": "2000-01-01", "Phone": "1"}\n[1, 2]\n'
        b'{"Id": "2", "Email": \nnot json\n',
        {"format": "jsonl"},
        Loaded(1, 3, "not a JSON object on one line"),
    ),
    "random bytes declared Parquet": (
        os.urandom(4096),
        {"format": "parquet"},
        Refused("cannot be read as parquet"),
    ),
}


def ingest(root: Path, data: bytes, **options: Any) -> Any:
    """Write the source file and load it into the warehouse under `root`."""
    (root / "people.csv").write_bytes(data)
    source = ProfileSource.model_validate({**SOURCE, **options})
    return ingest_profile_source(Warehouse(root / "warehouse"), "people", source, root)


@pytest.mark.parametrize(("data", "options", "outcome"), list(CASES.values()), ids=list(CASES))
def test_bad_source_file(
    tmp_path: Path, data: bytes, options: dict[str, Any], outcome: Refused | Loaded
) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    ingest(tmp_path, GOOD)
    good = warehouse.read_frame(TABLE)

    if isinstance(outcome, Refused):
        with pytest.raises(SourceFileError) as refused:
            ingest(tmp_path, data, **options)
        assert str(tmp_path / "people.csv") in str(refused.value)
        assert outcome.says in str(refused.value)
        assert warehouse.read_frame(TABLE).equals(good)  # the last good data is kept whole
        assert not list((tmp_path / "warehouse").rglob("*.tmp"))
        return

    report = ingest(tmp_path, data, **options)
    table = warehouse.read_frame(TABLE)
    rejected = warehouse.read_frame(f"{TABLE}__rejected")
    assert (report.accepted, report.rejected, report.invalid_values) == (
        outcome.accepted,
        outcome.rejected,
        outcome.invalid_values,
    )
    assert table.height == outcome.accepted and rejected.height == outcome.rejected
    assert report.rows_read == outcome.accepted + outcome.rejected
    assert all(
        outcome.reason in reason and row >= 1 for row, reason in rejected.select("row", "reason").rows()
    )
    first = table.sort("_row").row(0, named=True) if table.height else {}
    for column, value in outcome.values.items():
        assert first[column] == value, column


def test_invalid_dates_are_reported_per_value_with_row_and_column(tmp_path: Path) -> None:
    report = ingest(tmp_path, rows("1,a@x.com,A,31/02/2000,1", "2,b@x.com,B,2000-01-01,1"))

    invalid = Warehouse(tmp_path / "warehouse").read_frame(f"{TABLE}__invalid_values")
    assert report.invalid_by_column == {"Born": 1}
    assert invalid.select("row", "column", "value").rows() == [(1, "Born", "31/02/2000")]
    assert "is not a date in formats ['%Y-%m-%d']" in invalid["reason"][0]


def test_a_directory_or_a_missing_file_is_named(tmp_path: Path) -> None:
    source = ProfileSource.model_validate(SOURCE)
    warehouse = Warehouse(tmp_path / "warehouse")
    with pytest.raises(SourceFileError, match=r"people\.csv: file not found; fix 'path' in sources\.yaml"):
        ingest_profile_source(warehouse, "people", source, tmp_path)
    (tmp_path / "people.csv").mkdir()
    with pytest.raises(SourceFileError, match=r"people\.csv: is a folder, not a file"):
        ingest_profile_source(warehouse, "people", source, tmp_path)
    assert not warehouse.exists(TABLE)


@pytest.mark.parametrize(
    "record",
    [
        # Records under DuckDB's 2 MB line limit whose reasons used to quote them whole.
        "K" * 1_500_000 + ",a@x.com,A,2000-01-01,1\n" + "K" * 1_500_000 + ",b@x.com,B,2000-01-01,1",
        # 150 fields of 10 kB: DuckDB records a reject per extra field, so 1,500 of 1 kB took 55 s.
        "K2,a@x.com,A,2000-01-01,1," + ",".join(["z" * 10_000] * 150),
        "," * 200_000,
        "K3," + "q" * 1_500_000,
    ],
    ids=["1.5 MB duplicate key", "150 extra fields", "200,000 delimiters", "1.5 MB in too few fields"],
)
def test_rejection_reasons_are_short_whatever_the_record(tmp_path: Path, record: str) -> None:
    report = ingest(
        tmp_path, rows("G1,good@example.com,Good,2000-01-01,1", record, "K9,k@x.com,K,2000-01-01,1")
    )

    reasons = Warehouse(tmp_path / "warehouse").read_frame(f"{TABLE}__rejected")["reason"].to_list()
    assert report.rejected >= 1 and reasons
    assert max(len(reason) for reason in reasons) <= REASON_LIMIT + 40
    assert all(len(reason) <= REASON_LIMIT + 40 for _, reason in report.rejected_sample)


@pytest.mark.parametrize(
    "options",
    [{}, {"encoding": "latin-1"}, {"encoding": "utf-16"}, {"format": "jsonl"}, {"format": "parquet"}],
    ids=["csv", "latin-1 csv", "utf-16 csv", "jsonl", "parquet"],
)
def test_a_source_path_that_is_a_folder_is_named_whatever_the_options(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    (tmp_path / "people.csv").mkdir()
    source = ProfileSource.model_validate({**SOURCE, **options})

    with pytest.raises(SourceFileError, match=r"people\.csv: is a folder, not a file; point 'path'"):
        ingest_profile_source(Warehouse(tmp_path / "warehouse"), "people", source, tmp_path)


def test_a_file_ending_in_a_carriage_return_is_whole(tmp_path: Path) -> None:
    report = ingest(tmp_path, GOOD.replace(b"\n", b"\r"))

    assert report.accepted == 1
