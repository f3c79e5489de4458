"""A hostile server over every read the export makes: each fault ends fast, in one line, nothing written.

The server is the emulator behind a proxy (`support/hostile.py`) that breaks the answers of one
read and passes every other request through, so the export gets as far as that read. Budgets are
shortened here so the matrix runs in minutes; `test_at_the_default_budgets_…` holds the 30 s
promise at the defaults.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import duckdb
import pytest
from starlette.requests import Request

from ac_export.activecampaign.api.budget import Budget
from ac_export.activecampaign.api.client import ActiveCampaignClient
from ac_export.activecampaign.api.errors import ActiveCampaignError
from ac_export.activecampaign.list_export import ExportRequest, run_export
from ac_export.activecampaign.upload import UploadSettings
from ac_export.state import ledger
from ac_export_tests.support.emulator import EmulatorHandle
from ac_export_tests.support.export_world import ATTRIBUTE_TYPES, ExportWorld
from ac_export_tests.support.hostile import ANSWER_FAULTS, PAGING_FAULTS, HostileServer, hostile_server

FAST = Budget(request_s=2.0, bulk_request_s=10.0, phase_s=4.0)
LIMIT_S = 30.0
MEMBERS = 230
EXPECTED = {
    "html_200": "an HTML page instead of JSON",
    "endless_429": "HTTP 429 (rate limited without Retry-After)",
    "cut_body": "a connection cut mid-answer",
    "huge_body": "more than any answer of its API",
    "missing_meta": "without meta.total",
    "repeated_page": "repeated the page before it",
    "ignored_offset": "repeated the page before it",
    "changing_total": "meta.total changed from",
    "count_inflated": "more than the",
    "count_halved": f"reading them all returned {MEMBERS}",
    "count_zero": f"reading them all returned {MEMBERS}",
    "ignored_email": "ignored the email filter",
}


@pytest.fixture
def reading() -> str:
    """The documented reading only: what is under test is the server's misbehaviour, not a reading."""
    return "documented"


@pytest.fixture
def hostile(emulator: EmulatorHandle) -> Iterator[HostileServer]:
    with hostile_server(emulator.base_url) as server:
        yield server


def _contacts(request: Request) -> bool:
    return request.method == "GET" and request.url.path == "/api/3/contacts"


TARGETS: dict[str, Callable[[Request], bool]] = {
    "me": lambda r: r.url.path == "/api/3/users/me",
    "get_list": lambda r: r.method == "GET" and r.url.path.startswith("/api/3/lists/"),
    "fields": lambda r: r.method == "GET" and r.url.path == "/api/3/fields",
    "counts": lambda r: _contacts(r) and r.query_params.get("limit") == "1" and "listid" in r.query_params,
    "list_reads": lambda r: _contacts(r) and r.query_params.get("limit") == "100",
    "lookups": lambda r: _contacts(r) and "email" in r.query_params,
    "import_status": lambda r: r.url.path == "/api/3/import/info",
}
# (read, fault, what the message says): every fault that read can meet.
CASES = [
    # The export does not read /users/me (its list read checks the key); `check-connection` does.
    *[("get_list", fault) for fault in (*ANSWER_FAULTS, "missing_object")],
    *[("fields", fault) for fault in (*ANSWER_FAULTS, "missing_meta")],
    *[
        ("counts", fault)
        for fault in (*ANSWER_FAULTS, "missing_meta", "count_inflated", "count_halved", "count_zero")
    ],
    *[("list_reads", fault) for fault in (*ANSWER_FAULTS, *PAGING_FAULTS)],
    *[("lookups", fault) for fault in (*ANSWER_FAULTS, "missing_meta", "ignored_email")],
]
MISSING_OBJECT = {
    "me": "has no 'user' object",
    "get_list": "has no 'list' object",
    "import_status": "has no status",
}


@dataclass
class Attempt:
    """How a hostile run ended."""

    message: str
    seconds: float


def expected(read: str, fault: str) -> str:
    return MISSING_OBJECT[read] if fault == "missing_object" else EXPECTED[fault]


def prepared(world: ExportWorld, read: str) -> bool:
    """230 exported members, set up so the next run reaches `read`; whether that run reconciles in full."""
    world.people(MEMBERS)
    world.run()
    if read == "get_list":
        # The list is read only when its counts differ from the ledger's: someone else adds a contact.
        world.emulator.subscribe_by_account("outsider@example.com", world.list_id)
    if read == "fields":
        # The field is looked up only when the plan sends a value for it.
        world.profiles["c00001"]["tier"] = "platinum"
    if read == "lookups":
        # Unsubscribed by someone else (the ledger cannot know whom), and one new member: the new
        # member is looked up before it is subscribed.
        world.emulator.unsubscribe_by_account([f"person{n}@example.com" for n in range(5)], world.list_id)
        world.people(1, start=MEMBERS)
    if read == "import_status":
        for customer in sorted(world.members)[:50]:
            world.profiles[customer]["first_name"] = "Renamed"
    return read == "list_reads"


def client_via(
    server: HostileServer, key: str, budget: Budget = FAST, **kwargs: float
) -> ActiveCampaignClient:
    settings = {"backoff_base_s": 0.05, "backoff_max_s": 0.5, "timeout_s": 5.0, **kwargs}
    return ActiveCampaignClient(server.base_url, key, budget=budget, **settings)  # type: ignore[arg-type]


def hostile_export(
    world: ExportWorld, server: HostileServer, budget: Budget = FAST, *, full_reconcile: bool = False
) -> Attempt:
    """Run the export through the hostile server; it must fail with an ActiveCampaignError."""
    world.write()
    host = world.resource().host().host
    started = time.monotonic()
    with (
        client_via(server, world.emulator.api_key, budget, **_client_defaults(budget)) as client,
        pytest.raises(ActiveCampaignError) as caught,
    ):
        run_export(
            ExportRequest(
                "test_export", world.export(), host, ATTRIBUTE_TYPES, full_reconcile=full_reconcile
            ),
            client,
            world.warehouse,
            UploadSettings(poll_interval_s=0.02),
            logging.getLogger("test-hostile"),
            state=world.state,
        )
    return Attempt(str(caught.value), time.monotonic() - started)


def _client_defaults(budget: Budget) -> dict[str, float]:
    # At the default budget, the client's own default backoff too: as users run it.
    return {} if budget is FAST else {"backoff_base_s": 0.5, "backoff_max_s": 30.0, "timeout_s": 30.0}


def ledger_state(world: ExportWorld) -> tuple[list[tuple[object, ...]], ...]:
    """Everything the list's ledger holds."""
    root = world.warehouse.ledger_root
    assert root is not None
    path = ledger.ledger_path(root, world.resource().host().host, world.list_id)
    con = duckdb.connect(str(path), read_only=True)
    try:
        return tuple(
            con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            for table in ("ledger", "inflight", "facts")
        )
    finally:
        con.close()


def assert_refused_cleanly(attempt: Attempt, fragment: str) -> None:
    assert fragment in attempt.message, attempt.message
    assert "\n" not in attempt.message and "Traceback" not in attempt.message
    assert attempt.seconds < LIMIT_S, attempt


@pytest.mark.parametrize(("read", "fault"), CASES, ids=[f"{r}-{f}" for r, f in CASES])
def test_a_hostile_read_stops_the_export_before_any_write(
    world: ExportWorld, hostile: HostileServer, read: str, fault: str
) -> None:
    full = prepared(world, read)
    before, imports = ledger_state(world), world.emulator.stats()["bulk_imports_queued"]
    hostile.state.strike(fault, TARGETS[read])

    attempt = hostile_export(world, hostile, full_reconcile=full)

    assert hostile.state.struck, f"the export never made the {read} read"
    assert_refused_cleanly(attempt, expected(read, fault))
    assert hostile.state.writes() == []
    assert ledger_state(world) == before
    assert world.emulator.stats()["bulk_imports_queued"] == imports


@pytest.mark.parametrize("fault", [*ANSWER_FAULTS, "missing_object"])
def test_a_hostile_import_status_confirms_nothing_and_the_next_run_resumes(
    world: ExportWorld, hostile: HostileServer, fault: str
) -> None:
    prepared(world, "import_status")
    settled = ledger_state(world)[0]
    hostile.state.strike(fault, TARGETS["import_status"])

    attempt = hostile_export(world, hostile)

    assert_refused_cleanly(attempt, expected("import_status", fault))
    # Only the bulk imports were sent; the batch is in flight, nothing is recorded as confirmed.
    assert {path for _, path, _ in hostile.state.writes()} == {"/api/3/import/bulk_import"}
    ledger_rows, inflight, _ = ledger_state(world)
    assert ledger_rows == settled and len(inflight) == 50
    world.run()  # the server healed: the next run finishes the work
    assert ledger_state(world)[1] == [] and world.subscribed() == world.expected()


@pytest.mark.parametrize("fault", [*ANSWER_FAULTS, *PAGING_FAULTS])
def test_lists_never_reports_part_of_the_account(
    emulator: EmulatorHandle, hostile: HostileServer, fault: str
) -> None:
    emulator.configure(rate_limit=False)
    for n in range(MEMBERS):
        emulator.create_list(f"list {n}")
    hostile.state.strike(fault, lambda r: r.url.path == "/api/3/lists")
    started = time.monotonic()

    with client_via(hostile, emulator.api_key) as client, pytest.raises(ActiveCampaignError) as caught:
        client.lists()

    assert_refused_cleanly(Attempt(str(caught.value), time.monotonic() - started), EXPECTED[fault])
    with client_via(hostile, emulator.api_key) as client:
        hostile.state.strike("", TARGETS["me"])
        assert len(client.lists()) == MEMBERS  # healed, every list is read


@pytest.mark.parametrize("fault", ANSWER_FAULTS)
def test_at_the_default_budgets_a_broken_server_is_refused_within_30_s(
    world: ExportWorld, hostile: HostileServer, fault: str
) -> None:
    prepared(world, "counts")
    before = ledger_state(world)
    hostile.state.strike(fault, TARGETS["counts"])

    attempt = hostile_export(world, hostile, Budget())

    assert_refused_cleanly(attempt, EXPECTED[fault])
    assert hostile.state.writes() == [] and ledger_state(world) == before
    logging.getLogger("test-hostile").info(f"{fault}: refused in {attempt.seconds:.1f} s")


def test_with_more_than_a_page_of_unsubscribed_a_repeated_page_re_subscribes_nobody(
    world: ExportWorld, hostile: HostileServer
) -> None:
    """The issue's case under the lenient reading: the unsubscribed side must be read whole and right."""
    world.emulator.configure(resubscribe="lenient")
    world.people(MEMBERS)
    world.run()
    left = [f"person{n}@example.com" for n in range(120)]
    world.emulator.unsubscribe_by_account(left, world.list_id)
    world.people(120, start=MEMBERS)  # more to subscribe than the side has pages: it is read whole
    hostile.state.strike(
        "repeated_page", lambda r: TARGETS["list_reads"](r) and r.query_params.get("status") == "2"
    )

    attempt = hostile_export(world, hostile)

    assert_refused_cleanly(attempt, EXPECTED["repeated_page"])
    assert hostile.state.writes() == []
    assert not set(left) & world.subscribed()
