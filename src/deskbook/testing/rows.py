"""The one place test data is written from: a builder per table, used by every scenario.

Scenarios write rows straight through the models (there is no use case for creating a clinic,
and the tests must not lean on the code they test), so the columns a use case would fill (the
normalized search columns of a patient, the quotas of a purchase, the provider block of a
booking) are filled here, once. `*_values` gives a row as a dict, for bulk inserts of many
rows; `Rows` writes one row at a time into an open session, flushed so its id can be used.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from deskbook.config import DEFAULT_CURRENCY, DEFAULT_TIMEZONE
from deskbook.db.models import (
    Appointment,
    AppointmentKind,
    AuditEvent,
    Clinic,
    GroupSession,
    Package,
    PackagePurchase,
    PackageService,
    Patient,
    Provider,
    ProviderBlock,
    ProviderClinic,
    ProviderSchedule,
    ProviderService,
    PurchaseQuota,
    Role,
    Service,
    Staff,
    Tenant,
)
from deskbook.normalize import normalize_phone, patient_name_norm

Row = TypeVar("Row", bound=SQLModel)
Values = dict[str, Any]

# A provider's day unless a scenario says otherwise; every weekday, so any day can be booked.
OPENS, CLOSES = time(8, 0), time(18, 0)
WEEK = range(7)


def patient_values(
    tenant_id: uuid.UUID,
    mrn: str,
    name_en: str,
    phone: str,
    name_ar: str | None = None,
    **more: Any,
) -> Values:
    """A patient with the search columns the register use case writes."""
    return dict(
        tenant_id=tenant_id,
        mrn=mrn,
        name_en=name_en,
        name_ar=name_ar,
        phone=phone,
        name_norm=patient_name_norm(name_en, name_ar),
        phone_norm=normalize_phone(phone),
        **more,
    )


def purchase_values(
    tenant_id: uuid.UUID,
    patient_id: uuid.UUID,
    package: Package,
    bought: date,
    expiry: date | None = None,
) -> Values:
    """A purchase at the package's price, valid for the package's days unless expiry says."""
    return dict(
        tenant_id=tenant_id,
        patient_id=patient_id,
        package_id=package.id,
        purchase_date=bought,
        expiry_date=expiry or bought + timedelta(days=package.validity_days),
        price_paid=package.price,
    )


def appointment_values(
    tenant_id: uuid.UUID,
    patient_id: uuid.UUID,
    service: Service,
    provider_id: uuid.UUID,
    start: datetime,
    **more: Any,
) -> Values:
    """An appointment of the service's length in the service's clinic."""
    return dict(
        tenant_id=tenant_id,
        patient_id=patient_id,
        clinic_id=service.clinic_id,
        service_id=service.id,
        provider_id=provider_id,
        start_at=start,
        end_at=start + timedelta(minutes=service.duration_minutes),
        **more,
    )


def block_values(holder: Appointment | GroupSession | Mapping[str, Any]) -> Values:
    """The provider's time an individual appointment or a group session holds (a mapping is
    an appointment's values, as bulk inserts have them)."""

    def value(key: str) -> Any:
        return holder[key] if isinstance(holder, Mapping) else getattr(holder, key)

    owner = "group_session_id" if isinstance(holder, GroupSession) else "appointment_id"
    return dict(
        tenant_id=value("tenant_id"),
        provider_id=value("provider_id"),
        start_at=value("start_at"),
        end_at=value("end_at"),
        **{owner: value("id")},
    )


def with_defaults(model: type[SQLModel], values: Values) -> Values:
    """values with every column the caller left out set as the model would set it."""
    for name, default, factory in _defaults(model):
        if name not in values:
            values[name] = factory() if factory else default
    return values


@cache
def _defaults(model: type[SQLModel]) -> tuple[tuple[str, Any, Callable[[], Any] | None], ...]:
    # Looked up once per model: asking pydantic for every row of a bulk insert is slow.
    return tuple(
        (name, info.default, info.default_factory)  # type: ignore[misc]  # (no-argument factories only)
        for name, info in model.model_fields.items()
        if not info.is_required()
    )


def bulk_insert(conn: Connection, model: type[SQLModel], rows: Iterable[Values]) -> list[Values]:
    """Many rows in one executemany: tens of thousands of ORM objects would take far longer.
    Returns the rows with their defaults (ids) filled in."""
    complete = [with_defaults(model, dict(row)) for row in rows]
    if complete:
        conn.execute(insert(model), complete)
    return complete


class Rows:
    """Builders for one tenant's rows, each added to session and flushed."""

    def __init__(self, session: Session, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    @classmethod
    def new_tenant(
        cls,
        session: Session,
        name: str,
        timezone: str = DEFAULT_TIMEZONE,
        currency: str = DEFAULT_CURRENCY,
    ) -> Rows:
        tenant = Tenant(name=name, timezone=timezone, currency=currency)
        session.add(tenant)
        session.flush()
        return cls(session, tenant.id)

    def add(self, row: Row) -> Row:
        self.session.add(row)
        self.session.flush()
        return row

    def staff(
        self,
        username: str,
        password_hash: str,
        role: Role = Role.FRONT_DESK,
        display_name: str | None = None,
        provider_id: uuid.UUID | None = None,
    ) -> Staff:
        return self.add(
            Staff(
                tenant_id=self.tenant_id,
                username=username,
                display_name=display_name or username.title(),
                password_hash=password_hash,
                role=role,
                provider_id=provider_id,
            )
        )

    def clinic(self, name_en: str, specialty: str, name_ar: str | None = None) -> Clinic:
        return self.add(
            Clinic(tenant_id=self.tenant_id, name_en=name_en, name_ar=name_ar, specialty=specialty)
        )

    def service(
        self, clinic: Clinic, name_en: str, minutes: int, price: Decimal, group: bool = False
    ) -> Service:
        return self.add(
            Service(
                tenant_id=self.tenant_id,
                clinic_id=clinic.id,
                name_en=name_en,
                duration_minutes=minutes,
                price=price,
                group_capable=group,
            )
        )

    def provider(
        self,
        name_en: str,
        clinic: Clinic,
        delivers: Iterable[Service],
        hours: tuple[time, time] = (OPENS, CLOSES),
        name_ar: str | None = None,
    ) -> Provider:
        """A provider of one clinic who delivers the given services, at work every day."""
        t = self.tenant_id
        provider = self.add(Provider(tenant_id=t, name_en=name_en, name_ar=name_ar))
        self.session.add(ProviderClinic(provider_id=provider.id, clinic_id=clinic.id, tenant_id=t))
        for service in delivers:
            self.session.add(
                ProviderService(provider_id=provider.id, service_id=service.id, tenant_id=t)
            )
        opens, closes = hours
        for weekday in WEEK:
            self.session.add(
                ProviderSchedule(
                    tenant_id=t,
                    provider_id=provider.id,
                    clinic_id=clinic.id,
                    weekday=weekday,
                    start_time=opens,
                    end_time=closes,
                )
            )
        self.session.flush()
        return provider

    def package(
        self,
        name_en: str,
        sessions: Mapping[uuid.UUID, int],
        price: Decimal,
        validity_days: int,
    ) -> Package:
        """A catalog package: so many sessions of each service (by id), valid for so many
        days."""
        t = self.tenant_id
        package = self.add(
            Package(tenant_id=t, name_en=name_en, price=price, validity_days=validity_days)
        )
        for service_id, count in sessions.items():
            self.session.add(
                PackageService(
                    tenant_id=t, package_id=package.id, service_id=service_id, sessions=count
                )
            )
        self.session.flush()
        return package

    def patient(
        self, mrn: str, name_en: str, phone: str, name_ar: str | None = None, **more: Any
    ) -> Patient:
        return self.add(
            Patient(**patient_values(self.tenant_id, mrn, name_en, phone, name_ar, **more))
        )

    def purchase(
        self,
        patient_id: uuid.UUID,
        package: Package | uuid.UUID,
        bought: date,
        expiry: date | None = None,
        quota: int | None = None,
    ) -> PackagePurchase:
        """A purchase of a catalog package, with a quota for each of its services (the
        package's sessions unless quota says otherwise)."""
        if isinstance(package, uuid.UUID):
            found = self.session.get(Package, package)
            assert found is not None, f"no package {package}"
            package = found
        purchase = self.add(
            PackagePurchase(**purchase_values(self.tenant_id, patient_id, package, bought, expiry))
        )
        items = select(PackageService).where(col(PackageService.package_id) == package.id)
        for item in self.session.scalars(items):
            self.session.add(
                PurchaseQuota(
                    tenant_id=self.tenant_id,
                    purchase_id=purchase.id,
                    service_id=item.service_id,
                    quota=quota or item.sessions,
                )
            )
        self.session.flush()
        return purchase

    def appointment(
        self,
        patient_id: uuid.UUID,
        service: Service,
        provider_id: uuid.UUID,
        start: datetime,
        **more: Any,
    ) -> Appointment:
        """An appointment as the booking code writes it: an individual one holds the
        provider's time with a block, a group seat does not (its session does)."""
        appointment = self.add(
            Appointment(
                **appointment_values(
                    self.tenant_id, patient_id, service, provider_id, start, **more
                )
            )
        )
        if appointment.kind != AppointmentKind.GROUP:
            self.add(ProviderBlock(**block_values(appointment)))
        return appointment

    def group_session(
        self, service: Service, provider_id: uuid.UUID, start: datetime, capacity: int
    ) -> GroupSession:
        """A group session holding its provider's time, with no one in it yet."""
        group = self.add(
            GroupSession(
                tenant_id=self.tenant_id,
                clinic_id=service.clinic_id,
                service_id=service.id,
                provider_id=provider_id,
                start_at=start,
                end_at=start + timedelta(minutes=service.duration_minutes),
                capacity=capacity,
            )
        )
        self.add(ProviderBlock(**block_values(group)))
        return group

    def seat(self, group: GroupSession, patient_id: uuid.UUID) -> Appointment:
        """A patient's seat in a group session."""
        return self.add(
            Appointment(
                tenant_id=self.tenant_id,
                patient_id=patient_id,
                clinic_id=group.clinic_id,
                service_id=group.service_id,
                provider_id=group.provider_id,
                start_at=group.start_at,
                end_at=group.end_at,
                kind=AppointmentKind.GROUP,
                group_session_id=group.id,
            )
        )

    def seeded_audit(self, staff_id: uuid.UUID, entity: str, entity_id: uuid.UUID) -> None:
        """The audit event of a seeded row, so that checks of 'every write is audited' hold."""
        self.session.add(
            AuditEvent(
                tenant_id=self.tenant_id,
                staff_id=staff_id,
                action="seed",
                entity=entity,
                entity_id=entity_id,
                after='{"seeded": true}',
            )
        )
