"""What the Desk API hands back about a branch's day: the board, the day sheet's pages, the
waitlist and the calls to make. Frozen dataclasses, as in deskbook.results."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from deskbook.results import AppointmentView


@dataclass(frozen=True)
class BoardVisit:
    """An individual appointment on the board."""

    id: uuid.UUID
    patient_id: uuid.UUID
    patient_short_name: str  # first and last word of the English name: "Mohammed Al-Harbi"
    patient_name_en: str
    patient_name_ar: str | None
    patient_mrn: str
    service_id: uuid.UUID
    service_name_en: str
    status: str
    kind: str
    session_number: int | None
    session_total: int | None
    start: datetime
    end: datetime


@dataclass(frozen=True)
class BoardGroup:
    """A group session on the board: seats taken of capacity."""

    id: uuid.UUID
    service_id: uuid.UUID
    service_name_en: str
    taken: int
    capacity: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class BoardCell:
    """One provider at one row of the board. state: FREE, OFF (outside their hours, time off,
    or held at another clinic), VISIT or GROUP. continues: the visit or group began on an
    earlier row (the screen draws it as one block)."""

    state: str
    visit: BoardVisit | None = None
    group: BoardGroup | None = None
    continues: bool = False


@dataclass(frozen=True)
class BoardColumn:
    provider_id: uuid.UUID
    provider_name_en: str
    provider_name_ar: str | None
    cells: tuple[BoardCell, ...]  # one per Board.times


@dataclass(frozen=True)
class Board:
    day: date
    clinic_id: uuid.UUID
    clinic_name_en: str
    clinic_name_ar: str | None
    step_minutes: int
    times: tuple[datetime, ...]  # the start of each row, tenant time
    columns: tuple[BoardColumn, ...]  # the window asked for: providers first.. in name order
    first: int  # the window's first provider, counted from 0 in the clinic's name order
    provider_count: int  # the clinic's providers that day, in and out of the window
    visit_count: int  # the clinic's live individual visits that day, in and out of the window


@dataclass(frozen=True)
class DaySheetPage:
    """One page of the day sheet, in time order, and how many rows the whole filter has."""

    rows: tuple[AppointmentView, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class WaitlistView:
    id: uuid.UUID
    patient_id: uuid.UUID
    patient_name_en: str
    patient_name_ar: str | None
    patient_mrn: str
    patient_phone: str
    service_id: uuid.UUID
    service_name_en: str
    clinic_id: uuid.UUID
    provider_id: uuid.UUID | None
    earliest: time | None  # local time of day
    latest: time | None
    weekdays: tuple[int, ...]  # 0 Monday .. 6 Sunday; empty = any day
    note: str | None
    created_at: datetime


@dataclass(frozen=True)
class CallView:
    """A visit to confirm by phone."""

    appointment: AppointmentView
    phone: str
