"""Every Desk call ends within a bound (issue 11, #3): a link that stalls under a live
connection, a statement that runs on and on, a transaction a desk left open. The desk gets one
sentence (a DatabaseError, so the TUI shows its outage banner) and nothing is half-written.

The stall is played by deskbook.testing.tcp_proxy's stall(): the proxy keeps both connections
open and holds every byte, so neither TCP nor the server notices anything; only the desk's own
deadline (db.deadline) and the server's idle_in_transaction_session_timeout end it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from deskbook import Desk
from deskbook.errors import DatabaseError
from deskbook.testing.clock import future_day
from deskbook.testing.freeze import within_deadline
from deskbook.testing.invariants import check_invariants, violations
from deskbook.testing.soak_seed import PASSWORD, SeedInfo, seed_clinic
from deskbook.testing.tcp_proxy import TcpProxy, through_proxy

DEADLINE_S = 2


@pytest.fixture
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production bounds (20 s statement, 30 s idle transaction, 30 s call) shrunk so the
    suite stays quick; the behaviour is the same."""
    monkeypatch.setenv("DESKBOOK_CALL_DEADLINE", str(DEADLINE_S))
    monkeypatch.setenv("DESKBOOK_STATEMENT_TIMEOUT", "0.5")
    monkeypatch.setenv("DESKBOOK_IDLE_IN_TRANSACTION_TIMEOUT", "1")
    monkeypatch.setenv("DESKBOOK_LOCK_TIMEOUT", "0.3")


@pytest.fixture
def clinic(db_url: str, short_bounds: None) -> tuple[str, SeedInfo]:
    return db_url, seed_clinic(db_url, patients=6, desks=2)


@pytest.fixture
def stalled_clinic(clinic: tuple[str, SeedInfo]) -> Iterator[tuple[str, TcpProxy, SeedInfo]]:
    url, seed = clinic
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        pytest.skip("a network link is PostgreSQL's; SQLite's bounds are tested below")
    with through_proxy(url) as (through, proxy):
        yield through, proxy, seed


def _slot(d: Any, seed: SeedInfo) -> tuple[Any, Any, Any]:
    provider = seed.provider_ids[0]
    service = seed.provider_services[provider][0]
    return provider, service, d.free_slots(provider, service, future_day(1))[0]


def _says_deadline(error: BaseException) -> None:
    assert isinstance(error, DatabaseError)
    assert f"did not answer within {DEADLINE_S} seconds" in str(error)


def test_a_link_stalled_mid_booking_ends_within_the_deadline_and_writes_nothing(
    stalled_clinic: tuple[str, TcpProxy, SeedInfo], clinic: tuple[str, SeedInfo]
) -> None:
    proxied_url, proxy, seed = stalled_clinic
    direct_url, _ = clinic
    patient = seed.patient_ids[0]
    with Desk.open(proxied_url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        provider, service, start = _slot(d, seed)

        def stall_after_the_appointment(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO APPOINTMENT"):
                proxy.stall()

        event.listen(desk.engine, "after_cursor_execute", stall_after_the_appointment)
        try:
            with pytest.raises(DatabaseError) as caught:
                within_deadline(lambda: d.book(patient, service, provider, start))
        finally:
            event.remove(desk.engine, "after_cursor_execute", stall_after_the_appointment)
        _says_deadline(caught.value)

        # The link is still stalled. Another desk, on its own link: the server rolled the
        # stalled transaction back (idle in transaction) and released the patient's lock.
        with Desk.open(direct_url) as other_desk:
            other = other_desk.login(seed.desk_usernames[1], PASSWORD)
            assert other.appointments_of(patient) == []
            assert other.book(patient, service, provider, start).id

        # The link comes back: the same desk goes on, its cut connection thrown away.
        proxy.up()
        assert [a.start for a in within_deadline(lambda: d.appointments_of(patient))] == [start]
    checker = Desk.open(direct_url)
    try:
        assert violations(check_invariants(checker.engine)) == {}
    finally:
        checker.close()


def test_a_link_stalled_under_a_pooled_connection_ends_a_read_within_the_deadline(
    stalled_clinic: tuple[str, TcpProxy, SeedInfo],
) -> None:
    url, proxy, seed = stalled_clinic
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        d.search_patients("rashid")  # the pool now holds a live connection
        proxy.stall()
        for call in (lambda: d.search_patients("rashid"), lambda: d.day_sheet(future_day(1))):
            with pytest.raises(DatabaseError) as caught:
                within_deadline(call)
            _says_deadline(caught.value)
        proxy.up()
        assert within_deadline(lambda: d.search_patients("rashid")) is not None


def test_a_login_over_a_stalled_link_ends_within_the_deadline(
    stalled_clinic: tuple[str, TcpProxy, SeedInfo],
) -> None:
    url, proxy, seed = stalled_clinic
    with Desk.open(url) as desk:
        desk.login(seed.desk_usernames[0], PASSWORD)
        proxy.stall()
        with pytest.raises(DatabaseError) as caught:
            within_deadline(lambda: desk.login(seed.desk_usernames[0], PASSWORD))
        _says_deadline(caught.value)


# An endless query: what a runaway report would be, on either engine.
_ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def test_a_statement_that_runs_on_is_stopped_with_a_sentence(
    clinic: tuple[str, SeedInfo],
) -> None:
    """PostgreSQL's statement_timeout and SQLite's progress handler give the same sentence;
    the desk goes on afterwards."""
    url, seed = clinic
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        with pytest.raises(DatabaseError, match="stopped a step that took too long"):
            within_deadline(lambda: d._read(lambda s: s.execute(text(_ENDLESS)).scalar()))
        with pytest.raises(DatabaseError, match="stopped a step that took too long"):
            within_deadline(lambda: d._write(lambda s: s.execute(text(_ENDLESS)).scalar()))
        assert d.search_patients("rashid") is not None


def test_the_server_holds_each_desk_connection_to_the_configured_bounds(
    clinic: tuple[str, SeedInfo],
) -> None:
    url, seed = clinic
    if not url.startswith("postgresql"):
        pytest.skip("server settings are PostgreSQL's")
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        shown = d._read(
            lambda s: s.execute(
                text(
                    "SELECT current_setting('statement_timeout'), "
                    "current_setting('idle_in_transaction_session_timeout')"
                )
            ).one()
        )
    assert tuple(shown) == ("500ms", "1s")
