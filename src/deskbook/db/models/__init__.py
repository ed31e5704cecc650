"""The tables. Every row carries tenant_id; keys are UUIDs; times are aware and stored as UTC.

These classes stay inside deskbook.db and the domain modules: what goes up to a screen is a
frozen dataclass, never one of these rows. Importing this package registers every table in
`metadata`, whichever of its modules a caller needs.
"""

from sqlmodel import SQLModel

from deskbook.db.models.clinic import (
    AppointmentKind,
    AppointmentStatus,
    Clinic,
    Package,
    PackagePurchase,
    PackageService,
    Patient,
    PatientPhoneKey,
    PaymentMethod,
    Provider,
    ProviderClinic,
    ProviderSchedule,
    ProviderService,
    ProviderTimeOff,
    PurchaseQuota,
    PurchaseStatus,
    Role,
    Service,
    Staff,
    Tenant,
    new_id,
    utcnow,
)
from deskbook.db.models.visits import (
    Appointment,
    AuditEvent,
    ClientRequest,
    GroupSession,
    Payment,
    ProviderBlock,
    Series,
    TenantVersion,
    WaitlistEntry,
)

metadata = SQLModel.metadata

__all__ = [
    "Appointment",
    "AppointmentKind",
    "AppointmentStatus",
    "AuditEvent",
    "ClientRequest",
    "Clinic",
    "GroupSession",
    "Package",
    "PackagePurchase",
    "PackageService",
    "Patient",
    "PatientPhoneKey",
    "Payment",
    "PaymentMethod",
    "Provider",
    "ProviderBlock",
    "ProviderClinic",
    "ProviderSchedule",
    "ProviderService",
    "ProviderTimeOff",
    "PurchaseQuota",
    "PurchaseStatus",
    "Role",
    "Series",
    "Service",
    "Staff",
    "Tenant",
    "TenantVersion",
    "WaitlistEntry",
    "metadata",
    "new_id",
    "utcnow",
]
