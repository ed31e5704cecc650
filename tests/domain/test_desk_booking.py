"""Booking through the Desk API: single, package and group; cancel, reschedule, statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskbook.errors import (
    FutureVisit,
    GroupFull,
    InvalidInput,
    NotFound,
    NothingToUndo,
    OutsideSchedule,
    PackageExhausted,
    PatientBusy,
    PermissionDenied,
    SlotTaken,
)
from deskbook.testing.clock import at, future_day
from deskbook.testing.small_clinic import World


def test_free_slots_follow_schedule_and_blocks(world: World) -> None:
    d = world.login()
    day = future_day()
    slots = d.free_slots(world.amal, world.slp, day)
    assert [s.hour for s in slots] == list(range(8, 18))
    assert all(s.tzinfo is not None for s in slots)
    d.book(world.patient(), world.slp, world.amal, at(day, 10))
    assert at(day, 10) not in d.free_slots(world.amal, world.slp, day)
    assert at(day, 10) in d.free_slots(world.badr, world.slp, day)
    assert d.free_slots(world.amal, world.slp, future_day(-1)) == []


def test_book_single_session(world: World) -> None:
    d = world.login()
    patient = world.patient("Rashid")
    day = future_day()
    a = d.book(patient, world.slp, world.amal, at(day, 9), notes=" first visit ")
    assert (a.status, a.kind, a.session_number, a.purchase_id) == ("BOOKED", "SINGLE", None, None)
    assert a.start == at(day, 9) and a.end == at(day, 10)
    assert (a.patient_name_en, a.clinic_name_en, a.provider_name_en) == (
        "Rashid",
        "Speech Clinic",
        "Amal",
    )
    assert a.notes == "first visit"
    assert [x.id for x in d.appointments_of(patient)] == [a.id]
    assert [x.id for x in d.day_sheet(day)] == [a.id]


def test_provider_and_patient_overlap_refused(world: World) -> None:
    d = world.login()
    day = future_day()
    p1, p2 = world.patient(), world.patient()
    d.book(p1, world.slp, world.amal, at(day, 9))
    with pytest.raises(SlotTaken):
        d.book(p2, world.slp, world.amal, at(day, 9))
    with pytest.raises(PatientBusy):
        d.book(p1, world.slp, world.badr, at(day, 9))
    d.book(p2, world.slp, world.amal, at(day, 10))


def test_outside_schedule_and_bad_times(world: World) -> None:
    d = world.login()
    day = future_day()
    p = world.patient()
    with pytest.raises(OutsideSchedule):
        d.book(p, world.slp, world.amal, at(day, 17, 30))
    with pytest.raises(OutsideSchedule):
        d.book(p, world.slp, world.amal, at(day, 6))
    with pytest.raises(InvalidInput, match="time zone"):
        d.book(p, world.slp, world.amal, datetime(2030, 1, 1, 9))
    with pytest.raises(InvalidInput, match="passed"):
        d.book(p, world.slp, world.amal, datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(InvalidInput, match="too far"):
        d.book(p, world.slp, world.amal, at(future_day(3000), 9))
    with pytest.raises(InvalidInput, match="does not provide"):
        d.book(p, world.aba, world.amal, at(day, 9))
    with pytest.raises(InvalidInput, match="not a valid"):
        d.book("not-a-uuid", world.slp, world.amal, at(day, 9))


def test_package_booking_numbers_sessions_by_time(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10)
    day = future_day()
    late = d.book(patient, world.slp, world.amal, at(day, 15), purchase_id=purchase.id)
    early = d.book(patient, world.slp, world.amal, at(day, 9), purchase_id=purchase.id)
    assert (early.kind, early.session_number, early.session_total) == ("PACKAGE", 1, 10)
    numbers = {a.id: a.session_number for a in d.appointments_of(patient)}
    assert numbers == {early.id: 1, late.id: 2}
    d.cancel(early.id, "ill")
    live = [a for a in d.appointments_of(patient) if a.status != "CANCELLED"]
    assert [(a.id, a.session_number) for a in live] == [(late.id, 1)]


def test_reschedule_moves_time_and_renumbers(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    day = future_day()
    a = d.book(patient, world.slp, world.amal, at(day, 9), purchase_id=purchase)
    b = d.book(patient, world.slp, world.amal, at(day, 11), purchase_id=purchase)
    moved = d.reschedule(a.id, at(day, 14), provider_id=world.badr)
    assert (moved.start, moved.provider_id, moved.session_number) == (at(day, 14), world.badr, 2)
    assert at(day, 9) in d.free_slots(world.amal, world.slp, day)
    assert at(day, 14) not in d.free_slots(world.badr, world.slp, day)
    assert {x.id: x.session_number for x in d.appointments_of(patient)} == {b.id: 1, a.id: 2}
    other = world.patient()
    d.book(other, world.slp, world.amal, at(day, 16))
    with pytest.raises(SlotTaken):
        d.reschedule(b.id, at(day, 16))
    d.reschedule(b.id, at(day, 11), provider_id=world.badr)  # its own old time is fine


def test_status_flow_and_package_accounting(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    day = future_day()
    a, b, c = (
        d.book(patient, world.slp, world.amal, at(day, h), purchase_id=purchase)
        for h in (9, 11, 13)
    )
    today = future_day(0)
    world.move_to_day(a.id, today)
    world.move_to_day(b.id, today)
    assert d.check_in(a.id).status == "ARRIVED"
    assert d.complete(a.id).status == "COMPLETED"
    assert d.no_show(b.id).status == "NO_SHOW"
    d.cancel(c.id, "")
    view = d.packages_for_patient(patient).assigned[0]
    assert (view.completed, view.scheduled, view.used, view.remaining) == (2, 0, 2, 8)
    with pytest.raises(InvalidInput, match="completed"):
        d.cancel(a.id, "too late")
    with pytest.raises(InvalidInput):
        d.check_in(c.id)
    with pytest.raises(InvalidInput):
        d.reschedule(b.id, at(day, 15))
    assert [x.id for x in d.day_sheet(today)] == [a.id, b.id]


def test_exhausted_package_refused(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = world.purchase(patient, world.slp10, quota=2)
    day = future_day()
    d.book(patient, world.slp, world.amal, at(day, 9), purchase_id=purchase)
    d.book(patient, world.slp, world.amal, at(day, 10), purchase_id=purchase)
    with pytest.raises(PackageExhausted):
        d.book(patient, world.slp, world.amal, at(day, 11), purchase_id=purchase)
    with pytest.raises(InvalidInput, match="does not include"):
        d.book(patient, world.aba, world.chadi, at(day, 11), purchase_id=purchase)


def test_group_capacity_four(world: World) -> None:
    admin = world.login("admin")
    day = future_day()
    group = admin.schedule_group_session(world.social, world.badr, at(day, 12), capacity=4)
    d = world.login()
    for _ in range(3):
        d.book(world.patient(), world.social, world.badr, group.start, group_session_id=group.id)
    [listed] = d.group_sessions(day, clinic_id=world.slp_clinic)
    assert (listed.taken, listed.seats_left) == (3, 1)
    fourth = d.book(
        world.patient(), world.social, world.badr, group.start, group_session_id=group.id
    )
    assert (fourth.kind, fourth.group_session_id) == ("GROUP", group.id)
    with pytest.raises(GroupFull):
        d.book(world.patient(), world.social, world.badr, group.start, group_session_id=group.id)
    assert d.group_sessions(day) == []
    # The group holds Badr's hour once; nobody else can be booked with him then.
    assert at(day, 12) not in d.free_slots(world.badr, world.slp, day)
    d.cancel(fourth.id, "")
    assert d.group_sessions(day)[0].seats_left == 1


def test_group_rules(world: World) -> None:
    admin = world.login("admin")
    day = future_day()
    with pytest.raises(InvalidInput, match="not held in groups"):
        admin.schedule_group_session(world.slp, world.badr, at(day, 12), 4)
    group = admin.schedule_group_session(world.social, world.badr, at(day, 12), 4)
    with pytest.raises(SlotTaken):
        admin.schedule_group_session(world.social, world.badr, at(day, 12, 30), 4)
    with pytest.raises(InvalidInput, match="capacity"):
        admin.schedule_group_session(world.social, world.amal, at(day, 12), 0)
    d = world.login()
    patient = world.patient()
    d.book(patient, world.slp, world.amal, at(day, 12))
    with pytest.raises(PatientBusy):
        d.book(patient, world.social, world.badr, group.start, group_session_id=group.id)
    with pytest.raises(InvalidInput, match="group session's time"):
        d.book(world.patient(), world.social, world.badr, at(day, 13), group_session_id=group.id)


def test_first_available_across_providers(world: World) -> None:
    d = world.login()
    day = future_day()
    for hour in range(8, 18):
        d.book(world.patient(), world.slp, world.amal, at(day, hour))
    provider, start = d.first_available(world.slp_clinic, world.slp, at(day, 8))
    assert (provider.id, start) == (world.badr, at(day, 8))
    for hour in range(8, 18):
        d.book(world.patient(), world.slp, world.badr, at(day, hour))
    provider, start = d.first_available(world.slp_clinic, world.slp, at(day, 8))
    assert start == at(day + timedelta(days=1), 8)
    assert d.first_available(world.aba_clinic, world.slp, at(day, 8)) is None


def test_filters_for_the_chooser(world: World) -> None:
    d = world.login()
    patient = world.patient()
    aba = d.assign_package(patient, world.aba20)
    assert [c.id for c in d.clinics_for(purchase_id=aba.id)] == [world.aba_clinic]
    assert [c.id for c in d.clinics_for(package_id=world.slp10)] == [world.slp_clinic]
    assert [c.id for c in d.clinics_for(service_id=world.aba)] == [world.aba_clinic]
    assert len(d.clinics_for()) == 2
    assert [s.id for s in d.services_for(purchase_id=aba.id)] == [world.aba]
    assert {s.id for s in d.services_for(clinic_id=world.slp_clinic)} == {world.slp, world.social}
    assert [p.id for p in d.providers_for(world.slp_clinic, world.slp)] == [world.amal, world.badr]
    assert [p.id for p in d.providers_for(world.aba_clinic)] == [world.chadi]


def test_status_keys_wait_for_the_visit_s_day(world: World) -> None:
    d = world.login()
    day = future_day(2)
    visit = d.book(world.patient(), world.slp, world.amal, at(day, 9))
    before = world.counts()
    for press in (d.check_in, d.complete, d.no_show):
        with pytest.raises(FutureVisit, match=f"on {day:%a %d %b %Y}.*not before"):
            press(visit.id)
    assert world.counts() == before
    assert d.confirm(visit.id).status == "CONFIRMED"  # a reminder call is made days ahead
    world.move_to_day(visit.id, future_day(0))
    assert d.check_in(visit.id).status == "ARRIVED"
    earlier = d.book(world.patient(), world.slp, world.badr, at(day, 9))
    world.move_to_day(earlier.id, future_day(-3))  # a visit of days ago, entered late
    assert d.complete(earlier.id).status == "COMPLETED"


def test_undo_takes_back_today_s_status_changes_in_turn(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    day = future_day()
    first, second = (
        d.book(patient, world.slp, world.amal, at(day, h), purchase_id=purchase) for h in (9, 11)
    )
    world.move_to_day(first.id, future_day(0))
    with pytest.raises(NothingToUndo, match="booked; no status change"):
        d.undo_status(first.id)
    d.confirm(first.id)
    d.check_in(first.id)
    d.complete(first.id)
    assert d.undo_status(first.id).status == "ARRIVED"
    assert d.undo_status(first.id).status == "CONFIRMED"
    with pytest.raises(NothingToUndo):
        d.undo_status(first.id)  # a confirmation is not taken back: it is no visit-day key
    d.no_show(first.id)
    card = d.packages_for_patient(patient).assigned[0]
    assert (card.completed, card.scheduled) == (1, 1)
    undone = d.undo_status(first.id)
    assert (undone.status, undone.session_number) == ("CONFIRMED", 1)
    card = d.packages_for_patient(patient).assigned[0]
    assert (card.completed, card.scheduled) == (0, 2)
    assert d.appointments_of(patient)[1].id == second.id
    assert d.appointments_of(patient)[1].session_number == 2
    actions = [e.action for e in world.login("admin").audit_log(20) if e.entity_id == first.id]
    assert actions.count("undo_status") == 3


def test_undo_refuses_a_change_of_an_earlier_day(world: World) -> None:
    from sqlalchemy import update

    from deskbook.db.engine import write_session
    from deskbook.db.models import AuditEvent

    d = world.login()
    visit = d.book(world.patient(), world.slp, world.amal, at(future_day(), 9))
    world.move_to_day(visit.id, future_day(-1))
    d.complete(visit.id)
    with write_session(world.desk.engine) as s:
        s.execute(
            update(AuditEvent)
            .where(AuditEvent.entity_id == visit.id)
            .values(at=datetime.now(UTC) - timedelta(days=1))
        )
    provider = world.login("provider")
    before = world.counts()
    with pytest.raises(NothingToUndo, match="completed before today"):
        d.undo_status(visit.id)
    with pytest.raises(PermissionDenied):
        provider.undo_status(visit.id)
    with pytest.raises(NotFound):
        d.undo_status("00000000-0000-0000-0000-000000000000")
    assert world.counts() == before
    assert d.appointments_of(visit.patient_id)[0].status == "COMPLETED"


def test_notes_come_back_wherever_the_visit_is_listed(world: World) -> None:
    d = world.login()
    patient = world.patient()
    day = future_day()
    booked = d.book(patient, world.slp, world.amal, at(day, 9), notes="Bring the report\nto Amal")
    assert booked.notes == "Bring the report\nto Amal"
    assert [a.notes for a in d.appointments_of(patient)] == ["Bring the report\nto Amal"]
    assert [a.notes for a in d.day_sheet(day)] == ["Bring the report\nto Amal"]
    assert d.book(patient, world.slp, world.amal, at(day, 11)).notes is None


def test_the_slot_grid_says_why_a_time_cannot_be_taken(world: World) -> None:
    d = world.login()
    day = future_day()
    patient, other = world.patient(), world.patient()
    # With Badr, 10:30-11:30: off the grid, as a visit booked before booking kept to it.
    world.move_by(d.book(patient, world.slp, world.badr, at(day, 10)).id, timedelta(minutes=30))
    d.book(other, world.slp, world.amal, at(day, 13))
    plain = d.slot_grid(world.amal, world.slp, day)
    assert [s.start for s in plain if s.free] == d.free_slots(world.amal, world.slp, day)
    assert [s.start.hour for s in plain] == list(range(8, 18))
    grid = {s.start.hour: s for s in d.slot_grid(world.amal, world.slp, day, patient_id=patient)}
    assert (grid[9].free, grid[9].reason) == (True, None)
    for hour in (10, 11):
        assert (grid[hour].free, grid[hour].reason) == (False, "the patient has a visit at 10:30")
    assert (grid[13].free, grid[13].reason) == (False, "booked")
    with pytest.raises(PatientBusy):  # what the grid greyed out, booking refuses
        d.book(patient, world.slp, world.amal, at(day, 10))
    earlier = {s.reason for s in d.slot_grid(world.amal, world.slp, future_day(-1))}
    assert earlier == {"passed"}
    with pytest.raises(NotFound):
        d.slot_grid(world.amal, world.slp, day, patient_id="00000000-0000-0000-0000-000000000000")


def test_the_reschedule_grid_offers_only_what_reschedule_takes(world: World) -> None:
    d = world.login()
    day = future_day()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    visit = d.book(patient, world.slp, world.amal, at(day, 10), purchase_id=purchase)
    d.book(patient, world.aba, world.chadi, at(day, 14))
    grid = {
        s.start.hour: s for s in d.slot_grid(world.amal, world.slp, day, appointment_id=visit.id)
    }
    assert grid[10].free  # its own time
    assert grid[14].reason == "the patient has a visit at 14:00"
    for hour, slot in grid.items():
        if slot.free and hour != 10:
            assert d.reschedule(visit.id, slot.start).start == slot.start
            break
    expiry = d.packages_for_patient(patient).assigned[0].expiry_date
    late = d.slot_grid(world.amal, world.slp, expiry + timedelta(days=1), appointment_id=visit.id)
    assert {s.reason for s in late} == {f"after the package expires on {expiry.isoformat()}"}
    admin = world.login("admin")
    group = admin.schedule_group_session(world.social, world.badr, at(day, 16), capacity=4)
    seat = d.book(world.patient(), world.social, world.badr, group.start, group_session_id=group.id)
    for refused in (
        lambda: d.slot_grid(world.badr, world.social, day, appointment_id=seat.id),
        lambda: d.reschedule(seat.id, at(day, 9)),
    ):
        with pytest.raises(InvalidInput, match="moves with its group"):
            refused()


def test_a_start_off_the_slot_grid_is_refused(world: World) -> None:
    """Slots of a 60-minute service start on the hour from 08:00: 09:07, or a microsecond
    past 09:00, would leave a gap no slot fits and waste the slot beside it."""
    day = future_day()
    desk = world.login()
    patient = world.patient()
    for start in (at(day, 9, 7), at(day, 9) + timedelta(microseconds=1), at(day, 9, 30)):
        with pytest.raises(OutsideSchedule, match="not a slot start"):
            desk.book(patient, world.slp, world.amal, start)
    assert at(day, 9) in desk.free_slots(world.amal, world.slp, day)
    booked = desk.book(patient, world.slp, world.amal, at(day, 9))
    with pytest.raises(OutsideSchedule, match="not a slot start"):
        desk.reschedule(booked.id, at(day, 11, 7))
    assert desk.reschedule(booked.id, at(day, 11)).start == at(day, 11)
    slots = desk.free_slots(world.amal, world.slp, day)
    assert at(day, 9) in slots and at(day, 10) in slots
