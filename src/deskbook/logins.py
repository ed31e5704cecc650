"""Login bookkeeping: how guessing is slowed, and why every failure looks the same.

A login admits at most MAX_FAILED_LOGINS password checks that are not proved right in each
LOCKOUT window (15 minutes from the first attempt of the window): that is the lock. Each
attempt is admitted and counted inside a locked write *before* its password is hashed, so
guesses released together take turns at the count and those past the limit are refused
without their password ever being checked; a right password gives its own turn back. The
window runs out by itself, and an administrator can clear it at once (`deskbook staff
unlock`, `DeskSession.unlock_login`).

In the staff row, failed_logins counts the window's attempts not proved right (failed, or
still being checked) and locked_until is when the window ends; the login is locked while the
count is at the limit before then.

An unknown username, an inactive or locked login and a wrong password all answer the same
sentence after the same work (two short write transactions and one Argon2 verification, against
a dummy hash when there is nothing to check), so neither the words nor the time tell which
usernames exist or which are locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit
from deskbook.access import Actor, lock_owned
from deskbook.db.models import Staff, Tenant
from deskbook.display import BidiMode, parse_mode
from deskbook.errors import InvalidInput
from deskbook.results import StaffView

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class Attempt:
    """What the count decided about one login attempt, before its password is checked."""

    staff: StaffView | None  # None: no such active login
    password_hash: str | None  # None: the password is not to be checked (unknown or locked)
    locked_now: bool = False  # this attempt took the window's last turn


def admit(session: Session, username: str | None, now: datetime) -> Attempt:
    """Count one attempt on username, under its row lock. NO KEY UPDATE: the audit rows that
    other desks write hold KEY SHARE on the staff row, and must not wait behind a login."""
    if username is None:
        return Attempt(None, None)
    row = session.execute(
        select(Staff, Tenant)
        .join(Tenant, col(Tenant.id) == col(Staff.tenant_id))
        .where(col(Staff.username) == username)
        .with_for_update(of=Staff, key_share=True)
    ).first()
    if row is None or not row[0].active:
        return Attempt(None, None)
    staff, tenant = row
    view = staff_view(staff, tenant)
    if staff.locked_until is None or staff.locked_until <= now:
        staff.failed_logins, staff.locked_until = 0, now + LOCKOUT  # a new window
    if staff.failed_logins >= MAX_FAILED_LOGINS:
        return Attempt(view, None)
    # Counted as failed until it proves right: a guess in flight uses up its turn.
    staff.failed_logins += 1
    return Attempt(view, staff.password_hash, staff.failed_logins == MAX_FAILED_LOGINS)


def settle(session: Session, attempt: Attempt, ok: bool, now: datetime) -> None:
    """Record how the attempt ended; a right password gives its turn back."""
    view = attempt.staff
    if view is None:
        return
    if attempt.password_hash is None:
        audit.record(session, view.tenant_id, None, "login_refused", "staff", view.id)
        return
    if not ok:
        action = "login_locked" if attempt.locked_now else "login_failed"
        audit.record(session, view.tenant_id, None, action, "staff", view.id)
        return
    staff = session.get(Staff, view.id, with_for_update={"key_share": True})
    if staff is None:
        return
    staff.failed_logins = max(0, staff.failed_logins - 1)
    audit.record(session, view.tenant_id, view.id, "login", "staff", view.id)


def staff_view(staff: Staff, tenant: Tenant) -> StaffView:
    return StaffView(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        timezone=tenant.timezone,
        currency=tenant.currency,
        provider_id=staff.provider_id,
        home_clinic_id=staff.home_clinic_id,
        display_mode=staff.display_mode,
    )


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
