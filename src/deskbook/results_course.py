"""What the Desk API hands back about courses of treatment, a purchase's life and its money,
and the package reports. Frozen dataclasses, as in deskbook.results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from deskbook.results import AppointmentView, ProviderView, PurchaseView


@dataclass(frozen=True)
class SeriesAlternative:
    """Another way to give a visit of a course on the same day."""

    provider_id: uuid.UUID
    start: datetime


@dataclass(frozen=True)
class PlannedVisit:
    """One visit of a planned course. status is FREE, PROVIDER_BUSY, PATIENT_BUSY, OFF,
    AFTER_EXPIRY or PAST; alternatives are offered for the busy and off ones."""

    start: datetime
    end: datetime
    provider_id: uuid.UUID
    status: str
    alternatives: tuple[SeriesAlternative, ...]

    @property
    def free(self) -> bool:
        return self.status == "FREE"


@dataclass(frozen=True)
class SeriesPlan:
    purchase_id: uuid.UUID
    service_id: uuid.UUID
    patient_id: uuid.UUID
    provider_id: uuid.UUID | None  # None: any provider of the service
    weekdays: tuple[str, ...]
    at: time
    first_day: date
    every_weeks: int
    rule: str  # RFC 5545: DTSTART;TZID=... and RRULE:FREQ=WEEKLY;...;WKST=SU
    occurrences: tuple[PlannedVisit, ...]
    providers: tuple[ProviderView, ...]  # who gives the service at its clinic

    @property
    def choices(self) -> list[tuple[uuid.UUID, datetime]]:
        """The free visits, as book_series takes them."""
        return [(o.provider_id, o.start) for o in self.occurrences if o.free]


@dataclass(frozen=True)
class SeriesView:
    id: uuid.UUID
    purchase_id: uuid.UUID
    service_id: uuid.UUID
    rule: str
    appointments: tuple[AppointmentView, ...]  # the live visits of the course, by time
    cancelled: int  # visits of the course cancelled so far


@dataclass(frozen=True)
class PaymentView:
    id: uuid.UUID
    purchase_id: uuid.UUID
    amount: Decimal
    method: str
    reference: str | None
    at: datetime
    paid: Decimal  # the purchase's payments so far, this one included
    balance: Decimal  # still owed on the purchase


@dataclass(frozen=True)
class CancelledPurchase:
    purchase: PurchaseView
    cancelled_visits: int
    paid: Decimal
    refund_due: Decimal  # paid beyond the value of the sessions used, pro rata of the price
    currency: str


@dataclass(frozen=True)
class TransferredPurchase:
    original: PurchaseView  # now TRANSFERRED
    new: PurchaseView  # the other patient's, holding the sessions that moved
    sessions_moved: int


@dataclass(frozen=True)
class ExpiringPurchase:
    purchase_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name_en: str
    patient_mrn: str
    patient_phone: str
    package_name_en: str
    expiry_date: date
    days_left: int
    remaining: int
    warning: str


@dataclass(frozen=True)
class PackageReportRow:
    package_id: uuid.UUID
    package: str
    sold: int
    sales: Decimal
    completed: int
    completion_rate: Decimal  # completed purchases / sold, 0..1
    sessions: int
    sessions_used: int
    sessions_expired_unused: int
    cancelled: int
    transferred: int


@dataclass(frozen=True)
class UtilizationReportRow:
    provider_id: uuid.UUID
    provider: str
    clinic_id: uuid.UUID
    clinic: str
    scheduled_minutes: int
    booked_minutes: int
    utilization: Decimal  # booked / scheduled, 0..1 (above 1 only for bookings off schedule)


@dataclass(frozen=True)
class RevenueReportRow:
    clinic_id: uuid.UUID
    clinic: str
    sold: int
    sales: Decimal
    received: Decimal
    balance_due: Decimal
    refunds_due: Decimal
