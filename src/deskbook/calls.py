"""Reminder calls: the visits still to confirm by phone, and marking one CONFIRMED."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import appointments, audit, schedule
from deskbook.access import Actor, lock_owned
from deskbook.db.models import Appointment, AppointmentStatus, Patient
from deskbook.errors import InvalidInput
from deskbook.results import AppointmentView
from deskbook.results_day import CallView


def to_call(
    session: Session, actor: Actor, day: date, clinic_id: uuid.UUID | None
) -> list[CallView]:
    """The day's BOOKED visits (not yet CONFIRMED), by time, with the patient's phone."""
    start, end = schedule.day_span(actor, day)
    where = [
        col(Appointment.start_at) >= start,
        col(Appointment.start_at) < end,
        col(Appointment.status) == AppointmentStatus.BOOKED,
    ]
    if clinic_id is not None:
        where.append(col(Appointment.clinic_id) == clinic_id)
    visits = appointments.views(session, actor, *where)
    ids = {v.patient_id for v in visits}
    phones: dict[uuid.UUID, str] = {}
    if ids:
        rows = session.execute(
            select(col(Patient.id), col(Patient.phone)).where(col(Patient.id).in_(ids))
        )
        phones = {pid: phone for pid, phone in rows}
    return [CallView(appointment=v, phone=phones[v.patient_id]) for v in visits]


def confirm(session: Session, actor: Actor, appointment_id: uuid.UUID) -> AppointmentView:
    """BOOKED -> CONFIRMED after a reminder call; confirming a confirmed visit is a no-op."""
    appointment = lock_owned(session, Appointment, appointment_id, actor, "appointment")
    if appointment.status == AppointmentStatus.CONFIRMED:
        return appointments.view(session, actor, appointment.id)
    if appointment.status != AppointmentStatus.BOOKED:
        state = appointment.status.replace("_", "-").lower()
        raise InvalidInput(f"This appointment is {state}; it cannot be confirmed.")
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.updated_at = datetime.now(UTC)
    session.flush()
    audit.log(
        session,
        actor,
        "confirm",
        "appointment",
        appointment.id,
        {"status": AppointmentStatus.BOOKED},
        {"status": AppointmentStatus.CONFIRMED},
    )
    return appointments.view(session, actor, appointment.id)
