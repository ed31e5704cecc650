"""The words a row's status or kind may hold, importable without SQLModel.

The tables (deskbook.db.models) store these values; the screens compare against them. Keeping
them here lets the Textual app name a status without loading the ORM at start-up.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    FRONT_DESK = "FRONT_DESK"
    PROVIDER = "PROVIDER"


class PurchaseStatus(StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    VOIDED = "VOIDED"
    TRANSFERRED = "TRANSFERRED"


class PaymentMethod(StrEnum):
    CASH = "CASH"
    CARD = "CARD"
    TRANSFER = "TRANSFER"


class AppointmentKind(StrEnum):
    SINGLE = "SINGLE"
    PACKAGE = "PACKAGE"
    GROUP = "GROUP"


class AppointmentStatus(StrEnum):
    BOOKED = "BOOKED"
    CONFIRMED = "CONFIRMED"
    ARRIVED = "ARRIVED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


# Open: the appointment has not happened yet or is happening now. It holds its slot and, for a
# package, its session ("scheduled"); it can still be cancelled or completed.
OPEN_STATUSES: tuple[AppointmentStatus, ...] = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.ARRIVED,
)
# Not started: the patient has not arrived yet, so check-in and no-show still apply.
NOT_STARTED_STATUSES: tuple[AppointmentStatus, ...] = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
)
