"""Package analytics for administrators, each one grouped SQL over the period: the database
adds up the visits, Python only names the few result rows.

- packages: per package sold in the period, sales, completion, sessions used and lapsed.
- utilization: per provider and clinic, booked minutes over scheduled minutes.
- revenue: per clinic, sales, money received, balance still due and refunds due. A package
  that spans clinics is shared between them by its sessions (quota) in each.
"""

from __future__ import annotations

import csv
import uuid
from collections import Counter
from dataclasses import fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlmodel import col

from deskbook.access import Actor, get_owned
from deskbook.db.models import (
    Appointment,
    Clinic,
    GroupSession,
    Package,
    PackagePurchase,
    PackageService,
    Payment,
    Provider,
    ProviderSchedule,
    PurchaseQuota,
    Service,
)
from deskbook.errors import InvalidInput
from deskbook.results_course import PackageReportRow, RevenueReportRow, UtilizationReportRow
from deskbook.schedule import day_span

KINDS = ("packages", "utilization", "revenue")
CENT = Decimal("0.01")
_SPENT = ("COMPLETED", "NO_SHOW")
_FINAL = ("CANCELLED", "VOIDED", "TRANSFERRED")
# A year of data is what the reports are for; the bound keeps a typo from reading forever.
MAX_DAYS = 3 * 366
# From this many days on, SQLite's utilization reads every visit of the tenant in provider order
# rather than seeking the period (migration 0010, docs/benchmarks.md).
LONG_PERIOD_DAYS = 62


def check_period(start: Any, end: Any) -> tuple[date, date]:
    from deskbook.access import as_day

    first, last = as_day(start, "first day"), as_day(end, "last day")
    if last < first:
        raise InvalidInput("The period ends before it starts; swap the two days.")
    if (last - first).days > MAX_DAYS:
        raise InvalidInput("A report covers at most three years.")
    return first, last


def _money(value: Any) -> Decimal:
    # SQLite hands back floats for NUMERIC arithmetic; str() keeps what it printed.
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


def _rate(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else Decimal(0)


def _minutes(session: Session, start: Any, end: Any) -> Any:
    """end - start in minutes, as SQL on either engine, for timestamps and for times of day
    (SQLite reads a bare time as a moment of 2000-01-01)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 60
    return (func.julianday(end) - func.julianday(start)) * 1440


def _scanned(session: Session, column: Any) -> Any:
    """column as SQLite's planner cannot seek it (+column, the documented way to keep a term
    from choosing an index), for reads that cover most of the tenant's rows. PostgreSQL weighs
    a scan against a seek itself, from its statistics."""
    if session.get_bind().dialect.name != "sqlite":
        return column
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _clinic_packages(clinic_id: uuid.UUID) -> Any:
    return (
        select(col(PackageService.package_id))
        .join(Service, col(Service.id) == col(PackageService.service_id))
        .where(col(Service.clinic_id) == clinic_id)
    )


def packages_report(
    session: Session, actor: Actor, first: date, last: date, clinic_id: uuid.UUID | None
) -> list[PackageReportRow]:
    # No index seeks the purchase date, and the tenant's index would read each of the
    # tenant's purchases at random three times over: on SQLite one scan of the purchases is
    # several times quicker (docs/benchmarks.md).
    sold = [
        _scanned(session, col(PackagePurchase.tenant_id)) == actor.tenant_id,
        col(PackagePurchase.purchase_date) >= first,
        col(PackagePurchase.purchase_date) <= last,
    ]
    if clinic_id is not None:
        get_owned(session, Clinic, clinic_id, actor, "clinic")
        sold.append(col(PackagePurchase.package_id).in_(_clinic_packages(clinic_id)))
    lapsed = and_(
        col(PackagePurchase.expiry_date) < actor.today(), col(PackagePurchase.status).not_in(_FINAL)
    )
    package: Any = col(PackagePurchase.package_id).label("package_id")
    zero = literal(0)

    def is_(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    # Every figure is a sum over the purchases, so each part is summed per package straight
    # away, in one pass over its own rows (purchases, their quotas, their spent visits): no
    # per-purchase subtotals to sort and join (issue 14, docs/benchmarks.md). What lapsed
    # unused is what the lapsed purchases held less what they spent, summed the same way.
    purchases = select(
        package,
        func.count().label("sold"),
        func.sum(col(PackagePurchase.price_paid)).label("sales"),
        is_(col(PackagePurchase.status) == "COMPLETED").label("completed"),
        is_(col(PackagePurchase.status) == "CANCELLED").label("cancelled"),
        is_(col(PackagePurchase.status) == "TRANSFERRED").label("transferred"),
        zero.label("sessions"),
        zero.label("used"),
        zero.label("lapsed"),
    ).where(*sold)
    quotas = (
        select(
            package,
            zero,
            zero,
            zero,
            zero,
            zero,
            func.sum(col(PurchaseQuota.quota)),
            zero,
            func.sum(
                case((lapsed, col(PurchaseQuota.quota) - col(PurchaseQuota.moved_out)), else_=0)
            ),
        )
        .select_from(PurchaseQuota)
        .join(PackagePurchase, col(PackagePurchase.id) == col(PurchaseQuota.purchase_id))
        .where(*sold)
    )
    spent = (
        select(package, zero, zero, zero, zero, zero, zero, func.count(), -is_(lapsed))
        .select_from(Appointment)
        .join(PackagePurchase, col(PackagePurchase.id) == col(Appointment.purchase_id))
        .where(*sold, col(Appointment.status).in_(_SPENT))
    )
    parts = union_all(
        *(part.group_by(col(PackagePurchase.package_id)) for part in (purchases, quotas, spent))
    ).subquery()
    c = parts.c
    rows = session.execute(
        select(
            col(Package.id),
            col(Package.name_en),
            func.sum(c.sold),
            func.sum(c.sales),
            func.sum(c.completed),
            func.sum(c.sessions),
            func.sum(c.used),
            func.sum(c.lapsed),
            func.sum(c.cancelled),
            func.sum(c.transferred),
        )
        .select_from(Package)
        .join(parts, c.package_id == col(Package.id))
        .group_by(col(Package.id), col(Package.name_en))
        .having(func.sum(c.sold) > 0)
        .order_by(col(Package.name_en))
    ).all()
    return [
        PackageReportRow(
            package_id=pid,
            package=name,
            sold=int(n),
            sales=_money(sales),
            completed=int(done or 0),
            completion_rate=_rate(int(done or 0), int(n)),
            sessions=int(total or 0),
            sessions_used=int(used_n or 0),
            sessions_expired_unused=max(0, int(expired or 0)),
            cancelled=int(cancelled or 0),
            transferred=int(transferred or 0),
        )
        for pid, name, n, sales, done, total, used_n, expired, cancelled, transferred in rows
    ]


def utilization_report(
    session: Session, actor: Actor, first: date, last: date, clinic_id: uuid.UUID | None
) -> list[UtilizationReportRow]:
    start, end = day_span(actor, first)[0], day_span(actor, last)[1]
    # How many of each weekday the period holds: seven numbers, so the schedule rows are
    # weighed in SQL rather than walked day by day.
    days = Counter((first + timedelta(days=n)).weekday() for n in range((last - first).days + 1))
    weight = case(*((col(ProviderSchedule.weekday) == wd, days[wd]) for wd in range(7)), else_=0)
    window = _minutes(session, col(ProviderSchedule.start_time), col(ProviderSchedule.end_time))
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
        began = _scanned(session, began)
    visits = (
        select(
            col(Appointment.provider_id),
            col(Appointment.clinic_id),
            literal(0),
            func.sum(_minutes(session, col(Appointment.start_at), col(Appointment.end_at))),
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
            func.sum(_minutes(session, col(GroupSession.start_at), col(GroupSession.end_at))),
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
                utilization=_rate(booked_n, planned_n),
            )
        )
    return out


def revenue_report(
    session: Session, actor: Actor, first: date, last: date, clinic_id: uuid.UUID | None
) -> list[RevenueReportRow]:
    start, end = day_span(actor, first)[0], day_span(actor, last)[1]
    # Each purchase's share per clinic: its sessions there over all its sessions.
    per_clinic = (
        select(
            col(PurchaseQuota.purchase_id).label("purchase_id"),
            col(Service.clinic_id).label("clinic_id"),
            func.sum(col(PurchaseQuota.quota)).label("sessions"),
        )
        .join(Service, col(Service.id) == col(PurchaseQuota.service_id))
        .where(col(PurchaseQuota.tenant_id) == actor.tenant_id)
        .group_by(col(PurchaseQuota.purchase_id), col(Service.clinic_id))
        .subquery()
    )
    per_purchase = (
        select(
            col(PurchaseQuota.purchase_id).label("purchase_id"),
            func.sum(col(PurchaseQuota.quota)).label("sessions"),
        )
        .where(col(PurchaseQuota.tenant_id) == actor.tenant_id)
        .group_by(col(PurchaseQuota.purchase_id))
        .subquery()
    )
    share = per_clinic.c.sessions * 1.0 / per_purchase.c.sessions
    paid = (
        select(
            col(Payment.purchase_id).label("purchase_id"),
            func.sum(col(Payment.amount)).label("paid"),
        )
        .where(col(Payment.tenant_id) == actor.tenant_id)
        .group_by(col(Payment.purchase_id))
        .subquery()
    )
    live = col(PackagePurchase.status).not_in(_FINAL)
    owed = case((live, col(PackagePurchase.price_paid) - func.coalesce(paid.c.paid, 0)), else_=0)
    sales = session.execute(
        select(
            per_clinic.c.clinic_id,
            func.count(col(PackagePurchase.id)),
            func.sum(col(PackagePurchase.price_paid) * share),
            func.sum(owed * share),
            func.sum(func.coalesce(col(PackagePurchase.refund_due), 0) * share),
        )
        .join(per_clinic, per_clinic.c.purchase_id == col(PackagePurchase.id))
        .join(per_purchase, per_purchase.c.purchase_id == col(PackagePurchase.id))
        .outerjoin(paid, paid.c.purchase_id == col(PackagePurchase.id))
        .where(
            col(PackagePurchase.tenant_id) == actor.tenant_id,
            col(PackagePurchase.purchase_date) >= first,
            col(PackagePurchase.purchase_date) <= last,
        )
        .group_by(per_clinic.c.clinic_id)
    ).all()
    received: dict[uuid.UUID, object] = dict(
        session.execute(
            select(per_clinic.c.clinic_id, func.sum(col(Payment.amount) * share))
            .join(per_clinic, per_clinic.c.purchase_id == col(Payment.purchase_id))
            .join(per_purchase, per_purchase.c.purchase_id == col(Payment.purchase_id))
            .where(
                col(Payment.tenant_id) == actor.tenant_id,
                col(Payment.created_at) >= start,
                col(Payment.created_at) < end,
            )
            .group_by(per_clinic.c.clinic_id)
        ).all()
    )
    clinics = {
        c.id: c.name_en
        for c in session.scalars(select(Clinic).where(col(Clinic.tenant_id) == actor.tenant_id))
    }
    if clinic_id is not None:
        get_owned(session, Clinic, clinic_id, actor, "clinic")
    by_clinic = {cid: (n, s, b, r) for cid, n, s, b, r in sales}
    return [
        RevenueReportRow(
            clinic_id=cid,
            clinic=name,
            sold=int(by_clinic.get(cid, (0,))[0] or 0),
            sales=_money(by_clinic.get(cid, (0, 0))[1]),
            received=_money(received.get(cid)),
            balance_due=_money(by_clinic.get(cid, (0, 0, 0))[2]),
            refunds_due=_money(by_clinic.get(cid, (0, 0, 0, 0))[3]),
        )
        for cid, name in sorted(clinics.items(), key=lambda item: item[1])
        if clinic_id in (None, cid) and (cid in by_clinic or cid in received)
    ]


def report(
    session: Session,
    actor: Actor,
    kind: str,
    first: date,
    last: date,
    clinic_id: uuid.UUID | None,
) -> list[PackageReportRow] | list[UtilizationReportRow] | list[RevenueReportRow]:
    if kind == "packages":
        return packages_report(session, actor, first, last, clinic_id)
    if kind == "utilization":
        return utilization_report(session, actor, first, last, clinic_id)
    if kind == "revenue":
        return revenue_report(session, actor, first, last, clinic_id)
    raise InvalidInput(f"There is no “{kind}” report; choose packages, utilization or revenue.")


def write_csv(rows: list[Any], kind: str, out: IO[str]) -> int:
    """The rows as CSV with a header of their field names (written even when there are no
    rows); returns how many rows were written."""
    names = [f.name for f in fields(_ROW_TYPES[kind])]
    writer = csv.writer(out)
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in names])
    return len(rows)


_ROW_TYPES: dict[str, type] = {
    "packages": PackageReportRow,
    "utilization": UtilizationReportRow,
    "revenue": RevenueReportRow,
}


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
