"""Safe re-send (issue 11, #8): a write sent again under its request id is done once.

The COMMIT cut: on PostgreSQL the desk talks through deskbook.testing.tcp_proxy, armed when
SQLAlchemy sends COMMIT, so the server commits and the desk's link is reset before the answer
comes back: the desk is told the database could not be reached, the write has landed. On SQLite
(no link to cut) the same moment is played by a first call that succeeded and whose answer the
desk is taken not to have seen. Either way the desk sends the same request again, with the same
id, and must get the first result, not a second booking, cancel or sale.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlmodel import col

from deskbook.db.engine import read_session
from deskbook.db.models import AuditEvent, PackagePurchase
from deskbook.desk import Desk, DeskSession
from deskbook.errors import DatabaseError, InvalidInput, SlotTaken
from deskbook.testing.clock import at, future_day, today
from deskbook.testing.freeze import within_deadline
from deskbook.testing.invariants import check_invariants, violations
from deskbook.testing.small_clinic import PASSWORD, World
from deskbook.testing.tcp_proxy import TcpProxy

T = TypeVar("T")
LostAnswer = Callable[[Callable[[DeskSession], Any]], None]


@pytest.fixture
def lost_answer(world: World) -> Iterator[LostAnswer]:
    """lost_answer(call): make call(desk) so that it lands and its answer does not arrive."""
    parsed = make_url(world.url)
    if parsed.get_backend_name() == "sqlite":
        desk = world.login()
        yield lambda call: call(desk)  # landed; the answer is taken as lost
        return
    with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        through = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        with Desk.open(through) as proxied:
            desk = proxied.login(f"{world.prefix}frontdesk", PASSWORD)

            def cut_at_commit(call: Callable[[DeskSession], Any]) -> None:
                def arm(_conn: Any) -> None:
                    proxy.cut_at_next_answer()

                event.listen(proxied.engine, "commit", arm)
                try:
                    with pytest.raises(DatabaseError):
                        within_deadline(lambda: call(desk))
                finally:
                    event.remove(proxied.engine, "commit", arm)

            yield cut_at_commit


def _audited(world: World, action: str) -> int:
    with read_session(world.desk.engine) as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    col(AuditEvent.tenant_id) == world.tenant_id, col(AuditEvent.action) == action
                )
            )
            or 0
        )


def test_a_booking_whose_answer_was_lost_is_sent_again_and_booked_once(
    world: World, lost_answer: LostAnswer
) -> None:
    d = world.login()
    patient, start, rid = world.patient(), at(future_day(), 10), uuid.uuid4()

    def book(desk: DeskSession) -> Any:
        return desk.book(patient, world.slp, world.amal, start, request_id=rid)

    lost_answer(book)
    assert d.request_landed(rid)
    again = book(d)
    visits = d.appointments_of(patient)
    assert [v.id for v in visits] == [again.id] and again.start == start
    assert _audited(world, "book") == 1
    # Sent again without the id, the same booking is refused: "that slot was just taken".
    with pytest.raises(SlotTaken):
        d.book(patient, world.slp, world.amal, start)
    assert violations(check_invariants(world.desk.engine)) == {}


def test_a_cancel_whose_answer_was_lost_is_sent_again_and_says_cancelled(
    world: World, lost_answer: LostAnswer
) -> None:
    d = world.login()
    visit = d.book(world.patient(), world.slp, world.badr, at(future_day(), 11))
    rid = uuid.uuid4()
    lost_answer(lambda desk: desk.cancel(visit.id, "family trip", request_id=rid))
    again = d.cancel(visit.id, "family trip", request_id=rid)
    assert (again.id, again.status) == (visit.id, "CANCELLED")
    assert _audited(world, "cancel") == 1
    with pytest.raises(InvalidInput):  # without the id: "already cancelled"
        d.cancel(visit.id, "family trip")


def test_a_package_sale_whose_answer_was_lost_is_sent_again_and_sold_once(
    world: World, lost_answer: LostAnswer
) -> None:
    d = world.login()
    patient, rid = world.patient(), uuid.uuid4()
    lost_answer(lambda desk: desk.assign_package(patient, world.slp10, request_id=rid))
    again = d.assign_package(patient, world.slp10, request_id=rid)
    with read_session(world.desk.engine) as s:
        sold = s.scalars(
            select(col(PackagePurchase.id)).where(col(PackagePurchase.patient_id) == patient)
        ).all()
    assert sold == [again.id]
    assert _audited(world, "assign_package") == 1


def test_two_tries_of_one_request_in_flight_together_book_once(world: World) -> None:
    desks = [world.login(), world.login(), world.login(), world.login()]
    patient, start, rid = world.patient(), at(future_day(), 13), uuid.uuid4()
    barrier = threading.Barrier(len(desks))
    results: list[Any] = [None] * len(desks)

    def send(i: int) -> None:
        barrier.wait()
        try:
            results[i] = desks[i].book(patient, world.slp, world.amal, start, request_id=rid).id
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(desks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(set(results)) == 1 and isinstance(results[0], uuid.UUID), results
    assert [v.id for v in desks[0].appointments_of(patient)] == [results[0]]
    assert _audited(world, "book") == 1


def test_a_request_id_is_one_change_of_one_staff_member(world: World) -> None:
    d, admin = world.login(), world.login("admin")
    patient, rid = world.patient(), uuid.uuid4()
    visit = d.book(patient, world.slp, world.amal, at(future_day(), 14), request_id=rid)
    with pytest.raises(InvalidInput, match="request id was already used"):
        d.cancel(visit.id, request_id=rid)
    with pytest.raises(InvalidInput, match="request id was already used"):
        admin.book(patient, world.slp, world.amal, at(future_day(), 14), request_id=rid)
    assert not admin.request_landed(rid) and d.request_landed(rid)
    with pytest.raises(InvalidInput, match="not a valid request id"):
        d.book(patient, world.slp, world.amal, at(future_day(), 15), request_id="nope")
    assert [v.id for v in d.appointments_of(patient)] == [visit.id]


def test_every_other_desk_write_is_done_once_under_its_request_id(
    world: World, lost_answer: LostAnswer
) -> None:
    """Payment, reschedule, status change, waitlist booking and course: each whose answer was
    lost, sent again under its id, gives the first result and writes nothing more."""
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10)

    rid = uuid.uuid4()
    lost_answer(lambda desk: desk.record_payment(purchase.id, "500", "CASH", request_id=rid))
    paid = d.record_payment(purchase.id, "500", "CASH", request_id=rid)
    assert [p.id for p in d.payments_of(purchase.id)] == [paid.id]

    visit = d.book(patient, world.slp, world.amal, at(future_day(), 9), purchase_id=purchase.id)
    rid, moved_to = uuid.uuid4(), at(future_day(), 12)
    lost_answer(lambda desk: desk.reschedule(visit.id, moved_to, request_id=rid))
    moved = d.reschedule(visit.id, moved_to, request_id=rid)
    assert (moved.id, moved.start) == (visit.id, moved_to)

    world.move_to_day(visit.id, today())
    rid = uuid.uuid4()
    lost_answer(lambda desk: desk.check_in(visit.id, request_id=rid))
    assert d.check_in(visit.id, request_id=rid).status == "ARRIVED"

    entry = d.waitlist_add(world.patient(), world.slp)
    rid, freed = uuid.uuid4(), at(future_day(), 15)
    lost_answer(lambda desk: desk.book_from_waitlist(entry.id, world.badr, freed, request_id=rid))
    from_list = d.book_from_waitlist(entry.id, world.badr, freed, request_id=rid)
    assert [a.id for a in d.appointments_of(entry.patient_id)] == [from_list.id]

    course = [(world.badr, at(future_day(14 + 7 * n), 10)) for n in range(3)]
    rid = uuid.uuid4()
    lost_answer(lambda desk: desk.book_series(purchase.id, world.slp, course, request_id=rid))
    series = d.book_series(purchase.id, world.slp, course, request_id=rid)
    assert len(series.appointments) == 3
    live = [a for a in d.appointments_of(patient) if a.status != "CANCELLED"]
    assert len(live) == 4  # the moved visit and the course's three, once each
    for action in ("record_payment", "reschedule", "check_in", "waitlist_book"):
        assert _audited(world, action) == 1, action
    assert violations(check_invariants(world.desk.engine)) == {}
