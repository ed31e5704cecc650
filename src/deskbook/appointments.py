"""Appointments as the desk sees them: one query with the names a day sheet needs."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor
from deskbook.db.models import Appointment, Clinic, Patient, Provider, PurchaseQuota, Service
from deskbook.results import AppointmentView


def views(
    session: Session, actor: Actor, *conditions: ColumnElement[bool]
) -> list[AppointmentView]:
    # Correlated, so only the shown purchases are summed, not every quota of the tenant.
    total = (
        select(func.sum(col(PurchaseQuota.quota)))
        .where(col(PurchaseQuota.purchase_id) == Appointment.purchase_id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Appointment, Patient, Clinic, Service, Provider, total)
        .join(Patient, col(Patient.id) == Appointment.patient_id)
        .join(Clinic, col(Clinic.id) == Appointment.clinic_id)
        .join(Service, col(Service.id) == Appointment.service_id)
        .join(Provider, col(Provider.id) == Appointment.provider_id)
        .where(col(Appointment.tenant_id) == actor.tenant_id, *conditions)
        .order_by(col(Appointment.start_at), col(Provider.name_en), col(Appointment.id))
    ).all()
    return [_view(actor, a, p, c, s, pr, total) for a, p, c, s, pr, total in rows]


def view(session: Session, actor: Actor, appointment_id: uuid.UUID) -> AppointmentView:
    return views(session, actor, col(Appointment.id) == appointment_id)[0]


def fresh_view(
    session: Session,
    actor: Actor,
    a: Appointment,
    patient: Patient,
    service: Service,
    provider: Provider,
) -> AppointmentView:
    """The view of an appointment just written, from the rows already at hand."""
    clinic = session.get(Clinic, a.clinic_id)
    assert clinic is not None
    total = None
    if a.purchase_id is not None:
        total = session.scalar(
            select(func.sum(col(PurchaseQuota.quota))).where(
                col(PurchaseQuota.purchase_id) == a.purchase_id
            )
        )
    return _view(actor, a, patient, clinic, service, provider, total)


def _view(
    actor: Actor,
    a: Appointment,
    patient: Patient,
    clinic: Clinic,
    service: Service,
    provider: Provider,
    total: int | None,
) -> AppointmentView:
    """One appointment as the screens see it; total is its purchase's sessions, if any."""
    return AppointmentView(
        id=a.id,
        patient_id=patient.id,
        patient_name_en=patient.name_en,
        patient_name_ar=patient.name_ar,
        patient_mrn=patient.mrn,
        clinic_id=clinic.id,
        clinic_name_en=clinic.name_en,
        service_id=service.id,
        service_name_en=service.name_en,
        provider_id=provider.id,
        provider_name_en=provider.name_en,
        start=a.start_at.astimezone(actor.tz),
        end=a.end_at.astimezone(actor.tz),
        status=str(a.status),
        kind=str(a.kind),
        purchase_id=a.purchase_id,
        session_number=a.session_number,
        session_total=int(total) if total is not None else None,
        group_session_id=a.group_session_id,
        notes=a.notes,
        series_id=a.series_id,
    )
