"""A visit's status on its day: check in, complete, no-show, and taking the last of those back
(confirming after a reminder call is deskbook.calls).

None of them frees the slot or the package session (a no-show spent both), and none changes
which visits are live, so session numbers never move here: renumbering follows start times
among live visits only.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import appointments, audit, packages, schedule
from deskbook.access import Actor, lock_owned
from deskbook.db.models import Appointment, AppointmentStatus, AuditEvent, PackagePurchase
from deskbook.errors import FutureVisit, InvalidInput, NothingToUndo
from deskbook.results import AppointmentView
from deskbook.statuses import NOT_STARTED_STATUSES, OPEN_STATUSES

S = AppointmentStatus
OPEN = OPEN_STATUSES
NOT_STARTED = NOT_STARTED_STATUSES

# action -> (statuses it applies to, the status it sets, the words for a refusal)
TRANSITIONS: dict[str, tuple[tuple[S, ...], S, str]] = {
    "check_in": (NOT_STARTED, S.ARRIVED, "checked in"),
    "complete": (OPEN, S.COMPLETED, "completed"),
    "no_show": (NOT_STARTED, S.NO_SHOW, "marked as a no-show"),
}
# All happen on the visit's day, so a key pressed on a row days ahead is refused.
UNDOABLE = frozenset(TRANSITIONS)
UNDO = "undo_status"


def _snapshot(a: Appointment) -> dict[str, object]:
    return {
        "status": a.status,
        "start": a.start_at,
        "provider_id": a.provider_id,
        "session_number": a.session_number,
    }


def refuse(appointment: Appointment, allowed: tuple[S, ...], doing: str) -> None:
    if appointment.status not in allowed:
        state = appointment.status.replace("_", "-").lower()
        raise InvalidInput(f"This appointment is {state}; it cannot be {doing}.")


def set_status(
    session: Session, actor: Actor, appointment_id: uuid.UUID, action: str
) -> AppointmentView:
    """check_in, complete or no_show."""
    allowed, target, doing = TRANSITIONS[action]
    appointment = lock_owned(session, Appointment, appointment_id, actor, "appointment")
    refuse(appointment, allowed, doing)
    day = actor.local_day(appointment.start_at)
    if day > actor.today():
        raise FutureVisit(
            f"This visit is on {day:%a %d %b %Y}; it can be {doing} on that day, not before."
        )
    before = _snapshot(appointment)
    appointment.status = target
    appointment.updated_at = datetime.now(UTC)
    session.flush()
    if target in packages.SPENT:
        _settle_purchase(session, actor, appointment)
    audit.log(session, actor, action, "appointment", appointment.id, before, _snapshot(appointment))
    return appointments.view(session, actor, appointment.id)


def _settle_purchase(session: Session, actor: Actor, appointment: Appointment) -> None:
    """A spent session may complete its purchase, and one taken back reopens it: the
    purchase's status is kept true (packages.settle_status), under its lock."""
    if appointment.purchase_id is None:
        return
    purchase = lock_owned(
        session, PackagePurchase, appointment.purchase_id, actor, "package purchase"
    )
    packages.settle_status(session, actor, purchase)


def undo(session: Session, actor: Actor, appointment_id: uuid.UUID) -> AppointmentView:
    """Take back the last check-in, completion or no-show of a visit, made today (clinic
    time), restoring the status before it. Undone one after another, they go back in turn."""
    appointment = lock_owned(session, Appointment, appointment_id, actor, "appointment")
    today_start, _ = schedule.day_span(actor, actor.today())
    # Today's events only: the (tenant, at) index bounds the read to one day of the log.
    events = session.scalars(
        select(AuditEvent)
        .where(
            col(AuditEvent.tenant_id) == actor.tenant_id,
            col(AuditEvent.at) >= today_start,
            col(AuditEvent.entity_id) == appointment.id,
            col(AuditEvent.action).in_([*UNDOABLE, UNDO]),
        )
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    ).all()
    pending_undos = 0
    last: AuditEvent | None = None
    for event in events:
        if event.action == UNDO:
            pending_undos += 1
        elif pending_undos:
            pending_undos -= 1
        else:
            last = event
            break
    if last is None:
        state = appointment.status.replace("_", "-").lower()
        if appointment.status in (S.ARRIVED, S.COMPLETED, S.NO_SHOW):
            raise NothingToUndo(
                f"This visit was {state} before today; only today's changes can be taken back."
            )
        raise NothingToUndo(f"This visit is {state}; no status change of today to take back.")
    before, after = json.loads(last.before or "{}"), json.loads(last.after or "{}")
    if after.get("status") != appointment.status or before.get("status") not in set(S):
        raise NothingToUndo("This visit has changed since; its last status change stays.")
    previous = _snapshot(appointment)
    appointment.status = S(before["status"])
    appointment.updated_at = datetime.now(UTC)
    session.flush()
    _settle_purchase(session, actor, appointment)
    audit.log(
        session,
        actor,
        UNDO,
        "appointment",
        appointment.id,
        previous,
        {**_snapshot(appointment), "undid": last.action},
    )
    return appointments.view(session, actor, appointment.id)
