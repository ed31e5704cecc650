"""Courses of treatment: a purchase's sessions planned, booked, cancelled and moved as one
series. Every visit is an ordinary appointment (kind PACKAGE) that points at its series.

Writes take the house locks (booking.py): patient, purchase, then every provider involved by
id, all before the first change, and judge every visit under them, so a series is booked
whole or not at all, whatever other desks do meanwhile.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import rrulestr
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import appointments, audit, catalog, packages
from deskbook.access import Actor, as_id, clean_text, future_time, get_owned, lock_owned
from deskbook.booking import _free_number, _snapshot, renumber
from deskbook.db.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Clinic,
    PackagePurchase,
    Patient,
    Provider,
    ProviderBlock,
    PurchaseStatus,
    Series,
    Service,
)
from deskbook.errors import (
    InvalidInput,
    NotPatientsPackage,
    PackageExhausted,
    PackageExpired,
    SeriesConflict,
)
from deskbook.results_course import PlannedVisit, SeriesPlan, SeriesView
from deskbook.series_calendar import FREE, Calendar
from deskbook.series_plan import (
    MAX_OCCURRENCES,
    check_count,
    check_days_and_time,
    check_every_weeks,
    check_time,
    choose_providers,
    dates_text,
    lay,
    parse_weekdays,
    rule_text,
    sessions_left,
)

_WHY = {
    "PROVIDER_BUSY": "the provider is booked then",
    "PATIENT_BUSY": "the patient has another appointment then",
    "OFF": "the provider does not work then",
    "AFTER_EXPIRY": "it is after the package's expiry",
    "PAST": "that time has passed",
}


@dataclass(frozen=True)
class Course:
    """What a plan is laid from, checked."""

    weekdays: tuple[str, ...]
    at: time
    first_day: date
    every_weeks: int


def course(weekdays: Any, at: Any, first_day: date, every_weeks: Any) -> Course:
    return Course(
        parse_weekdays(weekdays), check_time(at), first_day, check_every_weeks(every_weeks)
    )


def _usable(actor: Actor, purchase: PackagePurchase) -> None:
    """Refuse a purchase that can take no more bookings, with the reason."""
    status = purchase.status
    if status in packages.FINAL:
        raise PackageExhausted(
            f"This package was {status.lower()}; it has no sessions to book."
            if status != PurchaseStatus.TRANSFERRED
            else "This package's sessions were transferred to another patient."
        )
    if status == PurchaseStatus.EXPIRED or purchase.expiry_date < actor.today():
        raise PackageExpired(f"This package expired on {purchase.expiry_date.isoformat()}.")
    if status == PurchaseStatus.COMPLETED:
        raise PackageExhausted("This package is completed; it has no sessions left.")


def givers(
    session: Session, actor: Actor, service: Service, provider_id: uuid.UUID | None
) -> list[Provider]:
    """Who may give the course: the chosen provider, or everyone giving the service there."""
    if provider_id is None:
        return catalog.providers_for(session, actor, service.clinic_id, service.id)
    provider = get_owned(session, Provider, provider_id, actor, "provider")
    catalog.check_delivers(session, provider, service)
    return [provider]


def lay_plan(
    session: Session,
    actor: Actor,
    purchase: PackagePurchase,
    service: Service,
    shape: Course,
    count: Any,
    provider_id: uuid.UUID | None,
    prefer: uuid.UUID | None = None,
) -> tuple[SeriesPlan, Calendar]:
    _usable(actor, purchase)
    if shape.first_day < actor.today():
        raise InvalidInput(f"The first day {shape.first_day.isoformat()} has already passed.")
    if shape.first_day > purchase.expiry_date:
        raise PackageExpired(
            f"This package expires on {purchase.expiry_date.isoformat()}; "
            "the course must start on or before then."
        )
    n = check_count(count, sessions_left(session, purchase, service), service)
    everyone = catalog.providers_for(session, actor, service.clinic_id, service.id)
    if provider_id is not None:  # "any provider" is everyone, read just above
        givers(session, actor, service, provider_id)
    local = lay(shape.weekdays, shape.at, shape.first_day, n, shape.every_weeks)
    starts = [datetime.combine(s.date(), s.time(), tzinfo=actor.tz) for s in local]
    days = (starts[0].date(), starts[-1].date())
    calendar = Calendar(
        session, actor, service, everyone, purchase.patient_id, days, purchase.expiry_date
    )
    clinic = session.get(Clinic, service.clinic_id)
    clinic_name = clinic.name_en if clinic is not None else "The clinic"
    check_days_and_time(calendar, shape.weekdays, shape.at, clinic_name, service)
    visits = choose_providers(calendar, starts, provider_id, prefer)
    tz_name = str(actor.tz.key)
    return (
        SeriesPlan(
            purchase_id=purchase.id,
            service_id=service.id,
            patient_id=purchase.patient_id,
            provider_id=provider_id,
            weekdays=shape.weekdays,
            at=shape.at,
            first_day=shape.first_day,
            every_weeks=shape.every_weeks,
            rule=rule_text(
                tz_name, shape.weekdays, shape.at, shape.first_day, n, shape.every_weeks
            ),
            occurrences=tuple(calendar.judge(visits)),
            providers=tuple(catalog.provider_view(p) for p in everyone),
        ),
        calendar,
    )


def plan(
    session: Session,
    actor: Actor,
    purchase_id: uuid.UUID,
    service_id: uuid.UUID,
    shape: Course,
    count: Any,
    provider_id: uuid.UUID | None,
) -> SeriesPlan:
    purchase = get_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    service = get_owned(session, Service, service_id, actor, "service")
    return lay_plan(session, actor, purchase, service, shape, count, provider_id)[0]


def _conflict(index: int, visit: PlannedVisit, names: dict[uuid.UUID, str]) -> SeriesConflict:
    who = names.get(visit.provider_id, "the provider")
    return SeriesConflict(
        f"Session {index} of the course ({visit.start:%a %d %b %H:%M} with {who}) cannot be "
        f"booked: {_WHY.get(visit.status, visit.status)}. Nothing was booked; "
        "look at the plan again.",
        index=index,
        start=visit.start,
        provider_id=visit.provider_id,
        status=visit.status,
    )


def lock_providers(
    session: Session, actor: Actor, provider_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Provider]:
    return {
        pid: lock_owned(session, Provider, pid, actor, "provider")
        for pid in sorted(provider_ids, key=str)
    }


def write_visits(
    session: Session,
    actor: Actor,
    series: Series,
    purchase: PackagePurchase,
    service: Service,
    calendar: Calendar,
    visits: list[tuple[uuid.UUID, datetime]],
    names: dict[uuid.UUID, str],
) -> None:
    """Judge every visit under the locks already held, then write them all."""
    for index, visit in enumerate(calendar.judge(visits), start=1):
        if visit.status != FREE:
            raise _conflict(index, visit, names)
    number = _free_number(session, purchase.id)
    for offset, (provider_id, start) in enumerate(visits):
        end = start + calendar.minutes
        appointment = Appointment(
            tenant_id=actor.tenant_id,
            patient_id=purchase.patient_id,
            clinic_id=service.clinic_id,
            service_id=service.id,
            provider_id=provider_id,
            start_at=start,
            end_at=end,
            kind=AppointmentKind.PACKAGE,
            status=AppointmentStatus.BOOKED,
            purchase_id=purchase.id,
            session_number=number + offset,  # above every live number; renumber() places it
            series_id=series.id,
            booked_by=actor.staff_id,
        )
        session.add(appointment)
        session.add(
            ProviderBlock(
                tenant_id=actor.tenant_id,
                provider_id=provider_id,
                start_at=start,
                end_at=end,
                appointment_id=appointment.id,
            )
        )
        audit.log(
            session, actor, "book", "appointment", appointment.id, after=_snapshot(appointment)
        )
    session.flush()
    renumber(session, purchase.id)


def _visits(visits: Any) -> list[tuple[uuid.UUID, datetime]]:
    if not isinstance(visits, list | tuple) or not visits:
        raise InvalidInput("Choose at least one visit to book.")
    if len(visits) > MAX_OCCURRENCES:
        raise InvalidInput(f"A course books at most {MAX_OCCURRENCES} visits at once.")
    out = []
    for item in visits:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise InvalidInput("Each visit is a provider and a start time.")
        out.append((as_id(item[0], "provider"), future_time(item[1], "start time")))
    out.sort(key=lambda v: v[1])
    return out


def _check_apart(visits: list[tuple[uuid.UUID, datetime]], minutes: timedelta) -> None:
    for (_, a), (_, b) in itertools.pairwise(visits):
        if b < a + minutes:
            raise InvalidInput(
                f"Two visits of the course overlap ({a:%a %d %b %H:%M}); keep one of them."
            )


def book(
    session: Session,
    actor: Actor,
    purchase_id: uuid.UUID,
    service_id: uuid.UUID,
    chosen: Any,
    rule: str | None,
) -> SeriesView:
    visits = _visits(chosen)
    rule = _check_rule(rule)
    service = get_owned(session, Service, service_id, actor, "service")
    _check_apart(visits, timedelta(minutes=service.duration_minutes))
    seen = get_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    providers = {pid: get_owned(session, Provider, pid, actor, "provider") for pid, _ in visits}
    for provider in providers.values():
        catalog.check_delivers(session, provider, service)
    lock_owned(session, Patient, seen.patient_id, actor, "patient")
    purchase = lock_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    if purchase.patient_id != seen.patient_id:
        raise NotPatientsPackage()
    _usable(actor, purchase)
    left = sessions_left(session, purchase, service)
    if len(visits) > left:
        raise PackageExhausted(
            f"This package has {left} {service.name_en} session{'s' if left != 1 else ''} "
            f"left; {len(visits)} visits are more than that."
        )
    lock_providers(session, actor, set(providers))
    days = (actor.local_day(visits[0][1]), actor.local_day(visits[-1][1]))
    calendar = Calendar(
        session,
        actor,
        service,
        list(providers.values()),
        purchase.patient_id,
        days,
        purchase.expiry_date,
    )
    series = Series(
        tenant_id=actor.tenant_id,
        purchase_id=purchase.id,
        service_id=service.id,
        rule=rule or dates_text(str(actor.tz.key), [s.astimezone(actor.tz) for _, s in visits]),
        created_by=actor.staff_id,
    )
    session.add(series)
    session.flush()
    names = {pid: p.name_en for pid, p in providers.items()}
    write_visits(session, actor, series, purchase, service, calendar, visits, names)
    audit.log(
        session,
        actor,
        "book_series",
        "series",
        series.id,
        after={"purchase_id": purchase.id, "visits": len(visits), "rule": series.rule},
    )
    return view(session, actor, series.id)


def _check_rule(rule: Any) -> str | None:
    text = clean_text(rule, "rule", 4000, multiline=True)
    if text is not None:
        try:
            rrulestr(text, forceset=True, ignoretz=True)
        except (ValueError, TypeError):
            raise InvalidInput("The course's rule is not RFC 5545 text (DTSTART, RRULE).") from None
    return text


def view(session: Session, actor: Actor, series_id: uuid.UUID) -> SeriesView:
    series = get_owned(session, Series, series_id, actor, "series")
    live = appointments.views(
        session,
        actor,
        col(Appointment.series_id) == series.id,
        col(Appointment.status) != AppointmentStatus.CANCELLED,
    )
    cancelled = session.scalar(
        select(func.count(col(Appointment.id))).where(
            col(Appointment.series_id) == series.id,
            col(Appointment.status) == AppointmentStatus.CANCELLED,
        )
    )
    return SeriesView(
        id=series.id,
        purchase_id=series.purchase_id,
        service_id=series.service_id,
        rule=series.rule,
        appointments=tuple(live),
        cancelled=int(cancelled or 0),
    )
