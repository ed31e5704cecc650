"""What a desk writes through the day: group sessions, appointments, the providers' blocks
that keep them apart, series, payments, the audit, the waitlist, and the bookkeeping of
versions and request ids."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    PrimaryKeyConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from deskbook.db.models.clinic import new_id, utcnow
from deskbook.statuses import AppointmentKind, AppointmentStatus


class GroupSession(SQLModel, table=True):
    __tablename__ = "group_session"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="ck_group_order"),
        CheckConstraint("capacity > 0", name="ck_group_capacity"),
        Index("ix_group_tenant_start", "tenant_id", "start_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    clinic_id: uuid.UUID = Field(foreign_key="clinic.id")
    service_id: uuid.UUID = Field(foreign_key="service.id")
    provider_id: uuid.UUID = Field(foreign_key="provider.id")
    start_at: datetime
    end_at: datetime
    capacity: int
    cancelled: bool = Field(default=False)


# Covering: the day sheet sorts and counts a network's day, and the board counts a clinic's
# day per provider, from these alone (migration 0011).
NETWORK_DAY_COLUMNS = ("tenant_id", "start_at", "status", "provider_id", "id")
# Covering too, or SQLite without statistics (only the demo runs ANALYZE) reads a provider's
# day out of the network's: both would cover, this one has the tighter key.
PROVIDER_DAY_COLUMNS = ("tenant_id", "provider_id", "start_at", "status", "id")
CLINIC_DAY_COLUMNS = (
    "tenant_id",
    "clinic_id",
    "start_at",
    "provider_id",
    "end_at",
    "status",
    "kind",
    "id",
)


class Appointment(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="ck_appointment_order"),
        CheckConstraint(
            "(kind = 'PACKAGE') = (purchase_id IS NOT NULL AND session_number IS NOT NULL)",
            name="ck_appointment_package_link",
        ),
        CheckConstraint(
            "(kind = 'GROUP') = (group_session_id IS NOT NULL)", name="ck_appointment_group_link"
        ),
        CheckConstraint("session_number IS NULL OR session_number > 0", name="ck_session_number"),
        # Invariant 4 in the schema: one live appointment per session number of a purchase.
        Index(
            "uq_appointment_purchase_session",
            "purchase_id",
            "session_number",
            unique=True,
            sqlite_where=text("status <> 'CANCELLED' AND purchase_id IS NOT NULL"),
            postgresql_where=text("status <> 'CANCELLED' AND purchase_id IS NOT NULL"),
        ),
        Index("ix_appointment_patient_start", "tenant_id", "patient_id", "start_at"),
        Index("ix_appointment_provider_start", *PROVIDER_DAY_COLUMNS),
        Index("ix_appointment_clinic_start", *CLINIC_DAY_COLUMNS),
        Index("ix_appointment_tenant_start", *NETWORK_DAY_COLUMNS),
        # Everything the utilization report reads, in its grouping order (migration 0010).
        Index(
            "ix_appointment_provider_clinic_visits",
            "tenant_id",
            "provider_id",
            "clinic_id",
            "start_at",
            "end_at",
            "status",
            "kind",
        ),
        # status: the packages report counts a purchase's spent visits from the index alone.
        Index("ix_appointment_purchase", "purchase_id", "service_id", "status"),
        Index("ix_appointment_group", "group_session_id"),
        # Partial: most visits have no course (migration 0008 says why that matters).
        Index(
            "ix_appointment_series",
            "series_id",
            sqlite_where=text("series_id IS NOT NULL"),
            postgresql_where=text("series_id IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    patient_id: uuid.UUID = Field(foreign_key="patient.id")
    clinic_id: uuid.UUID = Field(foreign_key="clinic.id")
    service_id: uuid.UUID = Field(foreign_key="service.id")
    provider_id: uuid.UUID = Field(foreign_key="provider.id")
    start_at: datetime
    end_at: datetime
    kind: str = Field(default=AppointmentKind.SINGLE, max_length=16)
    status: str = Field(default=AppointmentStatus.BOOKED, max_length=16)
    purchase_id: uuid.UUID | None = Field(default=None, foreign_key="package_purchase.id")
    session_number: int | None = Field(default=None)
    group_session_id: uuid.UUID | None = Field(default=None, foreign_key="group_session.id")
    series_id: uuid.UUID | None = Field(default=None, foreign_key="series.id")
    booked_by: uuid.UUID | None = Field(default=None, foreign_key="staff.id")
    notes: str | None = Field(default=None, max_length=2000)
    cancel_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProviderBlock(SQLModel, table=True):
    """A span of a provider's time that is held: one per live individual appointment and one
    per live group session. The overlap rule (invariant 1) lives on this one table; a
    cancellation deletes the block."""

    __tablename__ = "provider_block"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="ck_block_order"),
        CheckConstraint(
            "(appointment_id IS NULL) <> (group_session_id IS NULL)", name="ck_block_owner"
        ),
        # By end first: "blocks still running after t" is a short range (today on), where
        # "blocks starting before t" would walk the provider's whole past.
        Index("ix_block_provider_end", "provider_id", "end_at", "start_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    provider_id: uuid.UUID = Field(foreign_key="provider.id")
    start_at: datetime
    end_at: datetime
    appointment_id: uuid.UUID | None = Field(
        default=None, foreign_key="appointment.id", unique=True, ondelete="CASCADE"
    )
    group_session_id: uuid.UUID | None = Field(
        default=None, foreign_key="group_session.id", unique=True, ondelete="CASCADE"
    )


class Series(SQLModel, table=True):
    """A course of a purchase's sessions booked in one go; its visits are ordinary
    appointments that point back here. rule is RFC 5545 text (DTSTART;TZID + RRULE, WKST=SU),
    or DTSTART + RDATE when the chosen visits follow no weekly rule."""

    __table_args__ = (Index("ix_series_purchase", "purchase_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    purchase_id: uuid.UUID = Field(foreign_key="package_purchase.id")
    service_id: uuid.UUID = Field(foreign_key="service.id")
    rule: str = Field(max_length=4000)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow)


class Payment(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_payment_amount"),
        CheckConstraint("method IN ('CASH', 'CARD', 'TRANSFER')", name="ck_payment_method"),
        Index("ix_payment_purchase", "purchase_id"),
        Index("ix_payment_tenant_at", "tenant_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    purchase_id: uuid.UUID = Field(foreign_key="package_purchase.id")
    amount: Decimal = Field(max_digits=12, decimal_places=2)
    method: str = Field(max_length=16)
    reference: str | None = Field(default=None, max_length=100)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_tenant_at", "tenant_id", "at"),
        Index("ix_audit_tenant_entity", "tenant_id", "entity_id", "at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    staff_id: uuid.UUID | None = Field(default=None, foreign_key="staff.id")
    at: datetime = Field(default_factory=utcnow)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: uuid.UUID | None = Field(default=None)
    before: str | None = Field(default=None)  # JSON text
    after: str | None = Field(default=None)  # JSON text
    desk: str | None = Field(default=None, max_length=128)  # where the staff member sat


class WaitlistEntry(SQLModel, table=True):
    """A patient waiting for a service, optionally with one provider, on some weekdays (bit 0 =
    Monday .. bit 6 = Sunday; 0 = any day) and inside a local time-of-day window."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        CheckConstraint(
            "earliest IS NULL OR latest IS NULL OR earliest < latest", name="ck_waitlist_window"
        ),
        CheckConstraint("weekdays BETWEEN 0 AND 127", name="ck_waitlist_weekdays"),
        Index("ix_waitlist_tenant_service", "tenant_id", "service_id", "created_at"),
        Index("ix_waitlist_patient", "tenant_id", "patient_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    patient_id: uuid.UUID = Field(foreign_key="patient.id")
    service_id: uuid.UUID = Field(foreign_key="service.id")
    clinic_id: uuid.UUID = Field(foreign_key="clinic.id")
    provider_id: uuid.UUID | None = Field(default=None, foreign_key="provider.id")
    earliest: time | None = Field(default=None)
    latest: time | None = Field(default=None)
    weekdays: int = Field(default=0)
    note: str | None = Field(default=None, max_length=500)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = Field(default_factory=utcnow)


class TenantVersion(SQLModel, table=True):
    """Raised by one in every audited write transaction of the tenant (deskbook.audit), so a
    screen learns that something changed from one primary-key read."""

    __tablename__ = "tenant_version"

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", primary_key=True)
    version: int = Field(default=0, sa_type=BigInteger)


class ClientRequest(SQLModel, table=True):
    """A write a desk asked for under its own request id (one per user action): a second try
    of the same request finds this row and gets the first result back instead of doing it
    twice. The row is written first in the write's transaction, so a re-send racing the first
    try waits on the key and then finds it."""

    __tablename__ = "client_request"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "request_id", name="pk_client_request"),)

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    request_id: uuid.UUID
    staff_id: uuid.UUID = Field(foreign_key="staff.id")
    action: str = Field(max_length=32)
    result_id: uuid.UUID | None = Field(default=None)  # the appointment or purchase it made
    created_at: datetime = Field(default_factory=utcnow)
