"""The waitlist: patients waiting for a service (optionally one provider, some weekdays, a
time window of the day), and who of them fits a slot that has just come free."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit, booking, catalog, schedule
from deskbook.access import Actor, aware, clean_text, get_owned, lock_owned
from deskbook.db.models import (
    Appointment,
    AppointmentStatus,
    Patient,
    Provider,
    ProviderClinic,
    ProviderService,
    Service,
    WaitlistEntry,
)
from deskbook.errors import InvalidInput, NotFound, OutsideSchedule
from deskbook.results import AppointmentView
from deskbook.results_day import WaitlistView

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def weekday_mask(weekdays: Iterable[int | str] | None) -> int:
    """Bit n set for weekday n (0 Monday .. 6 Sunday); names like "SUN" are taken too."""
    if weekdays is None:
        return 0
    if isinstance(weekdays, str | int):
        weekdays = [weekdays]
    mask = 0
    for day in weekdays:
        if isinstance(day, str) and day.strip()[:3].upper() in WEEKDAYS:
            mask |= 1 << WEEKDAYS.index(day.strip()[:3].upper())
        elif isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6:
            mask |= 1 << day
        else:
            raise InvalidInput(f"'{day}' is not a weekday; use MON..SUN or 0 (Monday)..6.")
    return mask


def _days(mask: int) -> tuple[int, ...]:
    return tuple(n for n in range(7) if mask & (1 << n))


def _time(value: Any, what: str) -> time | None:
    if value is None:
        return None
    if not isinstance(value, time) or value.tzinfo is not None:
        raise InvalidInput(f"The {what} must be a time of day, like 16:00.")
    return value


def _view(e: WaitlistEntry, p: Patient, s: Service) -> WaitlistView:
    return WaitlistView(
        id=e.id,
        patient_id=p.id,
        patient_name_en=p.name_en,
        patient_name_ar=p.name_ar,
        patient_mrn=p.mrn,
        patient_phone=p.phone,
        service_id=s.id,
        service_name_en=s.name_en,
        clinic_id=e.clinic_id,
        provider_id=e.provider_id,
        earliest=e.earliest,
        latest=e.latest,
        weekdays=_days(e.weekdays),
        note=e.note,
        created_at=e.created_at,
    )


def add(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    service_id: uuid.UUID,
    clinic_id: uuid.UUID | None,
    provider_id: uuid.UUID | None,
    earliest: Any,
    latest: Any,
    weekdays: Iterable[int | str] | None,
    note: str | None,
) -> WaitlistView:
    patient = get_owned(session, Patient, patient_id, actor, "patient")
    service = get_owned(session, Service, service_id, actor, "service")
    if clinic_id is not None and clinic_id != service.clinic_id:
        raise InvalidInput(f"{service.name_en} is not given at that clinic.")
    if provider_id is not None:
        provider = get_owned(session, Provider, provider_id, actor, "provider")
        catalog.check_delivers(session, provider, service)
    start, end = _time(earliest, "earliest time"), _time(latest, "latest time")
    if start is not None and end is not None and start >= end:
        raise InvalidInput("The earliest time must come before the latest.")
    mask = weekday_mask(weekdays)
    note = clean_text(note, "note", 500, multiline=True)
    waiting = session.scalar(
        select(col(WaitlistEntry.id)).where(
            col(WaitlistEntry.tenant_id) == actor.tenant_id,
            col(WaitlistEntry.patient_id) == patient.id,
            col(WaitlistEntry.service_id) == service.id,
        )
    )
    if waiting is not None:
        raise InvalidInput(f"{patient.name_en} is already waiting for {service.name_en}.")
    entry = WaitlistEntry(
        tenant_id=actor.tenant_id,
        patient_id=patient.id,
        service_id=service.id,
        clinic_id=service.clinic_id,
        provider_id=provider_id,
        earliest=start,
        latest=end,
        weekdays=mask,
        note=note,
        created_by=actor.staff_id,
    )
    session.add(entry)
    session.flush()
    after = {"patient_id": patient.id, "service_id": service.id, "provider_id": provider_id}
    audit.log(session, actor, "waitlist_add", "waitlist_entry", entry.id, after=after)
    return _view(entry, patient, service)


def listing(
    session: Session,
    actor: Actor,
    clinic_id: uuid.UUID | None,
    service_id: uuid.UUID | None,
    only: list[uuid.UUID] | None = None,
) -> list[WaitlistView]:
    """Oldest first."""
    stmt = (
        select(WaitlistEntry, Patient, Service)
        .join(Patient, col(Patient.id) == col(WaitlistEntry.patient_id))
        .join(Service, col(Service.id) == col(WaitlistEntry.service_id))
        .where(col(WaitlistEntry.tenant_id) == actor.tenant_id)
        .order_by(col(WaitlistEntry.created_at), col(WaitlistEntry.id))
    )
    if clinic_id is not None:
        stmt = stmt.where(col(WaitlistEntry.clinic_id) == clinic_id)
    if service_id is not None:
        stmt = stmt.where(col(WaitlistEntry.service_id) == service_id)
    if only is not None:
        stmt = stmt.where(col(WaitlistEntry.service_id).in_(only))
    return [_view(e, p, s) for e, p, s in session.execute(stmt)]


def remove(session: Session, actor: Actor, entry_id: uuid.UUID) -> None:
    entry = get_owned(session, WaitlistEntry, entry_id, actor, "waitlist entry")
    before = {"patient_id": entry.patient_id, "service_id": entry.service_id}
    session.delete(entry)
    session.flush()
    audit.log(session, actor, "waitlist_remove", "waitlist_entry", entry_id, before)


def book_entry(
    session: Session,
    actor: Actor,
    entry_id: uuid.UUID,
    provider_id: uuid.UUID,
    start: datetime,
    purchase_id: uuid.UUID | None,
) -> AppointmentView:
    """Book the waiting patient into the provider's time and take them off the list, as one
    change: a desk never books someone and leaves them waiting, nor drops them unbooked. The
    entry is locked first, so two desks offered the same person cannot both book them."""
    try:
        entry = lock_owned(session, WaitlistEntry, entry_id, actor, "waitlist entry")
    except NotFound:
        raise NotFound("That patient is no longer on the waitlist.") from None
    booked = booking.book(
        session,
        actor,
        entry.patient_id,
        entry.service_id,
        provider_id,
        start,
        purchase_id,
        None,
        None,
    )
    before = {"patient_id": entry.patient_id, "service_id": entry.service_id}
    session.delete(entry)
    session.flush()
    after = {"appointment_id": booked.id}
    audit.log(session, actor, "waitlist_book", "waitlist_entry", entry_id, before, after)
    return booked


def matches(
    session: Session, actor: Actor, provider_id: uuid.UUID, start: datetime
) -> list[WaitlistView]:
    """Who, oldest first, could take the provider's time from start: a service the provider
    gives at a clinic they work at, that fits free time there from start for its whole length,
    on a weekday and inside a window the patient asked for, when the patient is free then."""
    start = aware(start, "start time")
    provider = get_owned(session, Provider, provider_id, actor, "provider")
    services = list(
        session.scalars(
            select(Service)
            .join(ProviderService, col(ProviderService.service_id) == col(Service.id))
            .join(
                ProviderClinic,
                (col(ProviderClinic.provider_id) == col(ProviderService.provider_id))
                & (col(ProviderClinic.clinic_id) == col(Service.clinic_id)),
            )
            .where(col(ProviderService.provider_id) == provider.id)
        )
    )
    fitting = {s.id: s for s in services if _fits(session, actor, provider, s, start)}
    if not provider.active or not fitting:
        return []
    local = start.astimezone(actor.tz)
    found = []
    for entry in listing(session, actor, None, None, only=list(fitting)):
        end = (local + timedelta(minutes=fitting[entry.service_id].duration_minutes)).time()
        if entry.provider_id not in (None, provider.id):
            continue
        if entry.weekdays and local.weekday() not in entry.weekdays:
            continue
        if entry.earliest is not None and local.time() < entry.earliest:
            continue
        if entry.latest is not None and (end > entry.latest or end < local.time()):
            continue
        found.append(entry)
    busy = _busy_patients(session, actor, [e.patient_id for e in found], start, fitting)
    return [e for e in found if e.patient_id not in busy]


def _fits(
    session: Session, actor: Actor, provider: Provider, service: Service, start: datetime
) -> bool:
    end = start + timedelta(minutes=service.duration_minutes)
    try:
        schedule.check_working(session, actor, provider, service.clinic_id, start, end)
    except OutsideSchedule:
        return False
    return not schedule.provider_clash(session, provider.id, start, end)


def _busy_patients(
    session: Session,
    actor: Actor,
    patient_ids: list[uuid.UUID],
    start: datetime,
    services: dict[uuid.UUID, Service],
) -> set[uuid.UUID]:
    if not patient_ids:
        return set()
    longest = max(s.duration_minutes for s in services.values())
    rows = session.execute(
        select(col(Appointment.patient_id)).where(
            col(Appointment.tenant_id) == actor.tenant_id,
            col(Appointment.patient_id).in_(patient_ids),
            col(Appointment.status) != AppointmentStatus.CANCELLED,
            col(Appointment.start_at) < start + timedelta(minutes=longest),
            col(Appointment.end_at) > start,
        )
    )
    return {pid for (pid,) in rows}
