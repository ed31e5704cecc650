"""Selling a package to a patient: the purchase at the package's price and validity, with a
quota per service it holds, audited in the same transaction."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit
from deskbook.access import Actor, get_owned
from deskbook.db.models import (
    Package,
    PackagePurchase,
    PackageService,
    Patient,
    PurchaseQuota,
    PurchaseStatus,
)
from deskbook.errors import InvalidInput, NotFound
from deskbook.packages import purchase_views
from deskbook.results import PurchaseView


def assign(
    session: Session, actor: Actor, patient_id: uuid.UUID, package_id: uuid.UUID
) -> PurchaseView:
    patient = get_owned(session, Patient, patient_id, actor, "patient")
    package = get_owned(session, Package, package_id, actor, "package")
    if not package.active:
        raise InvalidInput(f"The package “{package.name_en}” is no longer sold.")
    items = session.scalars(
        select(PackageService).where(col(PackageService.package_id) == package.id)
    ).all()
    if not items:
        raise NotFound(f"The package “{package.name_en}” has no services.")
    today = actor.today()
    purchase = PackagePurchase(
        tenant_id=actor.tenant_id,
        patient_id=patient.id,
        package_id=package.id,
        purchase_date=today,
        expiry_date=today + timedelta(days=package.validity_days),
        price_paid=package.price,
        status=PurchaseStatus.ACTIVE,
        created_by=actor.staff_id,
    )
    session.add(purchase)
    session.flush()
    for item in items:
        session.add(
            PurchaseQuota(
                tenant_id=actor.tenant_id,
                purchase_id=purchase.id,
                service_id=item.service_id,
                quota=item.sessions,
            )
        )
    session.flush()
    audit.log(
        session,
        actor,
        "assign_package",
        "package_purchase",
        purchase.id,
        after={
            "patient_id": patient.id,
            "package_id": package.id,
            "expiry_date": purchase.expiry_date,
            "price_paid": purchase.price_paid,
        },
    )
    return purchase_views(session, actor, [(purchase, package)])[0]
