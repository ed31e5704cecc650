"""Booking a waiting patient into a freed time: one Desk call, one transaction, both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deskbook.db.engine import write_session
from deskbook.db.models import AuditEvent
from deskbook.errors import NotFound, PermissionDenied, SlotTaken
from deskbook.testing.clock import at, future_day
from deskbook.testing.small_clinic import World


def test_the_waiting_patient_is_booked_and_taken_off_the_list(world: World) -> None:
    d = world.login()
    day = future_day(9)
    visit = d.book(world.patient(), world.slp, world.amal, at(day, 10))
    waiting = world.patient("First Waiting")
    entry = d.waitlist_add(waiting, world.slp, provider_id=world.amal)
    d.cancel(visit.id, "sick")
    [offered] = d.waitlist_matches(visit.provider_id, visit.start)
    assert offered.id == entry.id
    booked = d.book_from_waitlist(offered.id, visit.provider_id, visit.start)
    assert (booked.patient_id, booked.start, booked.status) == (waiting, visit.start, "BOOKED")
    assert d.waitlist() == []
    with write_session(world.desk.engine) as s:
        [note] = s.scalars(select(AuditEvent).where(AuditEvent.action == "waitlist_book")).all()
        assert note.entity_id == entry.id and str(booked.id) in str(note.after)


def test_a_package_pays_the_session_when_the_desk_says_so(world: World) -> None:
    d = world.login()
    waiting = world.patient()
    purchase = d.assign_package(waiting, world.slp10)
    entry = d.waitlist_add(waiting, world.slp)
    booked = d.book_from_waitlist(entry.id, world.amal, at(future_day(), 11), purchase.id)
    assert booked.purchase_id == purchase.id and booked.session_number == 1


def test_a_refused_booking_keeps_the_patient_waiting_and_writes_nothing(world: World) -> None:
    d, provider = world.login(), world.login("provider")
    start = at(future_day(), 10)
    d.book(world.patient(), world.slp, world.amal, start)
    entry = d.waitlist_add(world.patient(), world.slp)
    never_waited = world.patient()
    before = world.counts()
    with pytest.raises(SlotTaken):
        d.book_from_waitlist(entry.id, world.amal, start)
    with pytest.raises(PermissionDenied):
        provider.book_from_waitlist(entry.id, world.amal, start)
    with pytest.raises(NotFound, match="no longer on the waitlist"):
        d.book_from_waitlist(never_waited, world.amal, start)
    assert world.counts() == before
    assert [e.id for e in d.waitlist()] == [entry.id]
