"""Changing a booked course: cancel the rest of it, or move the rest to other days and time,
each in one transaction. Locks in the house order (booking.py): patient, the visits being
changed, purchase, then every provider involved by id."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit, catalog, schedule
from deskbook.access import Actor, clean_text, get_owned, lock_owned
from deskbook.booking import _snapshot, renumber
from deskbook.db.models import (
    Appointment,
    AppointmentStatus,
    PackagePurchase,
    Patient,
    ProviderBlock,
    Series,
    Service,
)
from deskbook.errors import InvalidInput
from deskbook.results_course import SeriesView
from deskbook.series import Course, givers, lay_plan, lock_providers, view, write_visits
from deskbook.visit_status import NOT_STARTED


def _lock_series(
    session: Session, actor: Actor, series_id: uuid.UUID, from_day: date | None
) -> tuple[Series, PackagePurchase, Service, list[Appointment]]:
    """The house order: patient, the visits being changed, purchase (then the caller takes
    the providers). The visits are the course's booked ones still to come from from_day."""
    series = get_owned(session, Series, series_id, actor, "series")
    seen = get_owned(session, PackagePurchase, series.purchase_id, actor, "package purchase")
    lock_owned(session, Patient, seen.patient_id, actor, "patient")
    not_before = datetime.now(UTC)
    if from_day is not None:
        not_before = max(not_before, schedule.day_span(actor, from_day)[0])
    visits = list(
        session.scalars(
            select(Appointment)
            .where(
                col(Appointment.series_id) == series.id,
                col(Appointment.status).in_(NOT_STARTED),
                col(Appointment.start_at) >= not_before,
            )
            .order_by(col(Appointment.start_at))
            .with_for_update(key_share=True)  # as lock_owned: FK checks pass
            .execution_options(populate_existing=True)
        )
    )
    purchase = lock_owned(session, PackagePurchase, seen.id, actor, "package purchase")
    series = lock_owned(session, Series, series_id, actor, "series")
    service = get_owned(session, Service, series.service_id, actor, "service")
    return series, purchase, service, visits


def _cancel_visits(
    session: Session, actor: Actor, visits: list[Appointment], reason: str | None
) -> None:
    now = datetime.now(UTC)
    for appointment in visits:
        before = _snapshot(appointment)
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancel_reason = reason
        appointment.updated_at = now
        after = {**_snapshot(appointment), "reason": reason}
        audit.log(session, actor, "cancel", "appointment", appointment.id, before, after)
    session.flush()
    ids = [a.id for a in visits]
    for block in session.scalars(
        select(ProviderBlock).where(col(ProviderBlock.appointment_id).in_(ids))
    ):
        session.delete(block)
    session.flush()


def cancel(
    session: Session,
    actor: Actor,
    series_id: uuid.UUID,
    reason: str | None,
    from_day: date | None,
) -> SeriesView:
    reason = clean_text(reason, "reason", 500, multiline=True)
    series, purchase, _service, visits = _lock_series(session, actor, series_id, from_day)
    lock_providers(session, actor, {a.provider_id for a in visits})
    if not visits:
        raise InvalidInput("This course has no booked visits left to cancel from that day.")
    _cancel_visits(session, actor, visits, reason)
    renumber(session, purchase.id)
    audit.log(
        session,
        actor,
        "cancel_series",
        "series",
        series.id,
        after={"cancelled": len(visits), "from_day": from_day, "reason": reason},
    )
    return view(session, actor, series.id)


def reschedule(
    session: Session,
    actor: Actor,
    series_id: uuid.UUID,
    shape: Course,
    provider_id: uuid.UUID | None,
) -> SeriesView:
    """The course's booked visits from shape.first_day move to the new days and time: as many
    as were there, judged and written in the same transaction, or none at all."""
    series, purchase, service, visits = _lock_series(session, actor, series_id, shape.first_day)
    chosen = givers(session, actor, service, provider_id)
    everyone = catalog.providers_for(session, actor, service.clinic_id, service.id)
    lock_providers(session, actor, {a.provider_id for a in visits} | {p.id for p in chosen})
    if not visits:
        raise InvalidInput("This course has no booked visits left to move from that day.")
    usual = Counter(a.provider_id for a in visits).most_common(1)[0][0]
    before = {"rule": series.rule, "visits": [a.start_at.isoformat() for a in visits]}
    _cancel_visits(session, actor, visits, "Course rescheduled")
    renumber(session, purchase.id)
    new_plan, calendar = lay_plan(
        session, actor, purchase, service, shape, len(visits), provider_id, prefer=usual
    )
    names = {p.id: p.name_en for p in everyone}
    moved = [(o.provider_id, o.start.astimezone(UTC)) for o in new_plan.occurrences]
    write_visits(session, actor, series, purchase, service, calendar, moved, names)
    series.rule = new_plan.rule
    session.flush()
    audit.log(
        session,
        actor,
        "reschedule_series",
        "series",
        series.id,
        before,
        {"rule": series.rule, "visits": [s.isoformat() for _, s in moved]},
    )
    return view(session, actor, series.id)
