"""Login bookkeeping: five wrong passwords in a row lock a login for fifteen minutes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from deskbook import audit
from deskbook.access import Actor, lock_owned
from deskbook.db.models import Staff
from deskbook.display import BidiMode, parse_mode
from deskbook.errors import InvalidInput

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def locked_sentence(until: datetime, tz: ZoneInfo) -> str:
    return (
        "Too many wrong passwords: this login is locked until "
        f"{until.astimezone(tz):%H:%M}. Ask an administrator if you need it sooner."
    )


def count_login(session: Session, staff_id: uuid.UUID, ok: bool, now: datetime) -> datetime | None:
    """Record one login attempt; returns when the login is locked until, if it is."""
    staff = session.get(Staff, staff_id, with_for_update=True, populate_existing=True)
    assert staff is not None
    if ok:
        staff.failed_logins, staff.locked_until = 0, None
        audit.record(session, staff.tenant_id, staff.id, "login", "staff", staff.id)
        return None
    if staff.locked_until is not None and staff.locked_until > now:
        return staff.locked_until
    staff.failed_logins += 1
    action = "login_failed"
    if staff.failed_logins >= MAX_FAILED_LOGINS:
        staff.failed_logins, staff.locked_until = 0, now + LOCKOUT
        action = "login_locked"
    audit.record(session, staff.tenant_id, None, action, "staff", staff.id)
    return staff.locked_until


def set_display_mode(session: Session, actor: Actor, mode: str) -> str:
    """Keep how this login wants Arabic painted; returns the mode as stored."""
    chosen = parse_mode(mode)
    if chosen is None:
        choices = ", ".join(m.value for m in BidiMode)
        raise InvalidInput(f"The display mode must be one of {choices}.")
    staff = lock_owned(session, Staff, actor.staff_id, actor, "staff login")
    before = staff.display_mode
    staff.display_mode = chosen.value
    audit.record(
        session,
        actor.tenant_id,
        actor.staff_id,
        "display_mode",
        "staff",
        staff.id,
        {"display_mode": before},
        {"display_mode": chosen.value},
    )
    return chosen.value
