"""A staff member's home clinic: the clinic their day sheet and board open on."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit
from deskbook.access import Actor, get_owned
from deskbook.db.models import Clinic, Staff
from deskbook.errors import InvalidInput, NotFound
from deskbook.results import StaffView


def find_clinic(session: Session, tenant_id: uuid.UUID, name_or_id: str) -> Clinic:
    """The tenant's clinic by id, by its English or Arabic name (any case), or by the one name
    that starts with what was typed."""
    wanted = name_or_id.strip()
    if not wanted:
        raise InvalidInput("Say which clinic.")
    try:
        row = session.get(Clinic, uuid.UUID(wanted))
    except ValueError:
        row = None
    if row is not None and row.tenant_id == tenant_id:
        return row
    clinics = list(session.scalars(select(Clinic).where(col(Clinic.tenant_id) == tenant_id)))
    folded = wanted.casefold()
    for test in (
        lambda c: folded in (c.name_en.casefold(), (c.name_ar or "").casefold()),
        lambda c: c.name_en.casefold().startswith(folded),
    ):
        found = [c for c in clinics if test(c)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(sorted(c.name_en for c in found))
            raise InvalidInput(f"'{wanted}' fits several clinics ({names}); type more of it.")
    names = ", ".join(sorted(c.name_en for c in clinics)) or "none yet"
    raise NotFound(f"There is no clinic called '{wanted}'; the clinics are: {names}.")


def find_staff(session: Session, actor: Actor, staff_id_or_username: uuid.UUID | str) -> Staff:
    if isinstance(staff_id_or_username, uuid.UUID):
        return get_owned(session, Staff, staff_id_or_username, actor, "staff member")
    key = staff_id_or_username.strip()
    try:
        return get_owned(session, Staff, uuid.UUID(key), actor, "staff member")
    except ValueError:
        pass  # not an id: a username
    row = session.scalar(
        select(Staff).where(
            col(Staff.tenant_id) == actor.tenant_id,
            or_(col(Staff.username) == key, func.lower(col(Staff.username)) == key.lower()),
        )
    )
    if row is None:
        raise NotFound(f"No staff member called '{key}'.")
    return row


def set_home_clinic(
    session: Session,
    actor: Actor,
    staff_id_or_username: uuid.UUID | str,
    clinic_id: uuid.UUID | None,
) -> uuid.UUID:
    """Set (or with None clear) the home clinic; returns the staff member's id."""
    staff = find_staff(session, actor, staff_id_or_username)
    if clinic_id is not None:
        get_owned(session, Clinic, clinic_id, actor, "clinic")
    before = {"home_clinic_id": staff.home_clinic_id}
    staff.home_clinic_id = clinic_id
    session.flush()
    audit.log(
        session, actor, "set_home_clinic", "staff", staff.id, before, {"home_clinic_id": clinic_id}
    )
    return staff.id


def with_home(view: StaffView, clinic_id: uuid.UUID | None) -> StaffView:
    return dataclasses.replace(view, home_clinic_id=clinic_id)
