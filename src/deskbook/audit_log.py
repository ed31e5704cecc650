"""Reading the audit trail, for an administrator: filtered, paged, with names instead of ids.

The trail is written by deskbook.audit; this module only reads it. Days in a filter are the
clinic's local days (a day that starts at midnight in Riyadh starts at 21:00 UTC before).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor, count
from deskbook.db.models import AuditEvent, Patient, Staff
from deskbook.errors import InvalidInput
from deskbook.results import AuditView

# The largest page a screen may ask for; the screen pages on with offset.
MAX_PAGE = 1000
# Far enough to page through years of a clinic's trail, bounded so the database is never asked
# to skip past an absurd offset.
MAX_OFFSET = 10_000_000


@dataclass(frozen=True)
class AuditQuery:
    """Which events: every field left None matches everything."""

    patient_id: uuid.UUID | None = None
    patient_mrn: str | None = None
    staff: str | None = None  # a username, any case
    action: str | None = None
    since: date | None = None  # the first local day, inclusive
    until: date | None = None  # the last local day, inclusive
    offset: int = 0
    limit: int = 100


def _day(value: object, what: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"The {what} must be a date.")
    return value


def _word(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 128:
        raise InvalidInput(f"The {what} must be a short text.")
    return value.strip() or None


def page(session: Session, actor: Actor, query: AuditQuery) -> list[AuditView]:
    """The events that match, newest first, `limit` of them after skipping `offset`."""
    limit = count(query.limit, "number of events", 1, MAX_PAGE, default=100)
    offset = count(query.offset, "number of events to skip", 0, MAX_OFFSET, default=0)
    since, until = _day(query.since, "first day"), _day(query.until, "last day")
    if since is not None and until is not None and since > until:
        raise InvalidInput("The first day must not be after the last day.")
    staff, action = _word(query.staff, "staff name"), _word(query.action, "action")
    mrn = _word(query.patient_mrn, "MRN")
    # The patient an event is about: its subject when the subject is a patient.
    subject = and_(col(AuditEvent.entity) == "patient", col(Patient.id) == AuditEvent.entity_id)
    stmt = (
        select(
            AuditEvent,
            col(Staff.username),
            col(Staff.display_name),
            col(Patient.name_en),
            col(Patient.mrn),
        )
        .outerjoin(Staff, col(Staff.id) == AuditEvent.staff_id)
        .outerjoin(Patient, and_(subject, col(Patient.tenant_id) == actor.tenant_id))
        .where(col(AuditEvent.tenant_id) == actor.tenant_id)
    )
    if query.patient_id is not None:
        stmt = stmt.where(col(AuditEvent.entity_id) == query.patient_id)
    if mrn is not None:
        by_mrn = select(col(Patient.id)).where(
            col(Patient.tenant_id) == actor.tenant_id, func.upper(col(Patient.mrn)) == mrn.upper()
        )
        stmt = stmt.where(col(AuditEvent.entity_id).in_(by_mrn.scalar_subquery()))
    if staff is not None:
        stmt = stmt.where(
            or_(
                func.lower(col(Staff.username)) == staff.lower(),
                func.lower(col(Staff.display_name)) == staff.lower(),
            )
        )
    if action is not None:
        stmt = stmt.where(col(AuditEvent.action) == action)
    if since is not None:
        stmt = stmt.where(col(AuditEvent.at) >= _start(since, actor))
    if until is not None:
        stmt = stmt.where(col(AuditEvent.at) < _start(until + timedelta(days=1), actor))
    rows = session.execute(
        stmt.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id)).offset(offset).limit(limit)
    ).all()
    return [
        AuditView(
            id=e.id,
            at=e.at,
            staff_username=username,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            before=e.before,
            after=e.after,
            staff_name=display_name,
            desk=e.desk,
            patient_name=patient_name,
            patient_mrn=patient_mrn,
        )
        for e, username, display_name, patient_name, patient_mrn in rows
    ]


def _start(day: date, actor: Actor) -> datetime:
    """Midnight of a local day, as the stored instant compares."""
    return datetime.combine(day, time(0), tzinfo=actor.tz)
