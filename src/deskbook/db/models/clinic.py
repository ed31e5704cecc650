"""The organisation and what it sells: tenants, staff, patients, clinics, services,
providers and their hours, packages and their purchases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Index,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from deskbook.config import DEFAULT_CURRENCY, DEFAULT_TIMEZONE

# The enums live in deskbook.statuses, which the screens import without SQLModel; re-exported
# with the tables (deskbook.db.models) because the domain reads them beside the tables.
from deskbook.statuses import AppointmentKind as AppointmentKind
from deskbook.statuses import AppointmentStatus as AppointmentStatus
from deskbook.statuses import PaymentMethod as PaymentMethod
from deskbook.statuses import PurchaseStatus as PurchaseStatus
from deskbook.statuses import Role as Role


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class Tenant(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200)
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64)
    currency: str = Field(default=DEFAULT_CURRENCY, max_length=3)
    # The country a phone typed without +country code belongs to (ISO 3166, migration 0009).
    region: str = Field(default="SA", max_length=2)
    created_at: datetime = Field(default_factory=utcnow)


class Staff(SQLModel, table=True):
    # Logins carry no tenant name, so a username is unique across the whole database.
    __table_args__ = (UniqueConstraint("username", name="uq_staff_username"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    username: str = Field(max_length=64)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    provider_id: uuid.UUID | None = Field(default=None, foreign_key="provider.id")
    # The clinic the desk's day sheet and board open on (migration 0005).
    home_clinic_id: uuid.UUID | None = Field(default=None, foreign_key="clinic.id")
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    # How this login wants Arabic painted (deskbook.display.BidiMode); None: not chosen.
    display_mode: str | None = Field(default=None, max_length=16)


class Patient(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("tenant_id", "mrn", name="uq_patient_tenant_mrn"),
        Index("ix_patient_tenant_phone_norm", "tenant_id", "phone_norm"),
        Index("ix_patient_tenant_national_id", "tenant_id", "national_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    mrn: str = Field(max_length=32)
    name_en: str = Field(max_length=200)
    name_ar: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = Field(default=None)
    sex: str | None = Field(default=None, max_length=1)
    phone: str = Field(max_length=32)
    national_id: str | None = Field(default=None, max_length=32)
    # Written by deskbook.normalize, the same code that normalizes a typed query.
    name_norm: str = Field(default="", max_length=500)
    phone_norm: str = Field(default="", max_length=32)
    # Migration 0009 (deskbook.phones): phone is E.164; flagged when it could not be read and
    # was kept as typed. A child's guardian is who calls; search finds the child by that phone.
    phone_flagged: bool = Field(default=False)
    guardian_name: str | None = Field(default=None, max_length=200)
    guardian_phone: str | None = Field(default=None, max_length=32)
    guardian_phone_norm: str = Field(default="", max_length=32)
    notes: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)


class PatientPhoneKey(SQLModel, table=True):
    """Every run of 4 or more trailing digits of a patient's and a guardian's phone_norm, so a
    run typed from anywhere in the number is a prefix range of the primary key. Written only
    by the database triggers of migration 0009; on PostgreSQL `digits` has collation "C" so
    the range is a plain btree range."""

    __tablename__ = "patient_phone_key"
    tenant_id: uuid.UUID = Field(primary_key=True)
    digits: str = Field(primary_key=True, max_length=32)
    patient_id: uuid.UUID = Field(primary_key=True)


class Clinic(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    name_en: str = Field(max_length=200)
    name_ar: str | None = Field(default=None, max_length=200)
    specialty: str = Field(max_length=16)


class Service(SQLModel, table=True):
    __table_args__ = (CheckConstraint("duration_minutes > 0", name="ck_service_duration"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    clinic_id: uuid.UUID = Field(foreign_key="clinic.id", index=True)
    name_en: str = Field(max_length=200)
    name_ar: str | None = Field(default=None, max_length=200)
    duration_minutes: int
    price: Decimal = Field(max_digits=12, decimal_places=2)
    group_capable: bool = Field(default=False)


class Provider(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    name_en: str = Field(max_length=200)
    name_ar: str | None = Field(default=None, max_length=200)
    active: bool = Field(default=True)


class ProviderClinic(SQLModel, table=True):
    __tablename__ = "provider_clinic"

    provider_id: uuid.UUID = Field(foreign_key="provider.id", primary_key=True)
    clinic_id: uuid.UUID = Field(foreign_key="clinic.id", primary_key=True, index=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")


class ProviderService(SQLModel, table=True):
    __tablename__ = "provider_service"

    provider_id: uuid.UUID = Field(foreign_key="provider.id", primary_key=True)
    service_id: uuid.UUID = Field(foreign_key="service.id", primary_key=True, index=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")


class ProviderSchedule(SQLModel, table=True):
    """A weekly working window, in the tenant's local time. weekday: 0 Monday .. 6 Sunday."""

    __tablename__ = "provider_schedule"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_schedule_weekday"),
        CheckConstraint("start_time < end_time", name="ck_schedule_order"),
        Index("ix_schedule_provider_weekday", "provider_id", "weekday"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    provider_id: uuid.UUID = Field(foreign_key="provider.id")
    clinic_id: uuid.UUID = Field(foreign_key="clinic.id")
    weekday: int
    start_time: time
    end_time: time


class ProviderTimeOff(SQLModel, table=True):
    __tablename__ = "provider_time_off"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="ck_time_off_order"),
        Index("ix_time_off_provider_start", "provider_id", "start_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    provider_id: uuid.UUID = Field(foreign_key="provider.id")
    start_at: datetime
    end_at: datetime
    reason: str | None = Field(default=None, max_length=200)


class Package(SQLModel, table=True):
    __table_args__ = (CheckConstraint("validity_days > 0", name="ck_package_validity"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    name_en: str = Field(max_length=200)
    name_ar: str | None = Field(default=None, max_length=200)
    price: Decimal = Field(max_digits=12, decimal_places=2)
    validity_days: int
    active: bool = Field(default=True)


class PackageService(SQLModel, table=True):
    __tablename__ = "package_service"
    __table_args__ = (
        UniqueConstraint("package_id", "service_id", name="uq_package_service"),
        CheckConstraint("sessions > 0", name="ck_package_service_sessions"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    package_id: uuid.UUID = Field(foreign_key="package.id")
    service_id: uuid.UUID = Field(foreign_key="service.id")
    sessions: int


class PackagePurchase(SQLModel, table=True):
    __tablename__ = "package_purchase"
    __table_args__ = (
        CheckConstraint("purchase_date <= expiry_date", name="ck_purchase_dates"),
        CheckConstraint(
            "status IN ('ACTIVE', 'COMPLETED', 'EXPIRED', 'CANCELLED', 'VOIDED', 'TRANSFERRED')",
            name="ck_purchase_status",
        ),
        CheckConstraint("refund_due IS NULL OR refund_due >= 0", name="ck_purchase_refund"),
        Index("ix_purchase_patient", "tenant_id", "patient_id"),
        Index("ix_purchase_tenant_expiry", "tenant_id", "expiry_date"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    patient_id: uuid.UUID = Field(foreign_key="patient.id")
    package_id: uuid.UUID = Field(foreign_key="package.id")
    purchase_date: date
    expiry_date: date
    price_paid: Decimal = Field(max_digits=12, decimal_places=2)
    status: str = Field(default=PurchaseStatus.ACTIVE, max_length=16)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow)
    # What cancel_purchase found was owed back: paid beyond the value of the sessions used.
    refund_due: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)


class PurchaseQuota(SQLModel, table=True):
    """Sessions per service, copied from the package when it was bought."""

    __tablename__ = "purchase_quota"
    __table_args__ = (
        UniqueConstraint("purchase_id", "service_id", name="uq_purchase_quota"),
        CheckConstraint("quota > 0", name="ck_purchase_quota_positive"),
        CheckConstraint("moved_out BETWEEN 0 AND quota", name="ck_purchase_quota_moved_out"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    purchase_id: uuid.UUID = Field(foreign_key="package_purchase.id")
    service_id: uuid.UUID = Field(foreign_key="service.id")
    quota: int
    # Sessions handed to another patient's purchase by a transfer: the quota stays as sold,
    # so what this purchase may still book is quota - moved_out.
    moved_out: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
