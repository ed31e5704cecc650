"""Who gives a course planned with "any provider" (issue 14), now that the plan reads each
provider's time only at the course's times and the stuck visits' days: the same choice and
the same alternatives as reading everyone's whole course, on both engines."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

from deskbook.access import Actor
from deskbook.db.engine import read_session, write_session
from deskbook.db.models import PackagePurchase, Provider, ProviderTimeOff, Service
from deskbook.series_calendar import Calendar
from deskbook.testing.clock import TZ, at, next_day
from deskbook.testing.small_clinic import World

SUNDAY = 6


def test_any_provider_keeps_one_for_the_course_and_lends_another_where_it_cannot(
    world: World,
) -> None:
    d = world.login()
    patient = world.patient("Course Patient")
    purchase = d.assign_package(patient, world.slp10).id
    first = next_day(SUNDAY)
    tuesday = first + timedelta(days=2)
    d.book(world.patient(), world.slp, world.badr, at(first, 16))  # Sun: Badr busy
    d.book(world.patient(), world.slp, world.amal, at(tuesday, 16))  # Tue: Amal busy
    plan = d.plan_series(purchase, world.slp, ("SUN", "TUE"), at(first, 16).time(), first, 4)
    # Each is free three times of four: the first by name keeps the course, and Badr gives
    # the Tuesday Amal cannot.
    assert [(o.provider_id, o.status) for o in plan.occurrences] == [
        (world.amal, "FREE"),
        (world.badr, "FREE"),
        (world.amal, "FREE"),
        (world.amal, "FREE"),
    ]
    assert all(o.alternatives == () for o in plan.occurrences)
    series = d.book_series(purchase, world.slp, plan.choices, plan.rule)
    assert [(a.provider_id, a.start) for a in series.appointments] == plan.choices


def test_any_provider_with_nobody_free_offers_the_nearest_times_of_everyone(
    world: World,
) -> None:
    """Amal is off the whole Sunday and Badr is booked at four: nobody gives that visit.
    Nobody is free at four either, Amal has no other time that day, so the alternatives are
    Badr's nearest free times, nearest first and the earlier of two as near."""
    d = world.login()
    patient = world.patient("Course Patient")
    purchase = d.assign_package(patient, world.slp10).id
    first = next_day(SUNDAY)
    d.book(world.patient(), world.slp, world.badr, at(first, 16))
    d.book(world.patient(), world.slp, world.badr, at(first, 17))
    with write_session(world.desk.engine) as s:
        s.add(
            ProviderTimeOff(
                tenant_id=world.tenant_id,
                provider_id=world.amal,
                start_at=at(first, 0),
                end_at=at(first + timedelta(days=1), 0),
            )
        )
    plan = d.plan_series(purchase, world.slp, ("SUN", "TUE"), at(first, 16).time(), first, 3)
    stuck, tuesday, sunday = plan.occurrences
    assert (stuck.provider_id, stuck.status) == (world.amal, "OFF")
    assert [(a.provider_id, a.start) for a in stuck.alternatives] == [
        (world.badr, at(first, 15)),
        (world.badr, at(first, 14)),
        (world.badr, at(first, 13)),
    ]
    assert [(o.provider_id, o.status) for o in (tuesday, sunday)] == [
        (world.amal, "FREE"),
        (world.amal, "FREE"),
    ]
    # The same visit with Badr chosen: Amal is off, so his own nearest free times.
    badr = d.plan_series(purchase, world.slp, ("SUN",), at(first, 16).time(), first, 1, world.badr)
    [busy] = badr.occurrences
    assert busy.status == "PROVIDER_BUSY"
    assert [(a.provider_id, a.start) for a in busy.alternatives] == [
        (world.badr, at(first, 15)),
        (world.badr, at(first, 14)),
        (world.badr, at(first, 13)),
    ]


def test_who_is_free_at_a_time_is_what_status_says_of_each_provider(world: World) -> None:
    """free_at() answers "any provider" for the whole clinic in one go; it must name exactly
    the providers status() calls FREE, whatever holds the others (a visit, time off, the
    patient's own visit, the hour) and whatever was read before."""
    d = world.login()
    patient = world.patient("Course Patient")
    purchase = d.assign_package(patient, world.slp10).id
    first = next_day(SUNDAY)
    d.book(world.patient(), world.slp, world.badr, at(first, 16))
    d.book(patient, world.aba, world.chadi, at(first + timedelta(days=1), 11))
    with write_session(world.desk.engine) as s:
        s.add(
            ProviderTimeOff(
                tenant_id=world.tenant_id,
                provider_id=world.amal,
                start_at=at(first, 13, 30),
                end_at=at(first, 15),
            )
        )
    starts = [
        at(first + timedelta(days=n), hour, minute).astimezone(UTC)
        for n in range(2)
        for hour in range(7, 19)
        for minute in (0, 30)
    ]
    actor = Actor(uuid.uuid4(), world.tenant_id, "ADMIN", None, TZ)
    with read_session(world.desk.engine) as s:
        service = s.get(Service, world.slp)
        purchased = s.get(PackagePurchase, purchase)
        assert service is not None and purchased is not None
        providers = [p for p in (s.get(Provider, world.amal), s.get(Provider, world.badr)) if p]

        def calendar() -> Calendar:
            days = (first, first + timedelta(days=1))
            return Calendar(s, actor, service, providers, patient, days, purchased.expiry_date)

        by_status, by_clinic, by_day = calendar(), calendar(), calendar()
        by_day.read(by_day.ids, days=[first])  # one day read as spans, the next by slots
        for start in starts:
            free = {pid for pid in by_status.ids if by_status.status(pid, start) == "FREE"}
            assert by_clinic.free_at(start) == free, start
            assert by_day.free_at(start) == free, start
    # Every reason is among them.
    asked = {
        (world.badr, at(first, 16)): "PROVIDER_BUSY",
        (world.amal, at(first, 14)): "OFF",
        (world.amal, at(first, 7)): "OFF",
        (world.amal, at(first + timedelta(days=1), 11)): "PATIENT_BUSY",
        (world.amal, at(first, 16)): "FREE",
    }
    assert {key: by_status.status(key[0], key[1].astimezone(UTC)) for key in asked} == asked
