"""Booking, cancelling, rescheduling and the visit's status, under the locks that decide.

Lock order, the same in every write so two desks never wait on each other in a circle:
patient, (the appointment being changed), purchase, group session, provider(s) by id. Only
writes that hold the patient's lock touch that patient's appointments in more than one row.
SQLite has one writer at a time (BEGIN IMMEDIATE), so there the locks cost nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import appointments, audit, catalog, schedule
from deskbook.access import Actor, clean_text, get_owned, lock_owned
from deskbook.db.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    GroupSession,
    PackagePurchase,
    Patient,
    Provider,
    ProviderBlock,
    PurchaseQuota,
    PurchaseStatus,
    Service,
)
from deskbook.errors import (
    GroupFull,
    InvalidInput,
    NotPatientsPackage,
    PackageExhausted,
    PackageExpired,
    PatientBusy,
    SlotTaken,
)
from deskbook.results import AppointmentView
from deskbook.visit_status import NOT_STARTED, OPEN, refuse

S = AppointmentStatus


def _snapshot(a: Appointment) -> dict[str, object]:
    return {
        "status": a.status,
        "start": a.start_at,
        "provider_id": a.provider_id,
        "session_number": a.session_number,
    }


def patient_clash(
    session: Session,
    tenant_id: uuid.UUID,
    patient_id: uuid.UUID,
    start: datetime,
    end: datetime,
    skip: uuid.UUID | None = None,
) -> bool:
    stmt = select(col(Appointment.id)).where(
        col(Appointment.tenant_id) == tenant_id,
        col(Appointment.patient_id) == patient_id,
        col(Appointment.status) != S.CANCELLED,
        col(Appointment.start_at) < end,
        col(Appointment.end_at) > start,
    )
    if skip is not None:
        stmt = stmt.where(col(Appointment.id) != skip)
    return session.scalar(stmt.limit(1)) is not None


def _live_in_order(session: Session, purchase_id: uuid.UUID) -> list[Appointment]:
    """The purchase's live visits in session order: by start, then by when they were booked.
    The one rule for session numbers: renumber() applies it, number_at() previews it."""
    return list(
        session.scalars(
            select(Appointment)
            .where(
                col(Appointment.purchase_id) == purchase_id, col(Appointment.status) != S.CANCELLED
            )
            .order_by(col(Appointment.start_at), col(Appointment.created_at), col(Appointment.id))
        ).all()
    )


def number_at(session: Session, purchase_id: uuid.UUID, start: datetime) -> int:
    """The session number a visit booked now at `start` would get: it sorts after every live
    visit starting at or before it (those were booked earlier), before the later ones."""
    return 1 + sum(1 for a in _live_in_order(session, purchase_id) if a.start_at <= start)


def renumber(session: Session, purchase_id: uuid.UUID) -> None:
    """Session numbers 1..k in start order. Two passes: the unique index on (purchase,
    session_number) is checked row by row on PostgreSQL, so every row that moves first goes
    to a number above all current ones, then to its place."""
    session.flush()
    rows = _live_in_order(session, purchase_id)
    wanted = {a.id: n for n, a in enumerate(rows, start=1)}
    moving = [a for a in rows if a.session_number != wanted[a.id]]
    if not moving:
        return
    top = max([len(rows)] + [a.session_number or 0 for a in rows])
    for n, a in enumerate(moving, start=1):
        a.session_number = top + n
    session.flush()
    for a in moving:
        a.session_number = wanted[a.id]
    session.flush()


def _check_purchase(
    session: Session,
    actor: Actor,
    purchase: PackagePurchase,
    patient: Patient,
    service: Service,
    start: datetime,
    counting: bool,
) -> None:
    if purchase.patient_id != patient.id:
        raise NotPatientsPackage()
    if purchase.status == PurchaseStatus.CANCELLED:
        raise PackageExhausted("This package was cancelled; it has no sessions to use.")
    if purchase.status == PurchaseStatus.VOIDED:
        raise PackageExhausted("This package was voided; it has no sessions to use.")
    if purchase.status == PurchaseStatus.TRANSFERRED and counting:
        raise PackageExhausted(
            "This package's sessions were transferred to another patient; none are left here."
        )
    expiry = purchase.expiry_date
    if purchase.status == PurchaseStatus.EXPIRED or expiry < actor.today():
        raise PackageExpired(f"This package expired on {expiry.isoformat()}.")
    if actor.local_day(start) > expiry:
        raise PackageExpired(
            f"This package expires on {expiry.isoformat()}; pick a day up to then."
        )
    if not counting:
        return
    quota = session.scalar(
        select(col(PurchaseQuota.quota) - col(PurchaseQuota.moved_out)).where(
            col(PurchaseQuota.purchase_id) == purchase.id,
            col(PurchaseQuota.service_id) == service.id,
        )
    )
    if quota is None:
        raise InvalidInput(f"This package does not include {service.name_en}.")
    used = session.scalar(
        select(func.count(col(Appointment.id))).where(
            col(Appointment.purchase_id) == purchase.id,
            col(Appointment.service_id) == service.id,
            col(Appointment.status) != S.CANCELLED,
        )
    )
    if (used or 0) >= quota:
        raise PackageExhausted(f"This package has no {service.name_en} sessions left.")


def book(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    service_id: uuid.UUID,
    provider_id: uuid.UUID,
    start: datetime,
    purchase_id: uuid.UUID | None,
    group_id: uuid.UUID | None,
    notes: str | None,
) -> AppointmentView:
    if purchase_id is not None and group_id is not None:
        raise InvalidInput("A group seat is not paid from a package; choose one or the other.")
    notes = clean_text(notes, "notes", 2000, multiline=True)
    service = get_owned(session, Service, service_id, actor, "service")
    end = start + timedelta(minutes=service.duration_minutes)
    if group_id is None:
        # What no other desk changes is checked before the locks, so they are held briefly.
        provider = get_owned(session, Provider, provider_id, actor, "provider")
        catalog.check_delivers(session, provider, service)
        schedule.check_working(
            session, actor, provider, service.clinic_id, start, end, on_grid=True
        )
    patient = lock_owned(session, Patient, patient_id, actor, "patient")
    purchase = (
        lock_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
        if purchase_id is not None
        else None
    )
    group = (
        lock_owned(session, GroupSession, group_id, actor, "group session")
        if group_id is not None
        else None
    )
    provider = lock_owned(session, Provider, provider_id, actor, "provider")
    if group is not None:
        _check_group(session, group, service, provider, start)
        start, end = group.start_at, group.end_at
    else:
        if purchase is not None:
            _check_purchase(session, actor, purchase, patient, service, start, counting=True)
        if schedule.provider_clash(session, provider.id, start, end):
            raise SlotTaken()
    if patient_clash(session, actor.tenant_id, patient.id, start, end):
        raise PatientBusy(f"{patient.name_en} already has an appointment at that time.")
    kind = AppointmentKind.SINGLE
    if purchase is not None:
        kind = AppointmentKind.PACKAGE
    elif group is not None:
        kind = AppointmentKind.GROUP
    appointment = Appointment(
        tenant_id=actor.tenant_id,
        patient_id=patient.id,
        clinic_id=service.clinic_id,
        service_id=service.id,
        provider_id=provider.id,
        start_at=start,
        end_at=end,
        kind=kind,
        status=S.BOOKED,
        purchase_id=purchase.id if purchase else None,
        # A number no live row holds; renumber() puts it in its place by start time.
        session_number=_free_number(session, purchase.id) if purchase else None,
        group_session_id=group.id if group else None,
        booked_by=actor.staff_id,
        notes=notes,
    )
    session.add(appointment)
    if group is None:
        session.add(
            ProviderBlock(
                tenant_id=actor.tenant_id,
                provider_id=provider.id,
                start_at=start,
                end_at=end,
                appointment_id=appointment.id,
            )
        )
    session.flush()
    if purchase is not None:
        renumber(session, purchase.id)
    audit.log(session, actor, "book", "appointment", appointment.id, after=_snapshot(appointment))
    return appointments.fresh_view(session, actor, appointment, patient, service, provider)


def _free_number(session: Session, purchase_id: uuid.UUID) -> int:
    top = session.scalar(
        select(func.max(col(Appointment.session_number))).where(
            col(Appointment.purchase_id) == purchase_id, col(Appointment.status) != S.CANCELLED
        )
    )
    return (top or 0) + 1


def _check_group(
    session: Session,
    group: GroupSession,
    service: Service,
    provider: Provider,
    start: datetime,
) -> None:
    if group.cancelled:
        raise InvalidInput("That group session was cancelled.")
    if group.service_id != service.id or group.provider_id != provider.id:
        raise InvalidInput("That group session is for another service or provider.")
    if start != group.start_at:
        raise InvalidInput("That time is not the group session's time.")
    if group.start_at <= datetime.now(UTC):
        raise InvalidInput("That group session has already started.")
    taken = session.scalar(
        select(func.count(col(Appointment.id))).where(
            col(Appointment.group_session_id) == group.id, col(Appointment.status) != S.CANCELLED
        )
    )
    if (taken or 0) >= group.capacity:
        raise GroupFull(f"That group session is full ({group.capacity} of {group.capacity}).")


def _lock_for_change(
    session: Session, actor: Actor, appointment_id: uuid.UUID, provider_ids: set[uuid.UUID]
) -> Appointment:
    """Every lock a change of this appointment needs, in the house order; the appointment as it
    is now, after the locks."""
    seen = get_owned(session, Appointment, appointment_id, actor, "appointment")
    lock_owned(session, Patient, seen.patient_id, actor, "patient")
    # Every move of a patient's appointment holds the patient's lock, so from here on the row
    # read again is the one the other locks must follow.
    seen = lock_owned(session, Appointment, appointment_id, actor, "appointment")
    if seen.purchase_id is not None:
        lock_owned(session, PackagePurchase, seen.purchase_id, actor, "package purchase")
    if seen.group_session_id is not None:
        lock_owned(session, GroupSession, seen.group_session_id, actor, "group session")
    for pid in sorted({seen.provider_id, *provider_ids}, key=str):
        lock_owned(session, Provider, pid, actor, "provider")
    return seen


def cancel(
    session: Session, actor: Actor, appointment_id: uuid.UUID, reason: str | None
) -> AppointmentView:
    reason = clean_text(reason, "reason", 500, multiline=True)
    appointment = _lock_for_change(session, actor, appointment_id, set())
    refuse(appointment, OPEN, "cancelled")
    before = _snapshot(appointment)
    appointment.status = S.CANCELLED
    appointment.cancel_reason = reason
    appointment.updated_at = datetime.now(UTC)
    session.flush()
    block = session.scalar(
        select(ProviderBlock).where(col(ProviderBlock.appointment_id) == appointment.id)
    )
    if block is not None:
        session.delete(block)
    if appointment.purchase_id is not None:
        renumber(session, appointment.purchase_id)
    session.flush()
    after = {**_snapshot(appointment), "reason": reason}
    audit.log(session, actor, "cancel", "appointment", appointment.id, before, after)
    return appointments.view(session, actor, appointment.id)


def check_movable(appointment: Appointment) -> None:
    """What reschedule refuses whatever the new time: a slot grid asks first, so it never
    offers times for a visit that cannot move."""
    if appointment.kind == AppointmentKind.GROUP:
        raise InvalidInput("A group seat moves with its group; cancel it and join another.")
    refuse(appointment, NOT_STARTED, "rescheduled")


def reschedule(
    session: Session,
    actor: Actor,
    appointment_id: uuid.UUID,
    new_start: datetime,
    provider_id: uuid.UUID | None,
) -> AppointmentView:
    extra = {provider_id} if provider_id is not None else set()
    appointment = _lock_for_change(session, actor, appointment_id, extra)
    check_movable(appointment)
    provider = get_owned(
        session, Provider, provider_id or appointment.provider_id, actor, "provider"
    )
    service = get_owned(session, Service, appointment.service_id, actor, "service")
    patient = get_owned(session, Patient, appointment.patient_id, actor, "patient")
    new_end = new_start + timedelta(minutes=service.duration_minutes)
    catalog.check_delivers(session, provider, service)
    schedule.check_working(
        session, actor, provider, service.clinic_id, new_start, new_end, on_grid=True
    )
    if appointment.purchase_id is not None:
        purchase = get_owned(
            session, PackagePurchase, appointment.purchase_id, actor, "package purchase"
        )
        _check_purchase(session, actor, purchase, patient, service, new_start, counting=False)
    if schedule.provider_clash(session, provider.id, new_start, new_end, appointment.id):
        raise SlotTaken()
    if patient_clash(session, actor.tenant_id, patient.id, new_start, new_end, appointment.id):
        raise PatientBusy(f"{patient.name_en} already has an appointment at that time.")
    before = _snapshot(appointment)
    appointment.start_at, appointment.end_at = new_start, new_end
    appointment.provider_id = provider.id
    appointment.updated_at = datetime.now(UTC)
    block = session.scalar(
        select(ProviderBlock).where(col(ProviderBlock.appointment_id) == appointment.id)
    )
    if block is not None:
        block.provider_id, block.start_at, block.end_at = provider.id, new_start, new_end
    session.flush()
    if appointment.purchase_id is not None:
        renumber(session, appointment.purchase_id)
    audit.log(
        session, actor, "reschedule", "appointment", appointment.id, before, _snapshot(appointment)
    )
    return appointments.view(session, actor, appointment.id)
