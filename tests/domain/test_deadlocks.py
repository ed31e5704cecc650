"""Two desks whose writes used to wait on each other in a circle on PostgreSQL (issue 11, #5).

Real threads on a real database, released together by a barrier. PostgreSQL breaks a deadlock
after deadlock_timeout by failing one side, which the retry loop turned into a 1 s stall or a
Busy; the fix is one lock order and lock modes that foreign-key checks do not wait on. Every
error the server sends is caught with SQLAlchemy's handle_error hook, so a deadlock that a
retry hid still fails the test. SQLite has one writer at a time: there the same races must
simply all succeed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from deskbook.desk import DeskSession
from deskbook.testing.clock import at, future_day
from deskbook.testing.invariants import check_invariants, violations
from deskbook.testing.small_clinic import World

ROUNDS = 5  # two visits a round fill the 10-session package
DEADLOCK = "40P01"


@contextmanager
def server_errors(world: World) -> Iterator[list[str]]:
    """The SQLSTATE of every error the database raised while the block ran."""
    seen: list[str] = []

    def note(context: Any) -> None:
        seen.append(str(getattr(context.original_exception, "sqlstate", "") or ""))

    event.listen(world.desk.engine, "handle_error", note)
    try:
        yield seen
    finally:
        event.remove(world.desk.engine, "handle_error", note)


def together(*jobs: Callable[[], Any]) -> list[str]:
    """Run the jobs on threads released at the same moment; 'ok' or the error's name each."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [""] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            jobs[i]()
            outcomes[i] = "ok"
        except Exception as exc:
            outcomes[i] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_two_purchases_renumbered_across_each_others_providers(world: World) -> None:
    """Each desk books an earlier visit of its patient's package with one provider, which
    renumbers the package's later visit with the other provider; each desk holds the provider
    the other's renumbering re-checks."""
    d1, d2 = world.login(), world.login()
    x, y = world.patient("Patient X"), world.patient("Patient Y")
    px, py = d1.assign_package(x, world.slp10).id, d1.assign_package(y, world.slp10).id
    with server_errors(world) as errors:
        for n in range(ROUNDS):
            day = future_day(2 + n)
            d1.book(x, world.slp, world.badr, at(day, 15), purchase_id=px)
            d1.book(y, world.slp, world.amal, at(day, 16), purchase_id=py)
            outcomes = together(
                lambda day=day: d1.book(x, world.slp, world.amal, at(day, 9), purchase_id=px),
                lambda day=day: d2.book(y, world.slp, world.badr, at(day, 9), purchase_id=py),
            )
            assert outcomes == ["ok", "ok"], outcomes
    assert DEADLOCK not in errors, errors
    assert errors == []
    numbers = sorted(v.session_number or 0 for v in d1.appointments_of(x))
    assert numbers == list(range(1, 2 * ROUNDS + 1))
    assert violations(check_invariants(world.desk.engine)) == {}


def test_registering_a_patient_while_the_same_login_signs_in(world: World) -> None:
    """register_patient (the tenant's MRN lock, then an audit row naming the staff member)
    against a login of that same staff member (its row lock, then an audit row naming the
    tenant)."""
    desk = world.login()
    with server_errors(world) as errors:
        for n in range(ROUNDS * 2):
            outcomes = together(
                lambda n=n: desk.register_patient(f"Racer {n}", f"0551{n:06d}", None),
                lambda: world.login(),
                lambda n=n: desk.register_patient(f"Second Racer {n}", f"0552{n:06d}", None),
                lambda: world.login(),
            )
            assert outcomes == ["ok"] * 4, outcomes
    assert errors == []
    assert violations(check_invariants(world.desk.engine)) == {}


def test_cancel_and_book_of_one_package_from_two_desks(world: World) -> None:
    """One desk cancels a package visit with one provider while another books the same package
    with the other provider: both take the patient's lock first, so one simply waits."""
    d1, d2 = world.login(), world.login()
    patient = world.patient()
    purchase = d1.assign_package(patient, world.slp10).id
    sessions: list[DeskSession] = [d1, d2]
    with server_errors(world) as errors:
        for n in range(ROUNDS):
            day = future_day(2 + n)
            first = d1.book(patient, world.slp, world.amal, at(day, 10), purchase_id=purchase)
            outcomes = together(
                lambda first=first: sessions[0].cancel(first.id, "moved"),
                lambda day=day: sessions[1].book(
                    patient, world.slp, world.badr, at(day, 8), purchase_id=purchase
                ),
            )
            assert outcomes == ["ok", "ok"], outcomes
    assert errors == []
    live = [v for v in d1.appointments_of(patient) if v.status != "CANCELLED"]
    assert sorted(v.session_number or 0 for v in live) == list(range(1, ROUNDS + 1))
    assert violations(check_invariants(world.desk.engine)) == {}
