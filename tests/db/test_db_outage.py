"""Database trouble: a lock held too long by another desk, and a PostgreSQL server that goes
away while the app runs. Each ends in a DeskError after a bounded wait, never a freeze, and
work goes on by itself once the trouble is over.

The outage is played by a TCP proxy in front of the shared server
(deskbook.testing.tcp_proxy); the shared server itself is never stopped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from deskbook import Desk
from deskbook.db import engine as db_engine
from deskbook.db.engine import make_engine, read_session, run_write, write_session
from deskbook.db.models import AuditEvent, Tenant
from deskbook.errors import Busy, DatabaseError, DeskError
from deskbook.testing.clock import future_day
from deskbook.testing.freeze import within_deadline
from deskbook.testing.invariants import check_invariants, violations
from deskbook.testing.soak_seed import PASSWORD, SeedInfo, seed_clinic
from deskbook.testing.tcp_proxy import TcpProxy, through_proxy


@pytest.fixture
def short_lock_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounded waits of a fraction of a second, so the suite stays quick; the behaviour is
    the same as with the production 5 s."""
    monkeypatch.setenv("DESKBOOK_LOCK_TIMEOUT", "0.3")


class HeldLock:
    """Another desk that took the write lock and sits on it (a stuck terminal)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sqlite: sqlite3.Connection | None = None
        self._pg_engine: Any = None
        self._pg_conn: Any = None

    def __enter__(self) -> HeldLock:
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite":
            self._sqlite = sqlite3.connect(parsed.database or "", isolation_level=None)
            self._sqlite.execute("BEGIN IMMEDIATE")
        else:
            # Every write of every use case adds an audit event; SHARE mode lets readers in
            # and keeps every writer out, whatever rows its use case locks.
            self._pg_engine = make_engine(self.url)
            self._pg_conn = self._pg_engine.connect()
            self._pg_conn.execute(text("LOCK TABLE audit_event IN SHARE MODE"))
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._sqlite is not None:
            self._sqlite.rollback()
            self._sqlite.close()
        if self._pg_conn is not None:
            self._pg_conn.rollback()
            self._pg_conn.close()
            self._pg_engine.dispose()


def _audit_write(tenant_id: Any) -> Callable[[Any], None]:
    def work(session: Any) -> None:
        session.add(AuditEvent(tenant_id=tenant_id, action="probe", entity="test"))

    return work


@pytest.fixture
def tenant_url(db_url: str) -> Iterator[tuple[str, Any]]:
    engine = make_engine(db_url)
    with write_session(engine) as session:
        tenant = Tenant(name="Outage Clinic")
        session.add(tenant)
    engine.dispose()
    yield db_url, tenant.id


def test_a_lock_held_too_long_gives_busy_not_a_freeze(
    tenant_url: tuple[str, Any], short_lock_waits: None
) -> None:
    url, tenant_id = tenant_url
    engine = make_engine(url)
    try:
        with HeldLock(url), pytest.raises(Busy):
            within_deadline(lambda: run_write(engine, _audit_write(tenant_id), retries=2))
        # Readers are not held up by a writer on either engine.
        with HeldLock(url), read_session(engine) as session:
            assert within_deadline(lambda: session.execute(text("SELECT 1")).scalar()) == 1
        # The lock is gone: the same write goes through, once.
        within_deadline(lambda: run_write(engine, _audit_write(tenant_id)))
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM audit_event WHERE action = 'probe'"))
            assert count.scalar_one() == 1
    finally:
        engine.dispose()


def _lock_wait_ms(engine: Any) -> int:
    """The lock wait a write transaction on engine really runs with."""
    with write_session(engine) as session:
        if engine.dialect.name == "sqlite":
            return int(session.execute(text("PRAGMA busy_timeout")).scalar_one())
        shown = str(session.execute(text("SHOW lock_timeout")).scalar_one())
        return int(shown.removesuffix("ms")) if shown.endswith("ms") else int(shown[:-1]) * 1000


def test_the_lock_wait_and_retries_come_from_the_environment(
    tenant_url: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DESKBOOK_LOCK_TIMEOUT=1 and DESKBOOK_BUSY_RETRIES=2 are what the engine uses: a write
    behind a stuck desk waits 1 s per try, tries twice, and says Busy."""
    url, tenant_id = tenant_url
    monkeypatch.setenv("DESKBOOK_LOCK_TIMEOUT", "1")
    monkeypatch.setenv("DESKBOOK_BUSY_RETRIES", "2")
    engine = make_engine(url)
    tries: list[int] = []
    real_write_session = db_engine.write_session

    def counting_write_session(*args: Any, **kwargs: Any) -> Any:
        tries.append(1)
        return real_write_session(*args, **kwargs)

    try:
        assert _lock_wait_ms(engine) == 1000
        monkeypatch.setattr(db_engine, "write_session", counting_write_session)
        with HeldLock(url), pytest.raises(Busy):
            within_deadline(lambda: run_write(engine, _audit_write(tenant_id)))
        assert len(tries) == 2
    finally:
        engine.dispose()


def test_a_lock_wait_that_is_not_a_number_is_refused_with_a_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DESKBOOK_LOCK_TIMEOUT", "five")
    with pytest.raises(DeskError, match="DESKBOOK_LOCK_TIMEOUT must be a number of seconds"):
        make_engine("sqlite://")


# --- PostgreSQL going away --------------------------------------------------------------------


@pytest.fixture
def proxied(tenant_url: tuple[str, Any]) -> Iterator[tuple[str, TcpProxy, Any]]:
    """The test database seen through a proxy, with a password in the URL that must never
    show up in a message (the server trusts local connections and ignores it)."""
    url, tenant_id = tenant_url
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        pytest.skip("a database server that goes away is a PostgreSQL matter")
    with through_proxy(url, password="Hunter2-secret") as (through, proxy):
        yield through, proxy, tenant_id


def _probe_count(engine: Any) -> int:
    with read_session(engine) as session:
        return session.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'probe'")
        ).scalar_one()


def test_server_stopped_mid_shift_says_so_and_recovers_by_itself(
    proxied: tuple[str, TcpProxy, Any],
) -> None:
    url, proxy, tenant_id = proxied
    engine = make_engine(url)
    try:
        within_deadline(lambda: run_write(engine, _audit_write(tenant_id)))
        assert _probe_count(engine) == 1

        proxy.down()
        for call in (
            lambda: _probe_count(engine),
            lambda: run_write(engine, _audit_write(tenant_id)),
        ):
            with pytest.raises(DatabaseError) as caught:
                within_deadline(call)
            assert "Cannot reach the PostgreSQL server" in str(caught.value)
            assert "Hunter2" not in str(caught.value)

        proxy.up()
        # No restart, no new engine: the pool notices the dead connections and reconnects.
        within_deadline(lambda: run_write(engine, _audit_write(tenant_id)))
        assert _probe_count(engine) == 2
    finally:
        engine.dispose()


def test_connection_cut_inside_a_transaction_writes_nothing(
    proxied: tuple[str, TcpProxy, Any],
) -> None:
    url, proxy, tenant_id = proxied
    engine = make_engine(url)
    try:

        def cut_midway(session: Any) -> None:
            session.add(AuditEvent(tenant_id=tenant_id, action="probe", entity="test"))
            session.flush()
            proxy.down()
            session.add(AuditEvent(tenant_id=tenant_id, action="probe", entity="test"))
            session.flush()

        with pytest.raises(DatabaseError):
            within_deadline(lambda: run_write(engine, cut_midway))
        proxy.up()
        assert within_deadline(lambda: _probe_count(engine)) == 0
    finally:
        engine.dispose()


def test_server_that_does_not_answer_times_out_with_a_sentence(
    proxied: tuple[str, TcpProxy, Any],
) -> None:
    url, proxy, tenant_id = proxied
    engine = make_engine(url)
    try:
        proxy.silent()
        with pytest.raises(DeskError) as caught:
            within_deadline(lambda: run_write(engine, _audit_write(tenant_id)))
        assert isinstance(caught.value, DatabaseError)
        assert "Hunter2" not in str(caught.value)
        proxy.up()
        within_deadline(lambda: run_write(engine, _audit_write(tenant_id)))
        assert _probe_count(engine) == 1
    finally:
        engine.dispose()


# --- the same through the Desk, as the screens use it ---------------------------------------


@pytest.fixture
def clinic_url(db_url: str) -> tuple[str, SeedInfo]:
    return db_url, seed_clinic(db_url, patients=10, desks=2)


def _tomorrow_slots(d: Any, seed: SeedInfo) -> tuple[Any, Any, list[datetime]]:
    provider = seed.provider_ids[0]
    service = seed.provider_services[provider][0]
    day = future_day(1)
    return provider, service, d.free_slots(provider, service, day)


def test_desk_write_behind_a_stuck_desk_is_busy_then_goes_through(
    clinic_url: tuple[str, SeedInfo], short_lock_waits: None
) -> None:
    url, seed = clinic_url
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        provider, service, slots = _tomorrow_slots(d, seed)
        patient = seed.patient_ids[0]
        with HeldLock(url):
            with pytest.raises(Busy) as caught:
                within_deadline(lambda: d.book(patient, service, provider, slots[0]))
            assert "try again" in str(caught.value)
            # Reading goes on while the other desk holds the lock.
            assert within_deadline(lambda: d.search_patients("rashid")) is not None
            assert within_deadline(lambda: d.day_sheet(slots[0].date())) == []
        booked = within_deadline(lambda: d.book(patient, service, provider, slots[0]))
        assert [a.id for a in d.appointments_of(patient)] == [booked.id]


def test_desk_waiting_on_a_row_another_desk_holds_is_busy(
    clinic_url: tuple[str, SeedInfo], short_lock_waits: None
) -> None:
    url, seed = clinic_url
    if not url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite's single write lock is the test above")
    patient = seed.patient_ids[1]
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        provider, service, slots = _tomorrow_slots(d, seed)
        holder = make_engine(url)
        try:
            with holder.connect() as conn:
                # Another desk in the middle of booking this same patient.
                conn.execute(
                    text("SELECT id FROM patient WHERE id = :p FOR UPDATE"), {"p": patient}
                )
                with pytest.raises(Busy):
                    within_deadline(lambda: d.book(patient, service, provider, slots[1]))
                conn.rollback()
        finally:
            holder.dispose()
        assert within_deadline(lambda: d.book(patient, service, provider, slots[1])).id


@pytest.fixture
def proxied_clinic(clinic_url: tuple[str, SeedInfo]) -> Iterator[tuple[str, TcpProxy, SeedInfo]]:
    url, seed = clinic_url
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        pytest.skip("a database server that goes away is a PostgreSQL matter")
    with through_proxy(url, password="Hunter2-secret") as (through, proxy):
        yield through, proxy, seed


def test_desk_calls_during_an_outage_say_so_and_work_again_after(
    proxied_clinic: tuple[str, TcpProxy, SeedInfo],
) -> None:
    url, proxy, seed = proxied_clinic
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        provider, service, slots = _tomorrow_slots(d, seed)
        patient = seed.patient_ids[2]

        proxy.down()
        calls = {
            "search": lambda: d.search_patients("rashid"),
            "packages": lambda: d.packages_for_patient(patient),
            "slots": lambda: d.free_slots(provider, service, slots[0].date()),
            "day sheet": lambda: d.day_sheet(slots[0].date()),
            "book": lambda: d.book(patient, service, provider, slots[0]),
            "login": lambda: desk.login(seed.desk_usernames[1], PASSWORD),
        }
        for name, call in calls.items():
            with pytest.raises(DatabaseError) as caught:
                within_deadline(call)
            message = str(caught.value)
            assert "Cannot reach the PostgreSQL server" in message, (name, message)
            assert "Hunter2" not in message

        proxy.up()
        # The same session, nothing reopened: the first call after the outage just works.
        booked = within_deadline(lambda: d.book(patient, service, provider, slots[0]))
        assert [a.id for a in d.appointments_of(patient)] == [booked.id]
        assert desk.login(seed.desk_usernames[1], PASSWORD).staff.username


def test_connection_lost_in_the_middle_of_a_booking_leaves_nothing(
    proxied_clinic: tuple[str, TcpProxy, SeedInfo],
) -> None:
    url, proxy, seed = proxied_clinic
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        provider, service, slots = _tomorrow_slots(d, seed)
        patient = seed.patient_ids[3]

        def cut_after_the_appointment(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO APPOINTMENT"):
                proxy.down()

        event.listen(desk.engine, "after_cursor_execute", cut_after_the_appointment)
        try:
            with pytest.raises(DatabaseError):
                within_deadline(lambda: d.book(patient, service, provider, slots[0]))
        finally:
            event.remove(desk.engine, "after_cursor_execute", cut_after_the_appointment)
        proxy.up()
        assert within_deadline(lambda: d.appointments_of(patient)) == []
        checker = make_engine(url)
        try:
            assert violations(check_invariants(checker)) == {}
        finally:
            checker.dispose()
        # The half-made booking held nothing: the same slot books now.
        assert within_deadline(lambda: d.book(patient, service, provider, slots[0])).id


def test_a_read_behind_an_exclusive_lock_is_busy_not_a_freeze(
    clinic_url: tuple[str, SeedInfo], short_lock_waits: None
) -> None:
    url, seed = clinic_url
    if not url.startswith("postgresql"):
        pytest.skip("table locks that block readers are PostgreSQL's; SQLite readers use WAL")
    with Desk.open(url) as desk:
        d = desk.login(seed.desk_usernames[0], PASSWORD)
        holder = make_engine(url)
        try:
            with holder.connect() as conn:
                # A migration or an administrator's ALTER holding the patient table.
                conn.execute(text("LOCK TABLE patient IN ACCESS EXCLUSIVE MODE"))
                with pytest.raises(Busy):
                    within_deadline(lambda: d.search_patients("rashid"))
                conn.rollback()
        finally:
            holder.dispose()
        assert within_deadline(lambda: d.search_patients("rashid")) is not None
