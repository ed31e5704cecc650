"""What the Desk API hands back: frozen dataclasses, never ORM rows.

Times are timezone-aware datetimes (UTC; a screen shows them in StaffView.timezone). Money is
Decimal in StaffView.currency. Ids are UUIDs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class StaffView:
    id: uuid.UUID
    username: str
    display_name: str
    role: str
    tenant_id: uuid.UUID
    tenant_name: str
    timezone: str
    currency: str
    provider_id: uuid.UUID | None
    home_clinic_id: uuid.UUID | None = None  # the clinic the day sheet and board open on
    # deskbook.display.BidiMode's value, as this login chose it; None: not chosen.
    display_mode: str | None = None


@dataclass(frozen=True)
class PatientSummary:
    id: uuid.UUID
    mrn: str
    name_en: str
    name_ar: str | None
    phone: str  # as the desk shows it: national format ("050 543 5510"), see deskbook.phones
    date_of_birth: date | None
    age: int | None
    national_id: str | None
    sex: str | None
    phone_e164: str = ""  # as stored; the text as typed when phone_flagged
    phone_flagged: bool = False  # could not be read as a phone number (kept as typed)
    guardian_name: str | None = None
    guardian_phone: str | None = None  # national format, like phone
    notes: str | None = None  # alerts the patient header shows


@dataclass(frozen=True)
class PatientCandidate:
    """A record that may be the same person as the one being registered or edited."""

    patient: PatientSummary
    reasons: tuple[str, ...]  # "same phone", "same national id", "same name and date of birth"


@dataclass(frozen=True)
class QuotaView:
    """One service of a purchase. used = completed + scheduled; remaining = quota - used."""

    service_id: uuid.UUID
    service_name_en: str
    service_name_ar: str | None
    quota: int
    completed: int  # COMPLETED and NO_SHOW: the session was spent
    scheduled: int  # BOOKED, CONFIRMED, ARRIVED: the session is held
    used: int
    remaining: int


@dataclass(frozen=True)
class PurchaseView:
    id: uuid.UUID
    patient_id: uuid.UUID
    package_id: uuid.UUID
    name_en: str
    name_ar: str | None
    purchase_date: date
    expiry_date: date
    price_paid: Decimal
    status: str
    services: tuple[QuotaView, ...]
    total: int
    completed: int
    scheduled: int
    used: int
    remaining: int
    usable: bool
    reason: str | None  # why not usable: "expired on 2026-10-01", "no sessions left", ...
    price: Decimal  # what the purchase costs (price_paid: the price agreed at the sale)
    paid: Decimal  # its payments so far
    balance: Decimal  # still owed; 0 once cancelled, voided or transferred away
    days_left: int  # days until the expiry day, 0 on it and after
    warning: str | None  # "expires in 9 days, 4 sessions left — not enough weekly slots ..."


@dataclass(frozen=True)
class CatalogService:
    service_id: uuid.UUID
    name_en: str
    name_ar: str | None
    sessions: int
    clinic_id: uuid.UUID
    clinic_name_en: str
    clinic_name_ar: str | None


@dataclass(frozen=True)
class CatalogPackage:
    id: uuid.UUID
    name_en: str
    name_ar: str | None
    price: Decimal
    currency: str
    validity_days: int
    total_sessions: int
    services: tuple[CatalogService, ...]


@dataclass(frozen=True)
class PackageChoice:
    assigned: tuple[PurchaseView, ...]
    available: tuple[CatalogPackage, ...]


@dataclass(frozen=True)
class ClinicView:
    id: uuid.UUID
    name_en: str
    name_ar: str | None
    specialty: str


@dataclass(frozen=True)
class ServiceView:
    id: uuid.UUID
    clinic_id: uuid.UUID
    name_en: str
    name_ar: str | None
    duration_minutes: int
    price: Decimal
    group_capable: bool


@dataclass(frozen=True)
class ProviderView:
    id: uuid.UUID
    name_en: str
    name_ar: str | None


@dataclass(frozen=True)
class AppointmentView:
    id: uuid.UUID
    patient_id: uuid.UUID
    patient_name_en: str
    patient_name_ar: str | None
    patient_mrn: str
    clinic_id: uuid.UUID
    clinic_name_en: str
    service_id: uuid.UUID
    service_name_en: str
    provider_id: uuid.UUID
    provider_name_en: str
    start: datetime
    end: datetime
    status: str
    kind: str
    purchase_id: uuid.UUID | None
    session_number: int | None
    session_total: int | None  # the purchase's quota for this service
    group_session_id: uuid.UUID | None
    notes: str | None
    series_id: uuid.UUID | None = None  # the course the visit belongs to, if any

    @property
    def session_label(self) -> str | None:
        """ "session 3 of 10" for a package visit, else None."""
        if self.session_number is None:
            return None
        total = self.session_total if self.session_total is not None else "?"
        return f"session {self.session_number} of {total}"


@dataclass(frozen=True)
class GroupSessionView:
    id: uuid.UUID
    clinic_id: uuid.UUID
    service_id: uuid.UUID
    service_name_en: str
    provider_id: uuid.UUID
    provider_name_en: str
    start: datetime
    end: datetime
    capacity: int
    taken: int
    seats_left: int


@dataclass(frozen=True)
class AuditView:
    id: uuid.UUID
    at: datetime
    staff_username: str | None
    action: str
    entity: str
    entity_id: uuid.UUID | None
    before: str | None  # JSON text
    after: str | None  # JSON text
    staff_name: str | None = None
    desk: str | None = None  # where the staff member sat (migration 0006); None before it
    # When the event is about a patient: who, as the desk knows them.
    patient_name: str | None = None
    patient_mrn: str | None = None


@dataclass(frozen=True)
class PatientMatches:
    """The first patients a search found, best first, and how many matched in all: a screen
    says "312 matches, first 50", or "more than 1,000 matches" when `more` is set."""

    patients: tuple[PatientSummary, ...]
    total: int  # every match, counted up to deskbook.db.search.COUNT_CAP
    more: bool  # more than `total` matched: the count stopped at its cap


@dataclass(frozen=True)
class SessionPreview:
    """The session a package visit at a given time would be: "Session 2 of 4"."""

    number: int  # by the purchase's numbering rule: live visits in start order
    total: int  # the purchase's sessions, every service (as AppointmentView.session_total)
    service_remaining: int  # sessions of this service not yet used or booked


@dataclass(frozen=True)
class SlotView:
    """One start time of a provider's day for a service: free, or why not."""

    start: datetime
    free: bool
    reason: str | None  # "booked", "provider off", "passed", "the patient has a visit at 10:00"
