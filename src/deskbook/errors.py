"""Errors a user can cause. Each says what happened in words a receptionist understands."""

from __future__ import annotations

import uuid
from datetime import datetime


class DeskError(Exception):
    """Base of every error the API raises on purpose; its str() is the sentence to show."""

    default_message = "Something went wrong."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class NotFound(DeskError):
    default_message = "Not found."


class PermissionDenied(DeskError):
    default_message = "You are not allowed to do that."


class LoginFailed(PermissionDenied):
    # One sentence for every failure (unknown name, wrong password, locked login), so the
    # answer does not tell which usernames exist.
    default_message = (
        "Wrong username or password. After 5 wrong tries a login waits 15 minutes; "
        "an administrator can unlock it sooner."
    )


class InvalidInput(DeskError):
    default_message = "That input is not valid."


class SlotTaken(DeskError):
    default_message = "That slot was just taken by another desk — pick another."


class PatientBusy(DeskError):
    default_message = "The patient already has an appointment at that time."


class PackageExhausted(DeskError):
    default_message = "This package has no sessions left for that service."


class PackageExpired(DeskError):
    default_message = "This package has expired."


class NotPatientsPackage(DeskError):
    default_message = "This package belongs to another patient."


class PurchaseInUse(DeskError):
    default_message = "This package has sessions used or booked; it cannot be voided."


class FutureVisit(DeskError):
    default_message = "This visit is on a later day; its status changes on that day."


class NothingToUndo(DeskError):
    default_message = "There is no status change of today to take back."


class GroupFull(DeskError):
    default_message = "That group session is full."


class OutsideSchedule(DeskError):
    default_message = "That time is outside the provider's schedule."


class Busy(DeskError):
    default_message = "The database is busy with another desk — try again in a moment."


class OpeningNotRecorded(DeskError):
    default_message = (
        "The patient's record was not opened: the audit trail could not note who opened it, "
        "and health data may only be shown when it does. Try again in a moment."
    )


class DatabaseError(DeskError):
    """The database cannot be opened or reached; the message says what to do."""

    default_message = "The database cannot be reached."


class SchemaOutOfDate(DatabaseError):
    default_message = "The database needs upgrading: run `deskbook db upgrade`."


class SeriesConflict(DeskError):
    """A visit of a course could not be booked (another desk took the slot since the plan, or
    it was never free); nothing of the course was written. Names the visit."""

    default_message = "A visit of the course cannot be booked; nothing was booked."

    def __init__(
        self,
        message: str | None = None,
        *,
        index: int = 0,
        start: datetime | None = None,
        provider_id: uuid.UUID | None = None,
        status: str = "",
    ) -> None:
        super().__init__(message)
        self.index = index  # 1-based, in time order among the visits asked for
        self.start = start
        self.provider_id = provider_id
        self.status = status  # PROVIDER_BUSY, PATIENT_BUSY, OFF, AFTER_EXPIRY or PAST
