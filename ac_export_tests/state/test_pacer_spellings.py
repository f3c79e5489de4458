"""Pacing state an older version kept per host spelling is folded into the account's one pacer.

On both backends: the embedded pacer's files (named by a hash of the spelling) and PostgreSQL's
rows. A wait the server imposed through one spelling holds back a pacer made through another.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import psycopg

from ac_export.activecampaign.api.limits import Limits, RequestKind
from ac_export.state.pacer import AccountPacer
from ac_export.state.postgres.pacer import PostgresPacer

BLOCK_S = 30.0


def test_two_spellings_share_one_embedded_pacer(tmp_path: Path) -> None:
    first = AccountPacer("localhost:8787", Limits(), tmp_path)
    first.block(BLOCK_S)
    second = AccountPacer("http://127.0.0.1:8787/api/3", Limits(), tmp_path)

    assert second.ready_in(RequestKind.GENERAL) > BLOCK_S - 5
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_an_older_spellings_pacing_file_is_folded_in_and_removed(tmp_path: Path) -> None:
    older = tmp_path / f"{hashlib.sha256(b'localhost:8787').hexdigest()[:16]}.json"
    older.write_text(json.dumps({"blocked_until": [time.time() + BLOCK_S]}))

    pacer = AccountPacer("127.0.0.1:8787", Limits(), tmp_path)

    assert pacer.ready_in(RequestKind.GENERAL) > BLOCK_S - 5
    assert not older.exists()


def test_an_older_spellings_pacing_row_is_folded_in_and_removed(postgres_dsn: str) -> None:
    PostgresPacer("acme.activehosted.com", Limits(), postgres_dsn).close()  # makes the tables
    with psycopg.connect(postgres_dsn) as conn:
        until = conn.execute("SELECT extract(epoch FROM clock_timestamp())::float8").fetchone()
        assert until is not None
        state = json.dumps({"blocked_until": [until[0] + BLOCK_S]})
        conn.execute("INSERT INTO ac_export_pacing VALUES ('acme.api-us1.com', %s)", [state])
        conn.execute("INSERT INTO ac_export_pacing VALUES ('other.api-us1.com', %s)", [state])

    pacer = PostgresPacer("https://ACME.api-us1.com/api/3", Limits(), postgres_dsn)
    try:
        ready_in = pacer.ready_in(RequestKind.GENERAL)
    finally:
        pacer.close()

    assert ready_in > BLOCK_S - 5
    with psycopg.connect(postgres_dsn) as conn:
        accounts = [row[0] for row in conn.execute("SELECT account FROM ac_export_pacing ORDER BY 1")]
    assert accounts == ["acme.activehosted.com", "other.api-us1.com"]  # another account is left alone
