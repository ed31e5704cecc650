"""Desks racing for the same thing, for real: threads on one database released together by a
barrier. Exactly the right number win; the others get the typed error; invariants hold."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from deskbook.desk import DeskSession
from deskbook.errors import DeskError
from deskbook.testing.clock import at, future_day
from deskbook.testing.invariants import check_invariants, violations
from deskbook.testing.small_clinic import World

WRITERS = 16


def race(desks: list[DeskSession], job: Callable[[int, DeskSession], Any]) -> Counter[str]:
    """Run job(i, desk_i) on every desk at the same moment; count outcomes by name."""
    barrier = threading.Barrier(len(desks))
    outcomes: list[str] = [""] * len(desks)

    def run(i: int) -> None:
        barrier.wait()
        try:
            job(i, desks[i])
            outcomes[i] = "ok"
        except DeskError as exc:
            outcomes[i] = type(exc).__name__
        except Exception as exc:  # a traceback is a failure of the test, shown by name
            outcomes[i] = f"UNEXPECTED {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(desks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(outcomes)


def _desks(world: World) -> list[DeskSession]:
    one = world.login()
    return [one] * WRITERS  # a session holds no connection; each call takes its own


def _clean(world: World) -> None:
    found = violations(check_invariants(world.desk.engine))
    assert found == {}


def test_one_slot_many_desks(world: World) -> None:
    patients = [world.patient() for _ in range(WRITERS)]
    start = at(future_day(), 10)
    outcomes = race(_desks(world), lambda i, d: d.book(patients[i], world.slp, world.amal, start))
    assert outcomes == Counter({"ok": 1, "SlotTaken": WRITERS - 1})
    d = world.login()
    assert start not in d.free_slots(world.amal, world.slp, future_day())
    _clean(world)


def test_last_sessions_of_a_purchase(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    first = future_day()
    for h in range(8, 15):  # 7 of 10 used
        d.book(patient, world.slp, world.amal, at(first, h), purchase_id=purchase)
    day = first + timedelta(days=1)

    def job(i: int, desk: DeskSession) -> None:
        provider = world.amal if i % 2 else world.badr
        desk.book(
            patient,
            world.slp,
            provider,
            at(day + timedelta(days=i // 2), 9 + i % 2),
            purchase_id=purchase,
        )

    outcomes = race(_desks(world), job)
    assert outcomes == Counter({"ok": 3, "PackageExhausted": WRITERS - 3})
    live = [a for a in d.appointments_of(patient) if a.status != "CANCELLED"]
    assert [a.session_number for a in live] == list(range(1, 11))
    _clean(world)


def test_group_seats(world: World) -> None:
    group = world.login("admin").schedule_group_session(
        world.social, world.badr, at(future_day(), 12), capacity=4
    )
    patients = [world.patient() for _ in range(WRITERS)]
    outcomes = race(
        _desks(world),
        lambda i, d: d.book(
            patients[i], world.social, world.badr, group.start, group_session_id=group.id
        ),
    )
    assert outcomes == Counter({"ok": 4, "GroupFull": WRITERS - 4})
    _clean(world)


def test_concurrent_cancels_and_reschedules_keep_numbers(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    day = future_day()
    booked = [
        d.book(patient, world.slp, world.amal, at(day, h), purchase_id=purchase)
        for h in range(8, 16)
    ]
    later = day + timedelta(days=1)

    def job(i: int, desk: DeskSession) -> None:
        a = booked[i % len(booked)]
        if i % 2:
            desk.cancel(a.id, "race")
        else:
            desk.reschedule(a.id, at(later, 17 - i // 2))

    outcomes = race(_desks(world), job)
    assert outcomes["ok"] >= len(booked) // 2
    assert set(outcomes) <= {"ok", "InvalidInput"}  # losers: already cancelled
    live = sorted(
        (a for a in d.appointments_of(patient) if a.status != "CANCELLED"), key=lambda a: a.start
    )
    assert [a.session_number for a in live] == list(range(1, len(live) + 1))
    _clean(world)


def test_void_and_booking_of_one_purchase_at_once(world: World) -> None:
    """Half the desks book a session on the purchase, half void it: either the void comes
    first and every booking is refused, or a booking does and every void is refused."""
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    day = future_day()

    def job(i: int, desk: DeskSession) -> None:
        if i % 2:
            desk.void_purchase(purchase, "assigned by mistake")
        else:
            desk.book(patient, world.slp, world.amal, at(day, 8 + i // 2), purchase_id=purchase)

    outcomes = race(_desks(world), job)
    [card] = d.packages_for_patient(patient).assigned
    if card.status == "VOIDED":
        assert outcomes == Counter({"ok": 1, "PackageExhausted": 8, "InvalidInput": 7})
        assert card.used == 0
    else:
        assert outcomes == Counter({"ok": 8, "PurchaseInUse": 8})
        assert card.used == 8
    _clean(world)


def test_registrations_at_once_get_distinct_mrns_of_the_tenant_s_scheme(world: World) -> None:
    world.patient(mrn="MRN0000001")
    outcomes = race(
        _desks(world),
        lambda i, d: d.register_patient(f"Racer {i}", f"05500000{i:02d}", None),
    )
    assert outcomes == Counter({"ok": WRITERS})
    d = world.login()
    mrns = sorted(p.mrn for p in d.find_patients("racer").patients)
    assert mrns == [f"MRN{n:07d}" for n in range(2, WRITERS + 2)]
    _clean(world)


def test_schema_backstops_speak_desk_errors(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the code checks switched off, the schema still refuses, in the same words."""
    from deskbook import booking, schedule
    from deskbook.errors import PackageExhausted, PatientBusy, SlotTaken

    d = world.login()
    day = future_day()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    d.book(patient, world.slp, world.amal, at(day, 9), purchase_id=purchase)
    monkeypatch.setattr(schedule, "provider_clash", lambda *a, **k: False)
    monkeypatch.setattr(booking, "patient_clash", lambda *a, **k: False)
    monkeypatch.setattr(booking, "_free_number", lambda *a, **k: 1)
    before = world.counts()
    with pytest.raises(SlotTaken):
        d.book(world.patient(), world.slp, world.amal, at(day, 9))
    with pytest.raises(PatientBusy):
        d.book(patient, world.slp, world.badr, at(day, 9))
    with pytest.raises(PackageExhausted):
        d.book(patient, world.slp, world.badr, at(day, 11), purchase_id=purchase)
    after = world.counts()
    after["Patient"] -= 1  # the one extra test patient made above
    assert after == before


def _process_books(
    url: str, username: str, args: tuple, barrier: Any, out: Any, one_login: Any
) -> None:
    from deskbook import Desk
    from deskbook.testing.small_clinic import PASSWORD

    desk = Desk.open(url)
    # One login at a time: six logins of one account in flight at once would use up its five
    # turns (deskbook.logins); the race here is the booking.
    with one_login:
        d = desk.login(username, PASSWORD)
    barrier.wait()
    try:
        d.book(*args)
        out.put("ok")
    except DeskError as exc:
        out.put(type(exc).__name__)
    except Exception as exc:
        out.put(f"UNEXPECTED {exc!r}")
    finally:
        desk.close()


def test_sqlite_processes_on_one_file(world: World) -> None:
    """Separate processes (separate SQLite connections and locks) race for one slot."""
    if not world.url.startswith("sqlite"):
        pytest.skip("processes on one file is the SQLite story; PostgreSQL is covered by threads")
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    n = 6
    barrier, out, one_login = ctx.Barrier(n), ctx.Queue(), ctx.Lock()
    start = at(future_day(), 11)
    procs = [
        ctx.Process(
            target=_process_books,
            args=(
                world.url,
                f"{world.prefix}frontdesk",
                (world.patient(), world.slp, world.amal, start),
                barrier,
                out,
                one_login,
            ),
        )
        for _ in range(n)
    ]
    for p in procs:
        p.start()
    results = Counter(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert results == Counter({"ok": 1, "SlotTaken": n - 1})
    _clean(world)


def test_one_waiting_patient_offered_to_many_desks(world: World) -> None:
    """Every desk that freed a time is offered the same waiting patient: one books them, the
    others hear they are no longer waiting; one visit, no entry left behind."""
    d = world.login()
    patient = world.patient()
    entry = d.waitlist_add(patient, world.slp)
    day = future_day()

    def job(i: int, desk: DeskSession) -> None:
        provider = world.amal if i % 2 else world.badr
        desk.book_from_waitlist(entry.id, provider, at(day + timedelta(days=i // 2), 10))

    outcomes = race(_desks(world), job)
    assert outcomes["ok"] == 1 and outcomes["NotFound"] == WRITERS - 1, outcomes
    assert len([a for a in d.appointments_of(patient) if a.status != "CANCELLED"]) == 1
    assert d.waitlist(service_id=world.slp) == []
    _clean(world)
