"""The board's reads (deskbook.board lays them out): the day's visits, groups and time held,
each as plain columns, and how many visits each provider has from when to when."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor
from deskbook.db.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    GroupSession,
    Patient,
    ProviderBlock,
    ProviderTimeOff,
    PurchaseQuota,
    Service,
)
from deskbook.report_sql import scanned
from deskbook.results_day import BoardGroup, BoardVisit

Span = tuple[datetime, datetime]

# A family name written apart from its particle ("Al Harbi", "bin Saad") keeps it.
_PARTICLES = frozenset({"al", "el", "bin", "bint", "ibn", "abu", "abd", "ben", "ال"})


def short_name(name_en: str) -> str:
    """First name and family name: what fits a board cell and still tells two patients apart
    ("Rashid Saad Al Harbi" -> "Rashid Al Harbi")."""
    words = name_en.split()
    if len(words) <= 2:
        return " ".join(words)
    last = words[-1:]
    if len(words) > 3 and words[-2].casefold() in _PARTICLES:
        last = words[-2:]
    return " ".join(words[:1] + last)


def visits(
    session: Session,
    actor: Actor,
    clinic_id: uuid.UUID,
    span: Span,
    provider_ids: list[uuid.UUID] | None,
) -> list[tuple[uuid.UUID, BoardVisit]]:
    """The day's individual visits at the clinic, as plain columns: building ORM rows for a
    full clinic day cost more than the query itself."""
    total = (
        select(func.sum(col(PurchaseQuota.quota)))
        .where(col(PurchaseQuota.purchase_id) == col(Appointment.purchase_id))
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            col(Appointment.id),
            col(Appointment.provider_id),
            col(Appointment.patient_id),
            col(Patient.name_en),
            col(Patient.name_ar),
            col(Patient.mrn),
            col(Appointment.service_id),
            col(Service.name_en),
            col(Appointment.status),
            col(Appointment.kind),
            col(Appointment.session_number),
            total,
            col(Appointment.start_at),
            col(Appointment.end_at),
        )
        .join(Patient, col(Patient.id) == col(Appointment.patient_id))
        .join(Service, col(Service.id) == col(Appointment.service_id))
        .where(
            *_clinic_visits(actor, clinic_id, span),
            *([] if provider_ids is None else [col(Appointment.provider_id).in_(provider_ids)]),
        )
        .order_by(col(Appointment.start_at), col(Appointment.id))
    ).all()
    return [
        (
            r[1],
            BoardVisit(
                id=r[0],
                patient_id=r[2],
                patient_short_name=short_name(r[3]),
                patient_name_en=r[3],
                patient_name_ar=r[4],
                patient_mrn=r[5],
                service_id=r[6],
                service_name_en=r[7],
                status=str(r[8]),
                kind=str(r[9]),
                session_number=r[10],
                session_total=int(r[11]) if r[11] is not None else None,
                start=r[12].astimezone(actor.tz),
                end=r[13].astimezone(actor.tz),
            ),
        )
        for r in rows
    ]


def groups(
    session: Session, actor: Actor, clinic_id: uuid.UUID, span: Span
) -> list[tuple[uuid.UUID, BoardGroup]]:
    taken = (
        select(func.count(col(Appointment.id)))
        .where(
            col(Appointment.group_session_id) == col(GroupSession.id),
            col(Appointment.status) != AppointmentStatus.CANCELLED,
        )
        .scalar_subquery()
    )
    # Plain columns, as for the visits: ORM rows of a busy day's groups cost more than the read.
    rows = session.execute(
        select(
            col(GroupSession.provider_id),
            col(GroupSession.id),
            col(GroupSession.service_id),
            col(Service.name_en),
            taken,
            col(GroupSession.capacity),
            col(GroupSession.start_at),
            col(GroupSession.end_at),
        )
        .join(Service, col(Service.id) == col(GroupSession.service_id))
        .where(
            col(GroupSession.tenant_id) == actor.tenant_id,
            col(GroupSession.clinic_id) == clinic_id,
            col(GroupSession.start_at) >= span[0],
            col(GroupSession.start_at) < span[1],
            col(GroupSession.cancelled).is_(False),
        )
        .order_by(col(GroupSession.start_at))
    ).all()
    return [
        (
            r[0],
            BoardGroup(
                id=r[1],
                service_id=r[2],
                service_name_en=r[3],
                taken=int(r[4] or 0),
                capacity=r[5],
                start=aware(r[6]).astimezone(actor.tz),
                end=aware(r[7]).astimezone(actor.tz),
            ),
        )
        for r in rows
    ]


def held(
    session: Session,
    provider_ids: list[uuid.UUID],
    span: Span,
    shown: set[uuid.UUID],
) -> dict[uuid.UUID, list[Span]]:
    """Time off, and time held by visits or groups not on this board (another clinic)."""
    held: dict[uuid.UUID, list[Span]] = {}
    if not provider_ids:
        return held
    blocks = select(
        col(ProviderBlock.provider_id),
        col(ProviderBlock.start_at),
        col(ProviderBlock.end_at),
        col(ProviderBlock.appointment_id),
        col(ProviderBlock.group_session_id),
    ).where(
        col(ProviderBlock.provider_id).in_(provider_ids),
        col(ProviderBlock.end_at) > span[0],
        col(ProviderBlock.start_at) < span[1],
    )
    for pid, start, end, appointment_id, group_id in session.execute(blocks):
        if (appointment_id or group_id) not in shown:
            held.setdefault(pid, []).append((start, end))
    off = select(
        col(ProviderTimeOff.provider_id), col(ProviderTimeOff.start_at), col(ProviderTimeOff.end_at)
    ).where(
        col(ProviderTimeOff.provider_id).in_(provider_ids),
        col(ProviderTimeOff.start_at) < span[1],
        col(ProviderTimeOff.end_at) > span[0],
    )
    for pid, start, end in session.execute(off):
        held.setdefault(pid, []).append((start, end))
    return held


def visit_spans(
    session: Session, actor: Actor, clinic_id: uuid.UUID, span: Span
) -> dict[uuid.UUID, tuple[int, datetime, datetime]]:
    """Per provider with visits at the clinic that day: how many, first start, last end. One
    grouped read of the day's range, so the rows and the provider list are the whole clinic's
    whatever window of columns is built."""
    rows = session.execute(
        select(
            col(Appointment.provider_id),
            func.count(),
            func.min(col(Appointment.start_at)),
            func.max(col(Appointment.end_at)),
        )
        .where(
            *_clinic_visits(actor, clinic_id, span),
        )
        # Not grouped in an index's order: SQLite would then walk the tenant's every visit in
        # ix_appointment_provider_clinic_visits, in provider order, rather than the clinic's
        # day in ix_appointment_clinic_start, which holds all this read needs (0011).
        .group_by(scanned(session, col(Appointment.provider_id)))
    ).all()
    return {pid: (int(n), aware(first), aware(last)) for pid, n, first, last in rows}


def _clinic_visits(actor: Actor, clinic_id: uuid.UUID, span: Span) -> list[ColumnElement[bool]]:
    """The clinic's live individual visits starting in the span: what the board shows in its
    cells and counts in its title (group sessions are read apart, one block each)."""
    return [
        col(Appointment.tenant_id) == actor.tenant_id,
        col(Appointment.clinic_id) == clinic_id,
        col(Appointment.start_at) >= span[0],
        col(Appointment.start_at) < span[1],
        col(Appointment.status) != AppointmentStatus.CANCELLED,
        col(Appointment.kind) != AppointmentKind.GROUP,
    ]


def aware(moment: datetime) -> datetime:
    # SQLite hands an aggregate's datetime back naive (it is stored in UTC).
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
