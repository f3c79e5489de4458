"""Ledgers written under an older spelling of the account: found and merged into the canonical one.

Before identities were canonical, `localhost:PORT` and `127.0.0.1:PORT` (or an account's API and
app domains) kept two ledgers of one list. The second one learned the first one's subscribers as
`pre_existing` and its leavers as `unsubscribed_in_activecampaign`: what a ledger learns from the
list when it does not know the history. So, per email, the merge keeps the newest row's side of
the list (on it or off it: the latest fact about the list), and on that side a row that knows who
did it (subscribed, removed, opted out by us) over one learned in ignorance.

The rule is one SQL text that both DuckDB (embedded ledgers) and PostgreSQL run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ac_export.state import ledger
from ac_export.state.accounts import account_identity
from ac_export.state.ledger import LEDGER_COLUMNS, MISSING, OFF_LIST, ON_LIST, LedgerInUse, sql_in
from ac_export.warehouse import scalar

# Statuses a ledger learns from the list itself, without knowing who put the contact there or took it off.
LEARNED = (ledger.PRE_EXISTING, ledger.UNSUBSCRIBED_IN_AC)
# A fact naming each older ledger already merged, so a merge interrupted before the old file was
# retired is not applied twice (its in-flight batches would be queued twice).
MERGED_FACT = "merged_from:"
RETIRED_SUFFIX = ".merged"


def _side(column: str = "status") -> str:
    return (
        f"CASE WHEN {column} IN {sql_in(ON_LIST)} THEN 'on' WHEN {column} IN {sql_in(OFF_LIST)} THEN 'off' "
        f"WHEN {column} = '{MISSING}' THEN 'missing' ELSE {column} END"
    )


def winners_sql(candidates_sql: str) -> str:
    """The row each email keeps, of candidates (LEDGER_COLUMNS and `origin`, 0 for the canonical ledger).

    Portable: DuckDB and PostgreSQL both run it. Ties go to the newest row, then the canonical ledger.
    """
    return f"""
        SELECT {LEDGER_COLUMNS}, origin FROM (
            SELECT c.*, row_number() OVER (
                PARTITION BY c.email
                ORDER BY CASE WHEN c.side = n.side THEN 0 ELSE 1 END,
                         CASE WHEN c.status IN {sql_in(LEARNED)} THEN 1 ELSE 0 END,
                         c.updated_at DESC, c.origin
            ) AS keep
            FROM (SELECT a.*, {_side("a.status")} AS side FROM ({candidates_sql}) AS a) AS c
            JOIN (
                SELECT email, side FROM (
                    SELECT b.email, {_side("b.status")} AS side,
                           row_number() OVER (
                               PARTITION BY b.email ORDER BY b.updated_at DESC, b.origin
                           ) AS newest
                    FROM ({candidates_sql}) AS b
                ) AS latest WHERE newest = 1
            ) AS n ON c.email = n.email
        ) AS ranked WHERE keep = 1
    """


def host_of_folder(name: str) -> str:
    """The host a ledger folder was named after: `folder_name` read back (host names have no `_`)."""
    bracketed = re.fullmatch(r"_([0-9A-Fa-f_.]+)_(?:_(\d+))?", name)
    if bracketed:
        port = f":{bracketed[2]}" if bracketed[2] else ""
        return f"[{bracketed[1].replace('_', ':')}]{port}"
    with_port = re.fullmatch(r"([A-Za-z0-9.\-]+)_(\d+)", name)
    return f"{with_port[1]}:{with_port[2]}" if with_port else name


def older_ledgers(root: Path, host: str, list_id: int) -> list[Path]:
    """Ledger files of this list kept under another spelling of the same account, oldest folder first."""
    identity = account_identity(host)
    base = root / "ledger"
    if not base.is_dir():
        return []
    canonical = ledger.folder_name(identity)
    found = [
        folder / f"list_{list_id}.duckdb"
        for folder in sorted(base.iterdir())
        if folder.is_dir()
        and folder.name != canonical
        and account_identity(host_of_folder(folder.name)) == identity
    ]
    return [path for path in found if path.exists()]


def open_list_ledger(
    root: Path, host: str, list_id: int, *, read_only: bool = False, wait_s: float = 30.0
) -> duckdb.DuckDBPyConnection:
    """A list's embedded ledger under the account's canonical identity, older spellings merged in.

    A writer merges them into the canonical file (under its lock) and retires the old files; a
    reader (a dry run) sees the same merge in memory and leaves every file as it is.
    """
    path = ledger.ledger_path(root, host, list_id)
    if read_only:
        older = older_ledgers(root, host, list_id)
        if not older:
            return ledger.open_ledger(path, read_only=True, wait_s=wait_s)
        con = duckdb.connect(":memory:")
        con.execute(ledger.SCHEMA)
        for source in ([path] if path.exists() else []) + older:
            if ledger.read_fact(con, MERGED_FACT + source.parent.name) is None:
                _merge_file(con, source)
        return con
    con = ledger.open_ledger(path, wait_s=wait_s)
    try:
        # Listed only once the canonical lock is held: a run that merged meanwhile retired them.
        for source in older_ledgers(root, host, list_id):
            if ledger.read_fact(con, MERGED_FACT + source.parent.name) is None:
                _merge_file(con, source)
            _retire(source)
    except BaseException:
        con.close()
        raise
    return con


def _merge_file(con: duckdb.DuckDBPyConnection, source: Path) -> None:
    """Merge one ledger file into `con`'s ledger in one transaction, and note that it was merged."""
    try:
        con.execute(f"ATTACH '{str(source).replace(chr(39), chr(39) * 2)}' AS older (READ_ONLY)")
    except duckdb.IOException:
        raise LedgerInUse(
            f"the ledger {source} (kept under an older spelling of the account's host) is in use by "
            "another run; wait for that run to finish, the next run merges it"
        ) from None
    try:
        tables = {
            str(row[0])
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'older'"
            ).fetchall()
        }
        with ledger.transaction(con):
            _merge_tables(con, tables)
            ledger.write_fact(con, MERGED_FACT + source.parent.name, datetime.now(UTC).isoformat())
    finally:
        con.execute("DETACH older")


def _merge_tables(con: duckdb.DuckDBPyConnection, tables: set[str]) -> None:
    catalog = scalar(con, "SELECT current_database()")
    if "ledger" in tables:
        candidates = (
            f'SELECT {LEDGER_COLUMNS}, 0 AS origin FROM "{catalog}".main.ledger '
            f"UNION ALL SELECT {LEDGER_COLUMNS}, 1 AS origin FROM older.main.ledger"
        )
        assignments = ", ".join(f"{c} = excluded.{c}" for c in LEDGER_COLUMNS.split(", ") if c != "email")
        con.execute(
            f"""
            INSERT INTO "{catalog}".main.ledger ({LEDGER_COLUMNS})
            SELECT {LEDGER_COLUMNS} FROM ({winners_sql(candidates)}) AS w WHERE origin = 1
            ON CONFLICT (email) DO UPDATE SET {assignments}
            """
        )
    if "inflight" in tables:
        # Numbered after the canonical ledger's batches, so the two runs' batches stay apart.
        con.execute(
            f"""
            INSERT INTO "{catalog}".main.inflight
            SELECT * REPLACE (batch_no + (SELECT coalesce(max(batch_no), 0) FROM "{catalog}".main.inflight)
                              AS batch_no)
            FROM older.main.inflight
            """
        )
    if "facts" in tables:
        con.execute(
            f'INSERT INTO "{catalog}".main.facts SELECT * FROM older.main.facts ON CONFLICT (name) DO NOTHING'
        )
    if "sent_payloads" in tables:
        con.execute(
            f"""
            INSERT INTO "{catalog}".main.sent_payloads SELECT * FROM older.main.sent_payloads
            ON CONFLICT (email) DO UPDATE SET payload = excluded.payload, sent_at = excluded.sent_at
            WHERE excluded.sent_at > sent_payloads.sent_at
            """
        )


def _retire(source: Path) -> None:
    """Rename a merged ledger (and its write-ahead log) aside: kept for inspection, never found again."""
    for path in (source, source.with_name(source.name + ".wal")):
        if path.exists():
            path.replace(path.with_name(path.name + RETIRED_SUFFIX))


__all__ = ["LEARNED", "host_of_folder", "older_ledgers", "open_list_ledger", "winners_sql"]
