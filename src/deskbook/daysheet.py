"""The day sheet: a day's visits in time order, filtered and paged.

A page is two short queries: the ids of the page (an index range of the day: clinic or
provider index when one is chosen, ix_appointment_tenant_start for the whole network) with the
filter's total beside each (a window count: the sort already reads every row of the range, so a
separate count would read them twice), and the rows of those ids with their names.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import appointments, schedule
from deskbook.access import BOOKERS, Actor, aware, count, printable
from deskbook.db.models import Appointment, AppointmentStatus, Patient, Provider, Role
from deskbook.errors import InvalidInput, PermissionDenied
from deskbook.normalize import search_text
from deskbook.results import AppointmentView
from deskbook.results_day import DaySheetPage

MAX_PAGE = 1000


def statuses(status: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """None (every live visit) or the statuses asked for, checked."""
    if status is None:
        return None
    asked = [status] if isinstance(status, str) else list(status)
    known = {s.value for s in AppointmentStatus}
    cleaned = tuple(str(s).strip().upper().replace("-", "_") for s in asked)
    unknown = [s for s in cleaned if s not in known]
    if unknown or not cleaned:
        raise InvalidInput(
            f"'{', '.join(unknown)}' is not a visit status; use one of "
            + ", ".join(sorted(known))
            + "."
        )
    return cleaned


def scope(actor: Actor, provider_id: uuid.UUID | None) -> uuid.UUID | None:
    """A provider sees only their own day; the provider filter that applies."""
    if actor.role == Role.PROVIDER:
        if actor.provider_id is None or provider_id not in (None, actor.provider_id):
            raise PermissionDenied("A provider sees only their own day sheet.")
        return actor.provider_id
    if actor.role not in BOOKERS:
        raise PermissionDenied()
    return provider_id


def conditions(
    actor: Actor,
    day: date,
    clinic_id: uuid.UUID | None,
    provider_id: uuid.UUID | None,
    status: tuple[str, ...] | None,
    start_from: datetime | None = None,
    start_until: datetime | None = None,
) -> list[Any]:
    start, end = schedule.day_span(actor, day)
    if start_from is not None:
        start = max(start, aware(start_from, "start of the range"))
    if start_until is not None:
        end = min(end, aware(start_until, "end of the range"))
    found: list[Any] = [
        col(Appointment.tenant_id) == actor.tenant_id,
        col(Appointment.start_at) >= start,
        col(Appointment.start_at) < end,
    ]
    if status is None:
        found.append(col(Appointment.status) != AppointmentStatus.CANCELLED)
    else:
        found.append(col(Appointment.status).in_(status))
    if clinic_id is not None:
        found.append(col(Appointment.clinic_id) == clinic_id)
    if provider_id is not None:
        found.append(col(Appointment.provider_id) == provider_id)
    return found


def _finding(find: str | None) -> list[Any]:
    """Type-to-find on the sheet: the MRN's start, or every word somewhere in the names."""
    text = printable(find, 200) if find is not None else None
    if not text or not text.strip():
        return []
    words = search_text(text).split()
    mrn = func.lower(col(Patient.mrn)).startswith(text.strip().lower(), autoescape=True)
    if not words:
        return [mrn]
    return [or_(mrn, and_(*[col(Patient.name_norm).contains(w, autoescape=True) for w in words]))]


def page(
    session: Session,
    actor: Actor,
    where: list[Any],
    offset: int,
    limit: int,
    find: str | None = None,
    with_total: bool = True,
) -> DaySheetPage:
    offset = count(offset, "offset", 0, 10**7, default=0)
    limit = count(limit, "page size", 1, MAX_PAGE, default=200)
    found = _finding(find)
    columns: list[Any] = [col(Appointment.id), col(Appointment.start_at)]
    if with_total:
        columns.append(func.count().over())
    ids_stmt = select(*columns).join(Provider, col(Provider.id) == col(Appointment.provider_id))
    total_stmt = select(func.count()).select_from(Appointment)
    if found:
        ids_stmt = ids_stmt.join(Patient, col(Patient.id) == col(Appointment.patient_id))
        total_stmt = total_stmt.join(Patient, col(Patient.id) == col(Appointment.patient_id))
    picked = session.execute(
        ids_stmt.where(*where, *found)
        .order_by(col(Appointment.start_at), col(Provider.name_en), col(Appointment.id))
        .offset(offset)
        .limit(limit)
    ).all()
    rows: list[AppointmentView] = []
    if picked:
        # The page's own time span too: without it a planner may walk the tenant's whole
        # (tenant_id, start_at) index in order rather than fetch 50 rows by key and sort them.
        first, last = picked[0][1], picked[-1][1]
        rows = appointments.views(
            session,
            actor,
            col(Appointment.id).in_([p[0] for p in picked]),
            col(Appointment.start_at) >= first,
            col(Appointment.start_at) <= last,
        )
    total = len(rows) + offset
    if with_total and picked:
        total = int(picked[0][2])
    elif with_total and offset:  # past the end: no row to carry the count
        total = int(session.scalar(total_stmt.where(*where, *found)) or 0)
    return DaySheetPage(rows=tuple(rows), total=total, offset=offset, limit=limit)
