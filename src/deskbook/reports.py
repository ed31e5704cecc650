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
from dataclasses import fields
from datetime import date
from typing import IO, Any

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor, get_owned
from deskbook.db.models import (
    Appointment,
    Clinic,
    Package,
    PackagePurchase,
    PackageService,
    Payment,
    PurchaseQuota,
    Service,
)
from deskbook.errors import InvalidInput
from deskbook.report_sql import money, rate, scanned
from deskbook.results_course import PackageReportRow, RevenueReportRow, UtilizationReportRow
from deskbook.schedule import day_span
from deskbook.utilization import utilization_report

KINDS = ("packages", "utilization", "revenue")
_SPENT = ("COMPLETED", "NO_SHOW")
_FINAL = ("CANCELLED", "VOIDED", "TRANSFERRED")
# A year of data is what the reports are for; the bound keeps a typo from reading forever.
MAX_DAYS = 3 * 366


def check_period(start: Any, end: Any) -> tuple[date, date]:
    from deskbook.access import as_day

    first, last = as_day(start, "first day"), as_day(end, "last day")
    if last < first:
        raise InvalidInput("The period ends before it starts; swap the two days.")
    if (last - first).days > MAX_DAYS:
        raise InvalidInput("A report covers at most three years.")
    return first, last


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
        scanned(session, col(PackagePurchase.tenant_id)) == actor.tenant_id,
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
            sales=money(sales),
            completed=int(done or 0),
            completion_rate=rate(int(done or 0), int(n)),
            sessions=int(total or 0),
            sessions_used=int(used_n or 0),
            sessions_expired_unused=max(0, int(expired or 0)),
            cancelled=int(cancelled or 0),
            transferred=int(transferred or 0),
        )
        for pid, name, n, sales, done, total, used_n, expired, cancelled, transferred in rows
    ]


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
            sales=money(by_clinic.get(cid, (0, 0))[1]),
            received=money(received.get(cid)),
            balance_due=money(by_clinic.get(cid, (0, 0, 0))[2]),
            refunds_due=money(by_clinic.get(cid, (0, 0, 0, 0))[3]),
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
