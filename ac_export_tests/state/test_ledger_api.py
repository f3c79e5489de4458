"""The ledger's named operations (`state.ledger_api.Ledger`): the same answers from both backends,
and every change they make durable (the PostgreSQL store writes each one through to its database)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ac_export.state.ledger import (
    MISSING,
    OFF_LIST,
    ON_LIST,
    OPTED_OUT,
    OPTED_OUT_REMEMBERED,
    PRE_EXISTING,
    PRE_EXISTING_MISSING,
    REFUSED,
    SUBSCRIBED,
    UNSUBSCRIBED_IN_AC,
    UNSUBSCRIBED_REMEMBERED,
)
from ac_export.state.ledger_api import Ledger, any_but, one_of
from ac_export.state.postgres.ledger import PostgresLedger
from ac_export.state.store import LedgerStore

# One contact in each status (email → status, content hash).
SEEDED = {
    "sub@x.org": ("subscribed", "h-sub"),
    "gone@x.org": ("subscribed", "h-gone"),
    "miss@x.org": ("missing", "h-miss"),
    "pre@x.org": ("pre_existing", None),
    "prem@x.org": ("pre_existing_missing", None),
    "opt@x.org": ("opted_out", None),
    "optrem@x.org": ("opted_out_remembered", None),
    "unsub@x.org": ("unsubscribed_in_activecampaign", None),
    "unsubrem@x.org": ("unsubscribed_remembered", None),
    "rem@x.org": ("removed", None),
    "ref@x.org": ("refused", "h-ref"),
    "later@x.org": ("a_status_added_later", None),
}

Opener = Callable[[], Ledger]


@pytest.fixture(params=["embedded", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the same list's ledger again and again, in either backend (seeded on the first open)."""
    if request.param == "postgres":
        dsn: str = request.getfixturevalue("postgres_dsn")

        def opener() -> Ledger:
            return PostgresLedger.open_list(dsn, "api.example", 5)
    else:

        def opener() -> Ledger:
            return LedgerStore.open(tmp_path / "list_5.duckdb")

    seeding = opener()
    try:
        for email, (status, content_hash) in SEEDED.items():
            seeding.con.execute(
                "INSERT INTO ledger (email, customer_id, content_hash, status, reason, export, updated_at) "
                "VALUES (?, ?, ?, ?, 'seeded', 'e', now())",
                [email, "c-" + email, content_hash, status],
            )
        seeding.record_fact("list_name", "Newsletter")
        seeding.write_through()
    finally:
        seeding.close()
    yield opener


def _rows(store: Ledger) -> dict[str, tuple[object, ...]]:
    rows = store.con.execute(
        "SELECT email, status, reason, content_hash, export FROM ledger ORDER BY email"
    ).fetchall()
    return {str(row[0]): tuple(row[1:]) for row in rows}


def _emails(store: Ledger, name: str, emails: list[str]) -> None:
    store.con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT unnest(?::VARCHAR[]) AS email", [emails]
    )


def _changed_durably(open_store: Opener, change: Callable[[Ledger], object]) -> tuple[object, dict]:
    """What `change` returned and the ledger it left, checked to be what the next open finds."""
    store = open_store()
    try:
        with store.transaction():
            answer = change(store)
        local = _rows(store)
        store.write_through()
    finally:
        store.close()
    again = open_store()
    try:
        durable = _rows(again)
    finally:
        again.close()
    assert durable == local  # every change reached where the backend keeps the ledger
    return answer, local


def test_both_stores_implement_every_operation_of_the_interface(open_store: Opener) -> None:
    store = open_store()
    try:
        assert isinstance(store, Ledger)
        for name, member in inspect.getmembers(Ledger, inspect.isfunction):
            if not name.startswith("_"):
                ours = inspect.signature(getattr(type(store), name))
                assert list(ours.parameters) == list(inspect.signature(member).parameters), name
    finally:
        store.close()


def test_reads_counts_facts_and_the_rows_the_plan_diffs_against(open_store: Opener) -> None:
    store = open_store()
    try:
        counts = store.counts()
        inputs = store.con.execute(f"SELECT * FROM {store.plan_inputs()} ORDER BY email").fetchall()
        _emails(store, "shown", ["sub@x.org", "pre@x.org"])
        absent = store.on_list_absent_from("shown")
        unknown = store.unknown_or_refused(["new@x.org", "ref@x.org", "sub@x.org"])
        status, nobody = store.status_of("opt@x.org"), store.status_of("new@x.org")
        store.record_fact("opt_out_forgotten a@x.org", "{}")
        facts = (store.fact("list_name"), store.fact("nothing"), store.facts_starting("opt_out_forgotten "))
    finally:
        store.close()

    assert (counts.of(SUBSCRIBED), counts.of(*ON_LIST), counts.of(*OFF_LIST)) == (2, 3, 3)
    assert counts.of(MISSING, PRE_EXISTING_MISSING) == 2 and sum(counts.by_status.values()) == len(SEEDED)
    assert len(inputs) == len(SEEDED)
    assert ("sub@x.org", "c-sub@x.org", "subscribed", "h-sub", "seeded") in inputs
    assert absent == ["gone@x.org", "miss@x.org"]  # on the list (ours or theirs) or ours missing
    assert unknown == {"new@x.org", "ref@x.org"}
    assert (status, nobody) == ("opted_out", None)
    assert facts == ("Newsletter", None, {"opt_out_forgotten a@x.org": "{}"})


def test_a_mark_changes_only_the_statuses_named_and_records_why(open_store: Opener) -> None:
    everyone = list(SEEDED)

    def change(store: Ledger) -> tuple[int, ...]:
        _emails(store, "ac_off", everyone)
        return (
            store.mark_opted_out("ac_off", was=one_of(SUBSCRIBED, MISSING)),
            store.mark_unsubscribed_by_others("ac_off", was=one_of(PRE_EXISTING, PRE_EXISTING_MISSING)),
            store.mark_pre_existing("ac_off", was=one_of(REFUSED)),
        )

    counted, rows = _changed_durably(open_store, change)

    assert counted == (3, 2, 1)
    assert rows["sub@x.org"][:2] == (OPTED_OUT, "left the list in ActiveCampaign while we had it subscribed")
    assert rows["miss@x.org"][0] == "opted_out" and rows["gone@x.org"][0] == "opted_out"
    assert rows["pre@x.org"][:2] == (UNSUBSCRIBED_IN_AC, "unsubscribed in ActiveCampaign, not by us")
    assert rows["ref@x.org"][:2] == ("pre_existing", "subscribed in ActiveCampaign, not by us")
    assert rows["sub@x.org"][2] == "h-sub"  # a mark keeps the hash the contact was sent with
    assert rows["rem@x.org"] == ("removed", "seeded", None, "e")  # untouched


def test_any_but_includes_a_status_added_later(open_store: Opener) -> None:
    def change(store: Ledger) -> int:
        _emails(store, "ac_on", ["later@x.org", "rem@x.org", "sub@x.org"])
        return store.mark_pre_existing("ac_on", was=any_but(*ON_LIST))

    counted, rows = _changed_durably(open_store, change)

    assert counted == 2
    assert rows["later@x.org"][0] == rows["rem@x.org"][0] == "pre_existing"
    assert rows["sub@x.org"][0] == "subscribed"


def test_the_list_losing_contacts_and_showing_them_again(open_store: Opener) -> None:
    def change(store: Ledger) -> tuple[int, ...]:
        _emails(store, "ac_on", ["sub@x.org", "miss@x.org"])
        return (
            store.mark_missing(absent_from="ac_on", was=one_of(SUBSCRIBED)),
            store.mark_subscribed("ac_on", was=one_of(MISSING)),
            store.mark_pre_existing_missing(absent_from="ac_on", was=one_of(PRE_EXISTING)),
        )

    counted, rows = _changed_durably(open_store, change)

    assert counted == (1, 1, 1)
    assert rows["gone@x.org"][:2] == ("missing", "no longer on the list in ActiveCampaign")
    assert rows["miss@x.org"][:2] == ("subscribed", None)
    assert rows["pre@x.org"][:2] == ("pre_existing_missing", "lost by the list in ActiveCampaign; not ours")


def test_learning_adds_only_contacts_the_ledger_has_no_row_for(open_store: Opener) -> None:
    def change(store: Ledger) -> tuple[int, int]:
        _emails(store, "ac_on", ["new-on@x.org", "sub@x.org"])
        _emails(store, "ac_off", ["new-off@x.org", "opt@x.org"])
        return store.learn_pre_existing("ac_on", "exp"), store.learn_unsubscribed_by_others("ac_off", "exp")

    counted, rows = _changed_durably(open_store, change)

    assert counted == (1, 1)
    assert rows["new-on@x.org"] == ("pre_existing", "subscribed in ActiveCampaign, not by us", None, "exp")
    why = "unsubscribed in ActiveCampaign, not by us"
    assert rows["new-off@x.org"] == (UNSUBSCRIBED_IN_AC, why, None, "exp")
    assert rows["sub@x.org"][0] == "subscribed" and rows["opt@x.org"][0] == "opted_out"


def test_what_activecampaign_forgot_is_remembered_and_our_removals_forgotten(open_store: Opener) -> None:
    def change(store: Ledger) -> tuple[int, int]:
        _emails(store, "ac_off", ["rem@x.org"])
        return store.remember_opt_outs(absent_from="ac_off"), store.forget_removals(absent_from="ac_off")

    counted, rows = _changed_durably(open_store, change)

    assert counted == (2, 0)  # rem@ is still shown unsubscribed: kept
    assert rows["opt@x.org"][:2] == (OPTED_OUT_REMEMBERED, "opted out; ActiveCampaign no longer shows it")
    assert rows["unsub@x.org"][:2] == (
        UNSUBSCRIBED_REMEMBERED,
        "unsubscribed by others; ActiveCampaign no longer shows it",
    )

    counted, rows = _changed_durably(open_store, lambda store: _forget_unshown_removals(store))
    assert counted == 1 and "rem@x.org" not in rows  # the deletion reached the backend too


def _forget_unshown_removals(store: Ledger) -> int:
    _emails(store, "ac_off", [])
    return store.forget_removals(absent_from="ac_off")


def test_a_full_reconcile_retries_refusals_and_a_replaced_list_forgets_its_history(
    open_store: Opener,
) -> None:
    counted, rows = _changed_durably(open_store, lambda store: store.retry_refusals())
    assert counted == 1 and rows["ref@x.org"][:3] == (REFUSED, "seeded", None)

    counted, rows = _changed_durably(open_store, lambda store: store.forget_removals_and_refusals())
    assert counted == 2 and "rem@x.org" not in rows and "ref@x.org" not in rows


def test_an_operators_forgotten_opt_outs(open_store: Opener) -> None:
    def change(store: Ledger) -> tuple[int, int]:
        return store.mark_removed(["opt@x.org"], "opt-out forgotten by ops"), store.forget(["optrem@x.org"])

    counted, rows = _changed_durably(open_store, change)

    assert counted == (1, 1)
    assert rows["opt@x.org"][:3] == ("removed", "opt-out forgotten by ops", None)
    assert "optrem@x.org" not in rows


def test_refusals_since_a_moment_and_payloads_kept_once_confirmed(open_store: Opener) -> None:
    store = open_store()
    try:
        before = datetime.now() - timedelta(hours=1)
        later = datetime.now() + timedelta(hours=1)
        refused = store.con.execute(f"SELECT * FROM {store.refused_since(before)}").fetchall()
        none_yet = store.con.execute(f"SELECT count(*) FROM {store.refused_since(later)}").fetchall()
        store.remember_sent(
            "SELECT * FROM (VALUES ('sub@x.org', '{\"a\": 1}', 'h-sub'), ('gone@x.org', '{}', 'other')) "
            "t(email, payload, content_hash)"
        )
        sent = store.con.execute(f"SELECT email, payload FROM {store.last_sent()}").fetchall()
    finally:
        store.close()

    assert refused == [("e", "c-ref@x.org", "ref@x.org", "seeded")]
    assert none_yet == [(0,)]
    assert sent == [("sub@x.org", '{"a": 1}')]  # gone@'s hash is not the one the ledger confirmed


def test_a_table_name_that_is_not_a_plain_name_is_refused(open_store: Opener) -> None:
    store = open_store()
    try:
        with pytest.raises(ValueError, match="not a table name"):
            store.mark_opted_out("ac_off; DROP TABLE ledger", was=one_of(OPTED_OUT))
        assert store.counts().of(UNSUBSCRIBED_IN_AC) == 1
    finally:
        store.close()
