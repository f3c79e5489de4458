"""One email form for matching and export: Unicode whitespace, invisible characters, NFC, case."""

from pathlib import Path

import duckdb
import polars as pl
import pytest

from ac_export.activecampaign import plan
from ac_export.activecampaign.config import Export
from ac_export.contracts import members_table
from ac_export.profiles.email_text import email_form, email_form_sql
from ac_export.profiles.unify import unify
from ac_export.warehouse import Warehouse
from ac_export_tests.profiles.fixtures import (
    clusters,
    exact,
    profile_of,
    rule,
    sources,
    unify_config,
    write_sources,
)

CASES = {
    "tab before": ("\tann@example.com", "ann@example.com"),
    "tab after": ("ann@example.com\t", "ann@example.com"),
    "no-break spaces": ("\u00a0Ann@Example.com\u00a0", "ann@example.com"),
    "ideographic space": ("\u3000ann@example.com", "ann@example.com"),
    "narrow no-break and line separator": ("ann@example.com\u202f\u2028", "ann@example.com"),
    "line breaks and vertical tab": ("\r\n\x0bann@example.com\n", "ann@example.com"),
    "NEL and unit separator": ("\x85ann@example.com\x1f", "ann@example.com"),
    "zero-width space inside": ("ann\u200b@example.com", "ann@example.com"),
    "byte order mark first": ("\ufeffann@example.com", "ann@example.com"),
    "word joiner and soft hyphen": ("an\u2060n@exam\u00adple.com", "ann@example.com"),
    "decomposed accent": ("Jose\u0301@example.com", "jos\u00e9@example.com"),
    "composed accent": ("jos\u00e9@example.com", "jos\u00e9@example.com"),
    "space inside is kept for the validator": ("ann @example.com", "ann @example.com"),
    "control characters are not whitespace": ("\x01ann@example.com\x7f", "\x01ann@example.com\x7f"),
    "one character": ("A", "a"),
    "only ASCII whitespace": (" \t\n ", None),
    "only whitespace": (" \t\u00a0\u200b ", None),
    "null": (None, None),
}


@pytest.mark.parametrize(("given", "expected"), list(CASES.values()), ids=list(CASES))
def test_sql_and_python_give_the_one_form(given: str | None, expected: str | None) -> None:
    sql = duckdb.execute(f"SELECT {email_form_sql('$1::VARCHAR')}", [given]).fetchone()

    assert sql is not None and sql[0] == expected
    assert email_form(given) == expected


def test_one_person_written_with_different_whitespace_is_one_profile(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    config = sources(crm=(10, ["email", "first_name"]), shop=(20, ["email", "first_name"]))
    write_sources(
        warehouse,
        {
            "crm": [{"id": "a", "email": "\tAnn@X.com", "first_name": "Ann"}],
            "shop": [{"id": "b", "email": "ann@x.com\u00a0\u200b", "first_name": "Ann"}],
        },
        config,
    )

    unify(warehouse, config, unify_config(match_rules=[rule("email", exact("email", "trim_case"))]))

    assert clusters(warehouse) == {frozenset({("crm", "a"), ("shop", "b")})}
    assert profile_of(warehouse, ("crm", "a"))["email"] == "ann@x.com"


def test_the_export_reads_emails_in_the_same_form(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    given = [given for given, _ in CASES.values()]
    ids = [f"c{n}" for n in range(len(given))]
    warehouse.write_frame(plan.PROFILES_TABLE, pl.DataFrame({"customer_id": ids, "email": given}))
    members = pl.DataFrame(
        {"customer_id": ids, "left_at": [None] * len(ids)}, schema_overrides={"left_at": pl.Datetime}
    )
    warehouse.write_frame(members_table("s"), members)
    export = Export.model_validate(
        {"segment": "s", "connection": "c", "list_id": 1, "fields": {"email": "email"}}
    )

    with warehouse.connect() as con:
        plan.load_contacts(con, warehouse, export, {})
        exported = dict(con.execute("SELECT customer_id, email FROM plan_source").fetchall())

    assert exported == {i: expected for i, (_, expected) in zip(ids, CASES.values(), strict=True)}
