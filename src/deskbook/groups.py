"""Group sessions: one provider, one time, a number of seats. The session holds the provider's
time once (one provider_block row); each participant is a GROUP appointment."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit, catalog, schedule
from deskbook.access import Actor, get_owned, lock_owned
from deskbook.db.models import (
    Appointment,
    AppointmentStatus,
    GroupSession,
    Provider,
    ProviderBlock,
    Service,
)
from deskbook.errors import InvalidInput, SlotTaken
from deskbook.results import GroupSessionView

MAX_CAPACITY = 50


def _views(
    session: Session, actor: Actor, *conditions: ColumnElement[bool]
) -> list[GroupSessionView]:
    # Correlated, so only the listed sessions' seats are counted.
    taken = (
        select(func.count(col(Appointment.id)))
        .where(
            col(Appointment.group_session_id) == GroupSession.id,
            col(Appointment.status) != AppointmentStatus.CANCELLED,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(GroupSession, Service, Provider, taken)
        .join(Service, col(Service.id) == GroupSession.service_id)
        .join(Provider, col(Provider.id) == GroupSession.provider_id)
        .where(col(GroupSession.tenant_id) == actor.tenant_id, *conditions)
        .order_by(col(GroupSession.start_at), col(Service.name_en), col(GroupSession.id))
    ).all()
    return [
        GroupSessionView(
            id=g.id,
            clinic_id=g.clinic_id,
            service_id=s.id,
            service_name_en=s.name_en,
            provider_id=p.id,
            provider_name_en=p.name_en,
            start=g.start_at.astimezone(actor.tz),
            end=g.end_at.astimezone(actor.tz),
            capacity=g.capacity,
            taken=int(n or 0),
            seats_left=max(0, g.capacity - int(n or 0)),
        )
        for g, s, p, n in rows
    ]


def open_sessions(
    session: Session,
    actor: Actor,
    day: date,
    clinic_id: uuid.UUID | None,
    service_id: uuid.UUID | None,
    full_too: bool = False,
) -> list[GroupSessionView]:
    """The day's group sessions that have not started and still have a seat (full_too: the
    full ones as well, so the desk can say so and offer the waitlist)."""
    start, end = schedule.day_span(actor, day)
    conditions = [
        col(GroupSession.cancelled).is_(False),
        col(GroupSession.start_at) >= max(start, datetime.now(UTC)),
        col(GroupSession.start_at) < end,
    ]
    if clinic_id is not None:
        conditions.append(col(GroupSession.clinic_id) == clinic_id)
    if service_id is not None:
        conditions.append(col(GroupSession.service_id) == service_id)
    return [g for g in _views(session, actor, *conditions) if full_too or g.seats_left > 0]


def create(
    session: Session,
    actor: Actor,
    service_id: uuid.UUID,
    provider_id: uuid.UUID,
    start: datetime,
    capacity: int,
) -> GroupSessionView:
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise InvalidInput("The capacity must be a whole number.")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(f"The capacity must be between 1 and {MAX_CAPACITY}.")
    service = get_owned(session, Service, service_id, actor, "service")
    if not service.group_capable:
        raise InvalidInput(f"{service.name_en} is not held in groups.")
    provider = lock_owned(session, Provider, provider_id, actor, "provider")
    catalog.check_delivers(session, provider, service)
    end = start + timedelta(minutes=service.duration_minutes)
    schedule.check_working(session, actor, provider, service.clinic_id, start, end)
    if schedule.provider_clash(session, provider.id, start, end):
        raise SlotTaken(f"{provider.name_en} is already booked at that time.")
    group = GroupSession(
        tenant_id=actor.tenant_id,
        clinic_id=service.clinic_id,
        service_id=service.id,
        provider_id=provider.id,
        start_at=start,
        end_at=end,
        capacity=capacity,
    )
    session.add(group)
    session.flush()
    session.add(
        ProviderBlock(
            tenant_id=actor.tenant_id,
            provider_id=provider.id,
            start_at=start,
            end_at=end,
            group_session_id=group.id,
        )
    )
    session.flush()
    audit.log(
        session,
        actor,
        "schedule_group_session",
        "group_session",
        group.id,
        after={
            "service_id": service.id,
            "provider_id": provider.id,
            "start": start,
            "capacity": capacity,
        },
    )
    return _views(session, actor, col(GroupSession.id) == group.id)[0]
