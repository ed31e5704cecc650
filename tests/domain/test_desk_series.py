"""Courses of treatment (issue 14): plan, book, cancel and reschedule a purchase's sessions as
a series, through the Desk API, on both engines."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from dateutil.rrule import rrulestr
from sqlalchemy import delete, update

from deskbook.db.engine import write_session
from deskbook.db.models import PackagePurchase, ProviderSchedule, ProviderTimeOff
from deskbook.errors import (
    DeskError,
    InvalidInput,
    NotFound,
    PackageExhausted,
    PackageExpired,
    PermissionDenied,
    SeriesConflict,
)
from deskbook.testing.clock import TZ, at, next_day, today
from deskbook.testing.invariants import check_invariants, table_counts, violations
from deskbook.testing.small_clinic import World

FOUR_PM = time(16, 0)


SUNDAY = 6


def clean(world: World) -> None:
    assert violations(check_invariants(world.desk.engine)) == {}


def expire(world: World, purchase_id: object, expiry: date) -> None:
    """A purchase sold earlier, that expires on that day."""
    with write_session(world.desk.engine) as s:
        s.execute(
            update(PackagePurchase)
            .where(PackagePurchase.id == purchase_id)
            .values(purchase_date=min(expiry, today()), expiry_date=expiry)
        )


def numbers(world: World, patient: object) -> list[int | None]:
    d = world.login()
    live = [a for a in d.appointments_of(patient) if a.status != "CANCELLED"]
    return [a.session_number for a in sorted(live, key=lambda a: a.start)]


def test_plan_lays_every_session_left_on_the_weekdays(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    first = next_day(SUNDAY)
    d.book(patient, world.slp, world.badr, at(first - timedelta(days=1), 9), purchase_id=purchase)
    before = table_counts(world.desk.engine)
    plan = d.plan_series(purchase, world.slp, ("SUN", "TUE"), FOUR_PM, first, None, world.amal)
    assert table_counts(world.desk.engine) == before  # a plan writes nothing
    assert len(plan.occurrences) == 9  # ten sessions, one already booked
    assert [o.start.strftime("%a") for o in plan.occurrences[:4]] == ["Sun", "Tue", "Sun", "Tue"]
    assert plan.occurrences[0].start == at(first, 16)
    assert plan.occurrences[-1].start == at(first + timedelta(weeks=4), 16)
    assert {o.status for o in plan.occurrences} == {"FREE"}
    assert {o.provider_id for o in plan.occurrences} == {world.amal}
    assert all(o.end - o.start == timedelta(hours=1) for o in plan.occurrences)
    assert "RRULE:FREQ=WEEKLY;INTERVAL=1;WKST=SU;COUNT=9;BYDAY=SU,TU" in plan.rule
    assert plan.rule.startswith(f"DTSTART;TZID=Asia/Riyadh:{first:%Y%m%d}T160000")
    laid = list(rrulestr(plan.rule))
    assert [o.start for o in plan.occurrences] == laid
    assert {p.name_en for p in plan.providers} == {"Amal", "Badr"}
    every_other = d.plan_series(purchase, world.slp, ["mon"], time(9), first, 3, None, 2)
    assert [o.start for o in every_other.occurrences] == [
        at(first + timedelta(days=1 + 14 * k), 9) for k in range(3)
    ]


def test_plan_says_why_a_visit_cannot_be_booked_and_offers_the_same_day(world: World) -> None:
    d = world.login()
    patient, other = world.patient("Course Patient"), world.patient("Other Patient")
    first = next_day(SUNDAY)
    purchase = d.assign_package(patient, world.slp10).id
    expire(world, purchase, first + timedelta(days=9))
    d.book(other, world.slp, world.amal, at(first, 16))  # Sun: Amal busy
    d.book(patient, world.aba, world.chadi, at(first + timedelta(days=2), 16))  # Tue: patient
    with write_session(world.desk.engine) as s:  # next Sun: Amal off all afternoon
        s.add(
            ProviderTimeOff(
                tenant_id=world.tenant_id,
                provider_id=world.amal,
                start_at=at(first + timedelta(days=7), 13),
                end_at=at(first + timedelta(days=7), 18),
            )
        )
    plan = d.plan_series(purchase, world.slp, ("SUN", "TUE"), FOUR_PM, first, 5, world.amal)
    assert [o.status for o in plan.occurrences] == [
        "PROVIDER_BUSY",
        "PATIENT_BUSY",
        "OFF",
        "FREE",  # Tue, day 9: the expiry day itself
        "AFTER_EXPIRY",
    ]
    busy, patient_busy, off, free, late = plan.occurrences
    assert (busy.alternatives[0].provider_id, busy.alternatives[0].start) == (
        world.badr,
        at(first, 16),
    )
    assert (world.amal, at(first, 15)) in [(a.provider_id, a.start) for a in busy.alternatives]
    assert all(a.start.date() == first for a in busy.alternatives)
    # The patient is busy whoever gives it: only other times of that day help.
    assert patient_busy.alternatives and all(a.start.hour != 16 for a in patient_busy.alternatives)
    assert off.alternatives[0].provider_id == world.badr
    assert (free.alternatives, late.alternatives) == ((), ())
    assert plan.choices == [(world.amal, free.start)]
    anyone = d.plan_series(purchase, world.slp, ("SUN", "TUE"), FOUR_PM, first, 4)
    # Any provider: the one free most often gives the whole course.
    assert [(o.provider_id, o.status) for o in anyone.occurrences] == [
        (world.badr, "FREE"),
        (world.badr, "PATIENT_BUSY"),
        (world.badr, "FREE"),
        (world.badr, "FREE"),
    ]
    now = datetime.now(TZ)
    if now.hour >= 9:  # an 8 o'clock visit today has passed
        today = d.plan_series(purchase, world.slp, [now.strftime("%a")], time(8), now.date(), 1)
        assert today.occurrences[0].status == "PAST"


def test_bad_plans_get_a_sentence(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10)
    first = next_day(SUNDAY)
    with write_session(world.desk.engine) as s:  # the speech clinic closes on Fridays
        s.execute(
            delete(ProviderSchedule).where(
                ProviderSchedule.tenant_id == world.tenant_id, ProviderSchedule.weekday == 4
            )
        )
    provider = world.login("provider")
    before = table_counts(world.desk.engine)

    def refused(error: type[DeskError], match: str, **changes: object) -> None:
        args: dict[str, object] = {
            "purchase_id": purchase.id,
            "service_id": world.slp,
            "weekdays": ("SUN", "TUE"),
            "at": FOUR_PM,
            "first_day": first,
        }
        args.update(changes)
        with pytest.raises(error, match=match):
            d.plan_series(**args)  # type: ignore[arg-type]

    refused(InvalidInput, "at least one session", count=0)
    refused(InvalidInput, "has 10 SLP Session sessions left; a course of 500", count=500)
    refused(InvalidInput, "no SLP Session on Fridays", weekdays=("SUN", "FRI"))
    refused(InvalidInput, "16:10 is not a start time.*pick 16:00 or 17:00", at=time(16, 10))
    refused(InvalidInput, "17:30 is not a start time", at=time(17, 30))
    refused(
        PackageExpired,
        "course must start on or before",
        first_day=purchase.expiry_date + timedelta(days=1),
    )
    refused(InvalidInput, "already passed", first_day=first - timedelta(weeks=3))
    refused(InvalidInput, "not a weekday", weekdays=("SUN", "XYZ"))
    refused(InvalidInput, "at least one weekday", weekdays=())
    refused(InvalidInput, "from 1 to 8", every_weeks=0)
    refused(InvalidInput, "time of day", at="16:00")
    refused(InvalidInput, "does not include", service_id=world.aba)
    refused(NotFound, "No such package purchase", purchase_id=world.slp10)
    with pytest.raises(PermissionDenied):
        provider.plan_series(purchase.id, world.slp, ("SUN",), FOUR_PM, first)
    assert table_counts(world.desk.engine) == before


def test_book_a_course_in_one_go_numbered_with_the_other_visits(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    first = next_day(SUNDAY)
    early = d.book(patient, world.slp, world.badr, at(first, 9), purchase_id=purchase)
    late = d.book(
        patient, world.slp, world.badr, at(first + timedelta(weeks=3), 9), purchase_id=purchase
    )
    plan = d.plan_series(purchase, world.slp, ("SUN", "TUE"), FOUR_PM, first, None, world.amal)
    chosen = plan.choices
    chosen[1] = (world.badr, chosen[1][1])  # several providers in one course
    series = d.book_series(purchase, world.slp, chosen, rule=plan.rule)
    assert series.rule == plan.rule
    assert [(a.provider_id, a.start) for a in series.appointments] == sorted(
        chosen, key=lambda v: v[1]
    )
    assert {a.kind for a in series.appointments} == {"PACKAGE"}
    assert numbers(world, patient) == list(range(1, 11))
    numbered = {a.id: a.session_number for a in d.appointments_of(patient)}
    assert (numbered[early.id], numbered[late.id]) == (1, 8)
    [card] = d.packages_for_patient(patient).assigned
    assert (card.used, card.remaining, card.usable) == (10, 0, False)
    assert d.get_series(series.id) == series
    actions = [e.action for e in world.login("admin").audit_log(50)]
    assert actions.count("book") == 10 and actions.count("book_series") == 1
    clean(world)
    with pytest.raises(PackageExhausted):
        d.plan_series(purchase, world.slp, ("MON",), FOUR_PM, first)


def test_a_slot_taken_meanwhile_books_nothing_and_names_the_visit(world: World) -> None:
    d, other_desk = world.login(), world.login("admin")
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    first = next_day(SUNDAY)
    plan = d.plan_series(purchase, world.slp, ("SUN", "TUE"), FOUR_PM, first, 6, world.amal)
    third = plan.occurrences[2]
    other_desk.book(world.patient(), world.slp, world.amal, third.start)
    before = table_counts(world.desk.engine)
    with pytest.raises(SeriesConflict, match=r"Session 3 of the course .* with Amal") as caught:
        d.book_series(purchase, world.slp, plan.choices, rule=plan.rule)
    assert (caught.value.index, caught.value.start, caught.value.status) == (
        3,
        third.start,
        "PROVIDER_BUSY",
    )
    assert caught.value.provider_id == world.amal
    assert table_counts(world.desk.engine) == before
    again = d.plan_series(purchase, world.slp, ("SUN", "TUE"), FOUR_PM, first, 6, world.amal)
    assert again.occurrences[2].status == "PROVIDER_BUSY"
    visits = [(o.provider_id, o.start) for o in again.occurrences]
    visits[2] = (again.occurrences[2].alternatives[0].provider_id, third.start)
    series = d.book_series(purchase, world.slp, visits, rule=again.rule)
    assert len(series.appointments) == 6
    clean(world)


def test_bad_bookings_of_a_course_write_nothing(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    day = next_day(SUNDAY)
    before = table_counts(world.desk.engine)
    cases: list[tuple[type[DeskError], str, object]] = [
        (InvalidInput, "at least one visit", []),
        (InvalidInput, "overlap", [(world.amal, at(day, 9)), (world.badr, at(day, 9, 30))]),
        (
            PackageExhausted,
            "10 SLP Session sessions left; 11",
            [(world.amal, at(day + timedelta(days=n), 9)) for n in range(11)],
        ),
        (SeriesConflict, "does not work then", [(world.amal, at(day, 7))]),
        (InvalidInput, "does not provide", [(world.chadi, at(day, 9))]),
        (InvalidInput, "already passed", [(world.amal, at(day - timedelta(weeks=2), 9))]),
    ]
    for error, match, visits in cases:
        with pytest.raises(error, match=match):
            d.book_series(purchase, world.slp, visits)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="RFC 5545"):
        d.book_series(purchase, world.slp, [(world.amal, at(day, 9))], rule="every sunday")
    assert table_counts(world.desk.engine) == before


def test_cancel_the_rest_of_a_course(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    first = next_day(SUNDAY)
    plan = d.plan_series(purchase, world.slp, ("SUN", "TUE"), FOUR_PM, first, 6, world.amal)
    series = d.book_series(purchase, world.slp, plan.choices, rule=plan.rule)
    single = d.book(
        patient, world.slp, world.badr, at(first + timedelta(days=3), 9), purchase_id=purchase
    )
    kept = d.cancel_series(series.id, "family travelling", from_day=first + timedelta(days=7))
    assert [a.start for a in kept.appointments] == [
        at(first, 16),
        at(first + timedelta(days=2), 16),
    ]
    assert kept.cancelled == 4
    assert numbers(world, patient) == [1, 2, 3]
    assert {a.id: a.session_number for a in d.appointments_of(patient)}[single.id] == 3
    [card] = d.packages_for_patient(patient).assigned
    assert card.remaining == 7
    assert at(first + timedelta(days=7), 16) in d.free_slots(
        world.amal, world.slp, first + timedelta(days=7)
    )
    gone = d.cancel_series(series.id, "stopped")
    assert (gone.appointments, gone.cancelled) == ((), 6)
    before = table_counts(world.desk.engine)
    with pytest.raises(InvalidInput, match="no booked visits left to cancel"):
        d.cancel_series(series.id, "again")
    assert table_counts(world.desk.engine) == before
    clean(world)


def test_reschedule_the_rest_of_a_course(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    first = next_day(SUNDAY)
    plan = d.plan_series(purchase, world.slp, ("SUN", "TUE"), FOUR_PM, first, 6, world.amal)
    series = d.book_series(purchase, world.slp, plan.choices, rule=plan.rule)
    moved_from = first + timedelta(days=7)
    monday = first + timedelta(days=8)
    # Amal cannot give one of the new Mondays at 10: the course keeps her elsewhere, not all.
    blocker = d.book(world.patient(), world.slp, world.amal, at(monday + timedelta(days=7), 10))
    moved = d.reschedule_series(series.id, ("MON", "WED"), time(10), moved_from)
    starts = [(a.start, a.provider_id) for a in moved.appointments]
    assert starts == [
        (at(first, 16), world.amal),
        (at(first + timedelta(days=2), 16), world.amal),
        (at(monday, 10), world.amal),
        (at(monday + timedelta(days=2), 10), world.amal),
        (at(monday + timedelta(days=7), 10), world.badr),
        (at(monday + timedelta(days=9), 10), world.amal),
    ]
    assert "BYDAY=MO,WE" in moved.rule and "COUNT=4" in moved.rule
    assert numbers(world, patient) == list(range(1, 7))
    # Moving onto a time the provider cannot give moves nothing.
    before = table_counts(world.desk.engine)
    with pytest.raises(SeriesConflict, match="Session 3 of the course"):
        d.reschedule_series(series.id, ("MON", "WED"), time(10), moved_from, world.amal)
    assert table_counts(world.desk.engine) == before
    assert d.get_series(series.id) == moved
    d.cancel(blocker.id, "freed")
    again = d.reschedule_series(series.id, ("MON", "WED"), time(10), moved_from, world.amal)
    assert {a.provider_id for a in again.appointments} == {world.amal}
    clean(world)


def test_sixteen_desks_booking_overlapping_courses_on_one_provider(world: World) -> None:
    """Each desk books a 4-visit course with Amal at 10:00 on consecutive days, each course
    sharing three days with the next: every course is booked whole or not at all."""
    from test_desk_races import WRITERS, race

    d = world.login()
    patients = [world.patient() for _ in range(WRITERS)]
    purchases = [d.assign_package(p, world.slp10).id for p in patients]
    base = next_day(SUNDAY)
    courses = [
        [(world.amal, at(base + timedelta(days=i + k), 10)) for k in range(4)]
        for i in range(WRITERS)
    ]
    outcomes = race(
        [d] * WRITERS, lambda i, desk: desk.book_series(purchases[i], world.slp, courses[i])
    )
    assert set(outcomes) <= {"ok", "SeriesConflict", "SlotTaken"}
    assert outcomes["ok"] >= 1
    booked = [numbers(world, p) for p in patients]
    assert all(n in ([], [1, 2, 3, 4]) for n in booked)
    assert sum(len(n) for n in booked) == 4 * outcomes["ok"]
    sheet = [a for a in d.day_sheet(base + timedelta(days=5), provider_id=world.amal)]
    assert len(sheet) <= 1
    clean(world)


def test_sixteen_desks_booking_courses_on_one_purchase(world: World) -> None:
    """Courses of three visits on one ten-session purchase: three fit, numbered 1..9."""
    from test_desk_races import WRITERS, race

    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    base = next_day(SUNDAY)
    courses = [
        [
            (world.amal if i % 2 else world.badr, at(base + timedelta(days=k), 8 + i % 10))
            for k in range(i // 10, i // 10 + 3)
        ]
        for i in range(WRITERS)
    ]
    outcomes = race(
        [d] * WRITERS, lambda i, desk: desk.book_series(purchase, world.slp, courses[i])
    )
    assert set(outcomes) <= {"ok", "PackageExhausted", "SeriesConflict", "PatientBusy"}
    assert outcomes["ok"] == 3
    assert numbers(world, patient) == list(range(1, 10))
    clean(world)
