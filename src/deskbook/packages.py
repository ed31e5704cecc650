"""Packages: the tenant's catalog and the purchases a patient holds.

A purchase's session is "completed" once the visit is COMPLETED or a NO_SHOW (a no-show spends
its session), "scheduled" while BOOKED, CONFIRMED or ARRIVED; a cancellation gives it back.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit, booking
from deskbook.access import Actor, clean_text, get_owned, lock_owned
from deskbook.db.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    Package,
    PackagePurchase,
    PackageService,
    Patient,
    Payment,
    PurchaseQuota,
    PurchaseStatus,
    Service,
)
from deskbook.errors import InvalidInput, PurchaseInUse
from deskbook.results import (
    CatalogPackage,
    CatalogService,
    PackageChoice,
    PurchaseView,
    QuotaView,
    SessionPreview,
)
from deskbook.statuses import OPEN_STATUSES

SPENT = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)


# Statuses no later event changes: what the desk decided, not what the calendar says.
FINAL = (PurchaseStatus.CANCELLED, PurchaseStatus.VOIDED, PurchaseStatus.TRANSFERRED)
# Within this many days of its expiry a purchase with sessions left carries a warning.
WARN_DAYS = 14


def true_status(stored: str, expiry: date, owed: int, spent: int, today: date) -> str:
    """The status a purchase has today: a final one as the desk set it; COMPLETED once every
    session it still holds was spent; EXPIRED after its expiry day; else ACTIVE."""
    if stored in FINAL:
        return stored
    if owed > 0 and spent >= owed:
        return PurchaseStatus.COMPLETED
    if expiry < today:
        return PurchaseStatus.EXPIRED
    return PurchaseStatus.ACTIVE


def expiry_warning(status: str, expiry: date, remaining: int, today: date) -> str | None:
    """'expires in 9 days, 4 sessions left — not enough weekly slots before then', or None."""
    days = (expiry - today).days
    if status != PurchaseStatus.ACTIVE or remaining <= 0 or days > WARN_DAYS:
        return None
    when = {0: "expires today", 1: "expires tomorrow"}.get(days, f"expires in {days} days")
    text = f"{when}, {remaining} session{'s' if remaining != 1 else ''} left"
    weekly_slots = days // 7 + 1  # one visit a week, this week included
    if remaining > weekly_slots:
        text += " — not enough weekly slots before then"
    return text


def unusable_reason(purchase: PackagePurchase, remaining: int, today: date) -> str | None:
    """Why a purchase cannot be booked against today, or None when it can."""
    if purchase.status == PurchaseStatus.CANCELLED:
        return "cancelled"
    if purchase.status == PurchaseStatus.VOIDED:
        return "voided"
    if purchase.status == PurchaseStatus.TRANSFERRED:
        return "transferred to another patient"
    if purchase.status == PurchaseStatus.EXPIRED or purchase.expiry_date < today:
        return f"expired on {purchase.expiry_date.isoformat()}"
    if purchase.status == PurchaseStatus.COMPLETED or remaining <= 0:
        return "no sessions left"
    return None


def _counts(
    session: Session, tenant_id: uuid.UUID, purchase_ids: Iterable[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], tuple[int, int]]:
    ids = list(purchase_ids)
    if not ids:
        return {}
    spent = func.sum(case((col(Appointment.status).in_(SPENT), 1), else_=0))
    held = func.sum(case((col(Appointment.status).in_(OPEN_STATUSES), 1), else_=0))
    rows = session.execute(
        select(col(Appointment.purchase_id), col(Appointment.service_id), spent, held)
        .where(col(Appointment.tenant_id) == tenant_id, col(Appointment.purchase_id).in_(ids))
        .group_by(col(Appointment.purchase_id), col(Appointment.service_id))
    ).all()
    return {(p, s): (int(c or 0), int(h or 0)) for p, s, c, h in rows}


def purchase_views(
    session: Session, actor: Actor, purchases: list[tuple[PackagePurchase, Package]]
) -> list[PurchaseView]:
    ids = [p.id for p, _ in purchases]
    if not ids:
        return []
    quotas: dict[uuid.UUID, list[tuple[PurchaseQuota, Service]]] = defaultdict(list)
    for quota, service in session.execute(
        select(PurchaseQuota, Service)
        .join(Service, col(Service.id) == PurchaseQuota.service_id)
        .where(
            col(PurchaseQuota.tenant_id) == actor.tenant_id, col(PurchaseQuota.purchase_id).in_(ids)
        )
        .order_by(col(Service.name_en))
    ).all():
        quotas[quota.purchase_id].append((quota, service))
    counts = _counts(session, actor.tenant_id, ids)
    paid = paid_by_purchase(session, actor.tenant_id, ids)
    today = actor.today()
    views = []
    for purchase, package in purchases:
        services = []
        for quota, service in quotas[purchase.id]:
            completed, scheduled = counts.get((purchase.id, service.id), (0, 0))
            used = completed + scheduled
            # Sessions a transfer moved out are neither used nor left here.
            held = quota.quota - quota.moved_out
            services.append(
                QuotaView(
                    service_id=service.id,
                    service_name_en=service.name_en,
                    service_name_ar=service.name_ar,
                    quota=quota.quota,
                    completed=completed,
                    scheduled=scheduled,
                    used=used,
                    remaining=max(0, held - used),
                )
            )
        total = sum(q.quota for q in services)
        completed = sum(q.completed for q in services)
        scheduled = sum(q.scheduled for q in services)
        remaining = sum(q.remaining for q in services)
        owed = sum(q.quota - q.moved_out for q, _ in quotas[purchase.id])
        status = true_status(purchase.status, purchase.expiry_date, owed, completed, today)
        reason = unusable_reason(purchase, remaining, today)
        received = paid.get(purchase.id, Decimal(0))
        settled = status in FINAL
        views.append(
            PurchaseView(
                id=purchase.id,
                patient_id=purchase.patient_id,
                package_id=package.id,
                name_en=package.name_en,
                name_ar=package.name_ar,
                purchase_date=purchase.purchase_date,
                expiry_date=purchase.expiry_date,
                price_paid=purchase.price_paid,
                status=str(status),
                services=tuple(services),
                total=total,
                completed=completed,
                scheduled=scheduled,
                used=completed + scheduled,
                remaining=remaining,
                usable=reason is None,
                reason=reason,
                price=purchase.price_paid,
                paid=received,
                balance=Decimal(0) if settled else max(Decimal(0), purchase.price_paid - received),
                days_left=max(0, (purchase.expiry_date - today).days),
                warning=expiry_warning(status, purchase.expiry_date, remaining, today),
            )
        )
    return views


def paid_by_purchase(
    session: Session, tenant_id: uuid.UUID, purchase_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    rows = session.execute(
        select(col(Payment.purchase_id), func.sum(Payment.amount))
        .where(col(Payment.tenant_id) == tenant_id, col(Payment.purchase_id).in_(purchase_ids))
        .group_by(col(Payment.purchase_id))
    ).all()
    return {pid: Decimal(total or 0).quantize(Decimal("0.01")) for pid, total in rows}


def purchase_view(session: Session, actor: Actor, purchase: PackagePurchase) -> PurchaseView:
    package = session.get(Package, purchase.package_id)
    assert package is not None
    return purchase_views(session, actor, [(purchase, package)])[0]


def usable_for(
    session: Session, actor: Actor, patient_id: uuid.UUID, service_id: uuid.UUID
) -> list[PurchaseView]:
    """The patient's purchases that could pay a session of the service today, the one that
    expires soonest first: what a single paid booking should warn about."""
    get_owned(session, Service, service_id, actor, "service")
    return [
        purchase
        for purchase in assigned_to(session, actor, patient_id)
        if purchase.usable
        and any(q.service_id == service_id and q.remaining > 0 for q in purchase.services)
    ]


def session_preview(
    session: Session,
    actor: Actor,
    purchase_id: uuid.UUID,
    service_id: uuid.UUID,
    start: datetime,
) -> SessionPreview:
    purchase = get_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    service = get_owned(session, Service, service_id, actor, "service")
    view = purchase_view(session, actor, purchase)
    quota = next((q for q in view.services if q.service_id == service.id), None)
    if quota is None:
        raise InvalidInput(f"This package does not include {service.name_en}.")
    return SessionPreview(
        number=booking.number_at(session, purchase.id, start),
        total=view.total,
        service_remaining=quota.remaining,
    )


def catalog(session: Session, actor: Actor, currency: str) -> list[CatalogPackage]:
    packages = session.scalars(
        select(Package)
        .where(col(Package.tenant_id) == actor.tenant_id, col(Package.active).is_(True))
        .order_by(col(Package.name_en))
    ).all()
    lines: dict[uuid.UUID, list[CatalogService]] = defaultdict(list)
    if packages:
        for item, service, clinic in session.execute(
            select(PackageService, Service, Clinic)
            .join(Service, col(Service.id) == PackageService.service_id)
            .join(Clinic, col(Clinic.id) == Service.clinic_id)
            .where(
                col(PackageService.tenant_id) == actor.tenant_id,
                col(PackageService.package_id).in_([p.id for p in packages]),
            )
            .order_by(col(Service.name_en))
        ).all():
            lines[item.package_id].append(
                CatalogService(
                    service_id=service.id,
                    name_en=service.name_en,
                    name_ar=service.name_ar,
                    sessions=item.sessions,
                    clinic_id=clinic.id,
                    clinic_name_en=clinic.name_en,
                    clinic_name_ar=clinic.name_ar,
                )
            )
    return [
        CatalogPackage(
            id=p.id,
            name_en=p.name_en,
            name_ar=p.name_ar,
            price=p.price,
            currency=currency,
            validity_days=p.validity_days,
            total_sessions=sum(s.sessions for s in lines[p.id]),
            services=tuple(lines[p.id]),
        )
        for p in packages
    ]


def assigned_to(session: Session, actor: Actor, patient_id: uuid.UUID) -> list[PurchaseView]:
    """The patient's purchases: usable first, the one that expires soonest on top, so the desk
    spends it before it lapses."""
    get_owned(session, Patient, patient_id, actor, "patient")
    rows = session.execute(
        select(PackagePurchase, Package)
        .join(Package, col(Package.id) == PackagePurchase.package_id)
        .where(
            col(PackagePurchase.tenant_id) == actor.tenant_id,
            col(PackagePurchase.patient_id) == patient_id,
        )
        .order_by(col(PackagePurchase.created_at), col(PackagePurchase.id))
    ).all()
    assigned = purchase_views(session, actor, [(p, k) for p, k in rows])
    assigned.sort(key=lambda v: (not v.usable, v.expiry_date if v.usable else date.max))
    return assigned


def for_patient(
    session: Session, actor: Actor, patient_id: uuid.UUID, currency: str
) -> PackageChoice:
    assigned = assigned_to(session, actor, patient_id)
    return PackageChoice(
        assigned=tuple(assigned), available=tuple(catalog(session, actor, currency))
    )


def settle_status(session: Session, actor: Actor, purchase: PackagePurchase) -> str:
    """Write the purchase's true status (see true_status) after a change that may move it;
    the caller holds the purchase's lock or is the only writer of its visits."""
    session.flush()
    owed = session.scalar(
        select(func.sum(col(PurchaseQuota.quota) - col(PurchaseQuota.moved_out))).where(
            col(PurchaseQuota.purchase_id) == purchase.id
        )
    )
    spent = session.scalar(
        select(func.count(col(Appointment.id))).where(
            col(Appointment.purchase_id) == purchase.id, col(Appointment.status).in_(SPENT)
        )
    )
    status = true_status(
        purchase.status, purchase.expiry_date, int(owed or 0), int(spent or 0), actor.today()
    )
    if status != purchase.status:
        purchase.status = status
        session.flush()
    return status


def void(
    session: Session, actor: Actor, purchase_id: uuid.UUID, reason: str | None
) -> PurchaseView:
    """Take back a purchase assigned by mistake: only while no session of it was used or
    booked. Under the patient's and the purchase's locks, the order booking takes them in, so
    a desk booking against it at the same moment either comes first (and the void is
    refused) or finds it voided."""
    why = clean_text(reason, "reason", 500, required=True, multiline=True)
    seen = get_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    lock_owned(session, Patient, seen.patient_id, actor, "patient")
    purchase = lock_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    if purchase.status != PurchaseStatus.ACTIVE:
        state = str(purchase.status).lower()
        raise InvalidInput(f"This package is {state}; only an active one can be voided.")
    sessions = session.scalar(
        select(func.count(col(Appointment.id))).where(
            col(Appointment.purchase_id) == purchase.id,
            col(Appointment.status) != AppointmentStatus.CANCELLED,
        )
    )
    if sessions:
        raise PurchaseInUse(
            f"This package has {sessions} session{'s' if sessions != 1 else ''} used or "
            "booked; cancel the booked ones first, or ask an administrator to cancel it."
        )
    purchase.status = PurchaseStatus.VOIDED
    session.flush()
    audit.log(
        session,
        actor,
        "void_purchase",
        "package_purchase",
        purchase.id,
        before={"status": PurchaseStatus.ACTIVE},
        after={"status": PurchaseStatus.VOIDED, "reason": why},
    )
    return purchase_view(session, actor, purchase)
