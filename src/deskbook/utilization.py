"""The utilization report: per provider and clinic, booked minutes over scheduled minutes in a
period, summed by the database (deskbook.reports lists the reports)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor, get_owned
from deskbook.db.models import Appointment, Clinic, GroupSession, Provider, ProviderSchedule
from deskbook.report_sql import minutes, rate, scanned
from deskbook.results_course import UtilizationReportRow
from deskbook.schedule import day_span

# From this many days on, SQLite's utilization reads every visit of the tenant in provider order
# rather than seeking the period (migration 0010, docs/benchmarks.md).
LONG_PERIOD_DAYS = 62


def utilization_report(
    session: Session, actor: Actor, first: date, last: date, clinic_id: uuid.UUID | None
) -> list[UtilizationReportRow]:
    start, end = day_span(actor, first)[0], day_span(actor, last)[1]
    # How many of each weekday the period holds: seven numbers, so the schedule rows are
    # weighed in SQL rather than walked day by day.
    days = Counter((first + timedelta(days=n)).weekday() for n in range((last - first).days + 1))
    weight = case(*((col(ProviderSchedule.weekday) == wd, days[wd]) for wd in range(7)), else_=0)
    window = minutes(session, col(ProviderSchedule.start_time), col(ProviderSchedule.end_time))
    scheduled = (
        select(
            col(ProviderSchedule.provider_id).label("provider_id"),
            col(ProviderSchedule.clinic_id).label("clinic_id"),
            func.sum(window * weight).label("minutes"),
            literal(0).label("booked"),
        )
        .where(col(ProviderSchedule.tenant_id) == actor.tenant_id)
        .group_by(col(ProviderSchedule.provider_id), col(ProviderSchedule.clinic_id))
    )
    began = col(Appointment.start_at)
    if (last - first).days >= LONG_PERIOD_DAYS:
        # Over months SQLite's planner would still seek the period in ix_appointment_tenant_start,
        # read each visit's row at random and sort them all for the grouping (29.7 s for the
        # 1,000,000-patient demo). Not sought, the period leaves the index that holds all the
        # report reads in its grouping order (migration 0010), read in one pass.
        began = scanned(session, began)
    visits = (
        select(
            col(Appointment.provider_id),
            col(Appointment.clinic_id),
            literal(0),
            func.sum(minutes(session, col(Appointment.start_at), col(Appointment.end_at))),
        )
        .where(
            col(Appointment.tenant_id) == actor.tenant_id,
            began >= start,
            began < end,
            col(Appointment.status) != "CANCELLED",
            col(Appointment.kind) != "GROUP",
        )
        .group_by(col(Appointment.provider_id), col(Appointment.clinic_id))
    )
    groups = (
        select(
            col(GroupSession.provider_id),
            col(GroupSession.clinic_id),
            literal(0),
            func.sum(minutes(session, col(GroupSession.start_at), col(GroupSession.end_at))),
        )
        .where(
            col(GroupSession.tenant_id) == actor.tenant_id,
            col(GroupSession.start_at) >= start,
            col(GroupSession.start_at) < end,
            col(GroupSession.cancelled).is_(False),
        )
        .group_by(col(GroupSession.provider_id), col(GroupSession.clinic_id))
    )
    both = union_all(scheduled, visits, groups).subquery()
    stmt = (
        select(
            col(Provider.id),
            col(Provider.name_en),
            col(Clinic.id),
            col(Clinic.name_en),
            func.sum(both.c.minutes),
            func.sum(both.c.booked),
        )
        .join(Provider, col(Provider.id) == both.c.provider_id)
        .join(Clinic, col(Clinic.id) == both.c.clinic_id)
        .group_by(col(Provider.id), col(Provider.name_en), col(Clinic.id), col(Clinic.name_en))
        .order_by(col(Clinic.name_en), col(Provider.name_en))
    )
    if clinic_id is not None:
        get_owned(session, Clinic, clinic_id, actor, "clinic")
        stmt = stmt.where(col(Clinic.id) == clinic_id)
    out = []
    for pid, provider, cid, clinic, planned, booked in session.execute(stmt):
        planned_n, booked_n = round(planned or 0), round(booked or 0)
        out.append(
            UtilizationReportRow(
                provider_id=pid,
                provider=provider,
                clinic_id=cid,
                clinic=clinic,
                scheduled_minutes=planned_n,
                booked_minutes=booked_n,
                utilization=rate(booked_n, planned_n),
            )
        )
    return out
