"""A purchase from sale to its last session: extend, transfer, cancel, and the desk's list of
packages about to lapse.

The status is kept true by every write (packages.true_status, settle_status): ACTIVE,
COMPLETED once every session it holds was spent, EXPIRED after its day, and the final ones a
desk sets: CANCELLED, VOIDED, TRANSFERRED. Locks follow booking.py: patients (by id),
the visits being changed, the purchase, providers by id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit, packages
from deskbook.access import HORIZON_DAYS, Actor, clean_text, get_owned, lock_owned
from deskbook.booking import renumber
from deskbook.db.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    Package,
    PackagePurchase,
    Patient,
    Provider,
    ProviderBlock,
    PurchaseQuota,
    PurchaseStatus,
    Service,
)
from deskbook.errors import InvalidInput
from deskbook.results import PurchaseView
from deskbook.results_course import CancelledPurchase, ExpiringPurchase, TransferredPurchase
from deskbook.statuses import OPEN_STATUSES
from deskbook.visit_status import NOT_STARTED

CENT = Decimal("0.01")


def _reason(reason: object) -> str:
    text = clean_text(reason, "reason", 500, required=True, multiline=True)
    assert text is not None
    return text


def _refuse_final(purchase: PackagePurchase, doing: str) -> None:
    if purchase.status in packages.FINAL:
        raise InvalidInput(f"This package was {purchase.status.lower()}; it cannot be {doing}.")


def extend(
    session: Session, actor: Actor, purchase_id: uuid.UUID, new_expiry: date, reason: object
) -> PurchaseView:
    """A later expiry day, also for a package that has already lapsed (it comes back)."""
    why = _reason(reason)
    purchase = lock_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    _refuse_final(purchase, "extended")
    if packages.settle_status(session, actor, purchase) == PurchaseStatus.COMPLETED:
        raise InvalidInput("Every session of this package was used; there is nothing to extend.")
    today = actor.today()
    if new_expiry < today:
        raise InvalidInput(
            f"{new_expiry.isoformat()} has already passed; an extension runs from today on."
        )
    if new_expiry <= purchase.expiry_date:
        raise InvalidInput(
            f"The package already runs to {purchase.expiry_date.isoformat()}; "
            "pick a later day to extend it."
        )
    if new_expiry > today + timedelta(days=HORIZON_DAYS):
        raise InvalidInput("That day is too far ahead; extend by up to two years.")
    before = {"expiry_date": purchase.expiry_date, "status": purchase.status}
    purchase.expiry_date = new_expiry
    if purchase.status == PurchaseStatus.EXPIRED:
        purchase.status = PurchaseStatus.ACTIVE
    packages.settle_status(session, actor, purchase)
    after = {"expiry_date": new_expiry, "status": purchase.status, "reason": why}
    audit.log(session, actor, "extend_purchase", "package_purchase", purchase.id, before, after)
    return packages.purchase_view(session, actor, purchase)


def transfer(
    session: Session,
    actor: Actor,
    purchase_id: uuid.UUID,
    to_patient_id: uuid.UUID,
    reason: object,
) -> TransferredPurchase:
    """The sessions neither used nor booked move to a new purchase of the other patient,
    which runs to the same expiry and costs nothing (they were paid for here). Visits already
    booked stay with this patient; this purchase becomes TRANSFERRED."""
    why = _reason(reason)
    seen = get_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    target = get_owned(session, Patient, to_patient_id, actor, "patient")
    if target.id == seen.patient_id:
        raise InvalidInput("The package already belongs to that patient; choose another one.")
    for pid in sorted({seen.patient_id, target.id}, key=str):
        lock_owned(session, Patient, pid, actor, "patient")
    purchase = lock_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    _refuse_final(purchase, "transferred")
    status = packages.settle_status(session, actor, purchase)
    if status != PurchaseStatus.ACTIVE:
        raise InvalidInput(f"This package is {status.lower()}; it has no sessions to transfer.")
    view = packages.purchase_view(session, actor, purchase)
    moving = {q.service_id: q.remaining for q in view.services if q.remaining > 0}
    if not moving:
        raise InvalidInput("Every session of this package is used or booked; none can move.")
    new = PackagePurchase(
        tenant_id=actor.tenant_id,
        patient_id=target.id,
        package_id=purchase.package_id,
        purchase_date=actor.today(),
        expiry_date=purchase.expiry_date,
        price_paid=Decimal("0.00"),
        status=PurchaseStatus.ACTIVE,
        created_by=actor.staff_id,
    )
    session.add(new)
    session.flush()
    for quota in session.scalars(
        select(PurchaseQuota).where(col(PurchaseQuota.purchase_id) == purchase.id)
    ):
        n = moving.get(quota.service_id, 0)
        if n:
            quota.moved_out += n
            session.add(
                PurchaseQuota(
                    tenant_id=actor.tenant_id,
                    purchase_id=new.id,
                    service_id=quota.service_id,
                    quota=n,
                )
            )
    purchase.status = PurchaseStatus.TRANSFERRED
    session.flush()
    sessions = sum(moving.values())
    link = {"from_purchase_id": purchase.id, "to_purchase_id": new.id, "sessions": sessions}
    audit.log(
        session,
        actor,
        "transfer_purchase",
        "package_purchase",
        purchase.id,
        {"status": status, "patient_id": purchase.patient_id},
        {**link, "status": purchase.status, "to_patient_id": target.id, "reason": why},
    )
    audit.log(
        session,
        actor,
        "assign_package",
        "package_purchase",
        new.id,
        after={
            **link,
            "patient_id": target.id,
            "package_id": new.package_id,
            "expiry_date": new.expiry_date,
            "price_paid": new.price_paid,
        },
    )
    return TransferredPurchase(
        original=packages.purchase_view(session, actor, purchase),
        new=packages.purchase_view(session, actor, new),
        sessions_moved=sessions,
    )


def refund_due(price: Decimal, paid: Decimal, total: int, unused: int) -> Decimal:
    """What was paid beyond the value of the sessions used, each session worth price / total:
    a patient who paid in full gets the unused share of the price back; one who paid less
    than what they used gets nothing (and owes nothing more once it is cancelled)."""
    if total <= 0:
        return Decimal("0.00")
    used_value = (price * (total - unused) / total).quantize(CENT, ROUND_HALF_UP)
    return max(Decimal("0.00"), (paid - used_value).quantize(CENT, ROUND_HALF_UP))


def cancel(
    session: Session, actor: Actor, purchase_id: uuid.UUID, reason: object, currency: str
) -> CancelledPurchase:
    """Cancels the purchase and its visits still to come, in one transaction, and says the
    refund due. A visit that has begun but is not yet marked must be marked first."""
    why = _reason(reason)
    seen = get_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    lock_owned(session, Patient, seen.patient_id, actor, "patient")
    now = datetime.now(UTC)
    visits = list(
        session.scalars(
            select(Appointment)
            .where(
                col(Appointment.purchase_id) == seen.id, col(Appointment.status).in_(OPEN_STATUSES)
            )
            .order_by(col(Appointment.start_at))
            .with_for_update(key_share=True)  # as lock_owned: FK checks pass
            .execution_options(populate_existing=True)
        )
    )
    purchase = lock_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    _refuse_final(purchase, "cancelled")
    status = packages.settle_status(session, actor, purchase)
    if status == PurchaseStatus.COMPLETED:
        raise InvalidInput("Every session of this package was used; there is nothing to cancel.")
    started = [a for a in visits if a.start_at <= now or a.status not in NOT_STARTED]
    if started:
        when = started[0].start_at.astimezone(actor.tz)
        raise InvalidInput(
            f"The visit of {when:%a %d %b %H:%M} is still open; mark it completed or no-show "
            "before cancelling the package."
        )
    for pid in sorted({a.provider_id for a in visits}, key=str):
        lock_owned(session, Provider, pid, actor, "provider")
    for appointment in visits:
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancel_reason = why
        appointment.updated_at = now
        audit.log(
            session,
            actor,
            "cancel",
            "appointment",
            appointment.id,
            {"status": "BOOKED"},
            {"status": "CANCELLED", "reason": why},
        )
    session.flush()
    ids = [a.id for a in visits]
    for block in session.scalars(
        select(ProviderBlock).where(col(ProviderBlock.appointment_id).in_(ids))
    ):
        session.delete(block)
    renumber(session, purchase.id)
    view = packages.purchase_view(session, actor, purchase)
    unused = view.remaining  # sessions moved out by a transfer count as used here
    refund = refund_due(purchase.price_paid, view.paid, view.total, unused)
    before = {"status": status}
    purchase.status = PurchaseStatus.CANCELLED
    purchase.refund_due = refund
    session.flush()
    audit.log(
        session,
        actor,
        "cancel_purchase",
        "package_purchase",
        purchase.id,
        before,
        {
            "status": purchase.status,
            "visits_cancelled": len(visits),
            "unused": unused,
            "paid": view.paid,
            "refund_due": refund,
            "reason": why,
        },
    )
    return CancelledPurchase(
        purchase=packages.purchase_view(session, actor, purchase),
        cancelled_visits=len(visits),
        paid=view.paid,
        refund_due=refund,
        currency=currency,
    )


def expiring(
    session: Session,
    actor: Actor,
    within_days: int,
    clinic_id: uuid.UUID | None,
    limit: int = 500,
) -> list[ExpiringPurchase]:
    """Active purchases that expire within the days with sessions left, soonest first."""
    today = actor.today()
    stmt = (
        select(PackagePurchase, Package, Patient)
        .join(Package, col(Package.id) == col(PackagePurchase.package_id))
        .join(Patient, col(Patient.id) == col(PackagePurchase.patient_id))
        .where(
            col(PackagePurchase.tenant_id) == actor.tenant_id,
            col(PackagePurchase.status) == PurchaseStatus.ACTIVE,
            col(PackagePurchase.expiry_date) >= today,
            col(PackagePurchase.expiry_date) <= today + timedelta(days=within_days),
        )
        .order_by(col(PackagePurchase.expiry_date), col(PackagePurchase.id))
        .limit(limit)
    )
    if clinic_id is not None:
        get_owned(session, Clinic, clinic_id, actor, "clinic")
        stmt = stmt.where(
            col(PackagePurchase.id).in_(
                select(col(PurchaseQuota.purchase_id))
                .join(Service, col(Service.id) == col(PurchaseQuota.service_id))
                .where(col(Service.clinic_id) == clinic_id)
            )
        )
    rows = session.execute(stmt).all()
    views = packages.purchase_views(session, actor, [(p, k) for p, k, _ in rows])
    found = []
    for (purchase, package, patient), view in zip(rows, views, strict=True):
        if view.warning is None:
            continue
        found.append(
            ExpiringPurchase(
                purchase_id=purchase.id,
                patient_id=patient.id,
                patient_name_en=patient.name_en,
                patient_mrn=patient.mrn,
                patient_phone=patient.phone,
                package_name_en=package.name_en,
                expiry_date=purchase.expiry_date,
                days_left=view.days_left,
                remaining=view.remaining,
                warning=view.warning,
            )
        )
    return found
