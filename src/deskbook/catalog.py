"""What a desk chooses from: clinics, services and the providers who give them, and whether a
provider gives a service at its clinic. When they are free is schedule.py's.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor, get_owned
from deskbook.db.models import (
    Clinic,
    Package,
    PackagePurchase,
    PackageService,
    Provider,
    ProviderClinic,
    ProviderService,
    PurchaseQuota,
    Service,
)
from deskbook.errors import InvalidInput
from deskbook.results import ClinicView, ProviderView, ServiceView


def clinic_view(c: Clinic) -> ClinicView:
    return ClinicView(id=c.id, name_en=c.name_en, name_ar=c.name_ar, specialty=c.specialty)


def service_view(s: Service) -> ServiceView:
    return ServiceView(
        id=s.id,
        clinic_id=s.clinic_id,
        name_en=s.name_en,
        name_ar=s.name_ar,
        duration_minutes=s.duration_minutes,
        price=s.price,
        group_capable=s.group_capable,
    )


def provider_view(p: Provider) -> ProviderView:
    return ProviderView(id=p.id, name_en=p.name_en, name_ar=p.name_ar)


def _service_filter(
    session: Session,
    actor: Actor,
    package_id: uuid.UUID | None,
    purchase_id: uuid.UUID | None,
    service_id: uuid.UUID | None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(Service.tenant_id) == actor.tenant_id]
    if package_id is not None:
        get_owned(session, Package, package_id, actor, "package")
        conditions.append(
            col(Service.id).in_(
                select(col(PackageService.service_id)).where(
                    col(PackageService.package_id) == package_id
                )
            )
        )
    if purchase_id is not None:
        get_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
        conditions.append(
            col(Service.id).in_(
                select(col(PurchaseQuota.service_id)).where(
                    col(PurchaseQuota.purchase_id) == purchase_id
                )
            )
        )
    if service_id is not None:
        get_owned(session, Service, service_id, actor, "service")
        conditions.append(col(Service.id) == service_id)
    return conditions


def clinics_for(
    session: Session,
    actor: Actor,
    package_id: uuid.UUID | None,
    purchase_id: uuid.UUID | None,
    service_id: uuid.UUID | None,
) -> list[ClinicView]:
    stmt = (
        select(Clinic).where(col(Clinic.tenant_id) == actor.tenant_id).order_by(col(Clinic.name_en))
    )
    if package_id or purchase_id or service_id:
        conditions = _service_filter(session, actor, package_id, purchase_id, service_id)
        stmt = stmt.where(col(Clinic.id).in_(select(col(Service.clinic_id)).where(*conditions)))
    return [clinic_view(c) for c in session.scalars(stmt)]


def services_for(
    session: Session,
    actor: Actor,
    clinic_id: uuid.UUID | None,
    package_id: uuid.UUID | None,
    purchase_id: uuid.UUID | None,
) -> list[ServiceView]:
    conditions = _service_filter(session, actor, package_id, purchase_id, None)
    if clinic_id is not None:
        get_owned(session, Clinic, clinic_id, actor, "clinic")
        conditions.append(col(Service.clinic_id) == clinic_id)
    stmt = select(Service).where(*conditions).order_by(col(Service.name_en))
    return [service_view(s) for s in session.scalars(stmt)]


def providers_for(
    session: Session, actor: Actor, clinic_id: uuid.UUID, service_id: uuid.UUID | None
) -> list[Provider]:
    get_owned(session, Clinic, clinic_id, actor, "clinic")
    stmt = (
        select(Provider)
        .join(ProviderClinic, col(ProviderClinic.provider_id) == Provider.id)
        .where(
            col(Provider.tenant_id) == actor.tenant_id,
            col(Provider.active).is_(True),
            col(ProviderClinic.clinic_id) == clinic_id,
        )
        .order_by(col(Provider.name_en), col(Provider.id))
    )
    if service_id is not None:
        get_owned(session, Service, service_id, actor, "service")
        stmt = stmt.where(
            col(Provider.id).in_(
                select(col(ProviderService.provider_id)).where(
                    col(ProviderService.service_id) == service_id
                )
            )
        )
    return list(session.scalars(stmt))


def check_delivers(session: Session, provider: Provider, service: Service) -> None:
    """The provider works at the service's clinic and delivers the service."""
    delivers = session.scalar(
        select(col(ProviderService.provider_id))
        .join(
            ProviderClinic,
            (col(ProviderClinic.provider_id) == ProviderService.provider_id)
            & (col(ProviderClinic.clinic_id) == service.clinic_id),
        )
        .where(
            col(ProviderService.provider_id) == provider.id,
            col(ProviderService.service_id) == service.id,
        )
    )
    if not provider.active or delivers is None:
        raise InvalidInput(f"{provider.name_en} does not provide {service.name_en}.")
