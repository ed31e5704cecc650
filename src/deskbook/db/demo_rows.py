"""The shapes of the demo's bulk rows and the small reference rows they point at.

A batch holds, for each bulk table, its columns in the order of that table's *_COLS constant,
every value already in the text the database takes as input (None is NULL): ids as 32-digit
hex (what the Uuid type stores on SQLite, and what PostgreSQL's uuid input accepts), times as
whole minutes since the Unix epoch turned into text by a TextForm of the target engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

import numpy as np
import numpy.typing as npt

Row = tuple[object, ...]
Column = list[str | None]
Ints = npt.NDArray[np.int64]

PATIENT_COLS = (
    "id", "tenant_id", "mrn", "name_en", "name_ar", "date_of_birth", "sex", "phone",
    "national_id", "name_norm", "phone_norm", "created_at",
)  # fmt: skip
PURCHASE_COLS = (
    "id", "tenant_id", "patient_id", "package_id", "purchase_date", "expiry_date",
    "price_paid", "status", "created_by", "created_at",
)  # fmt: skip
QUOTA_COLS = ("id", "tenant_id", "purchase_id", "service_id", "quota")
GROUP_COLS = (
    "id", "tenant_id", "clinic_id", "service_id", "provider_id", "start_at", "end_at",
    "capacity", "cancelled",
)  # fmt: skip
APPOINTMENT_COLS = (
    "id", "tenant_id", "patient_id", "clinic_id", "service_id", "provider_id", "start_at",
    "end_at", "kind", "status", "purchase_id", "session_number", "group_session_id",
    "booked_by", "notes", "cancel_reason", "created_at", "updated_at",
)  # fmt: skip
BLOCK_COLS = (
    "id", "tenant_id", "provider_id", "start_at", "end_at", "appointment_id", "group_session_id",
)  # fmt: skip
AUDIT_COLS = (
    "id", "tenant_id", "staff_id", "at", "action", "entity", "entity_id", "before", "after",
)  # fmt: skip

# The bulk tables in an order that keeps every foreign key pointing backwards.
BULK_COLUMNS: dict[str, tuple[str, ...]] = {
    "patient": PATIENT_COLS,
    "package_purchase": PURCHASE_COLS,
    "purchase_quota": QUOTA_COLS,
    "group_session": GROUP_COLS,
    "appointment": APPOINTMENT_COLS,
    "provider_block": BLOCK_COLS,
    "audit_event": AUDIT_COLS,
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TextForm:
    """How one engine reads times, days and flags in text: SQLite compares the stored text
    itself, so times must be in exactly the format SQLAlchemy writes there."""

    def __init__(self, engine_name: str) -> None:
        sqlite = engine_name == "sqlite"
        self._suffix = ".000000" if sqlite else "+00"
        self.true, self.false = ("1", "0") if sqlite else ("t", "f")
        self._moments: dict[int, str] = {}
        self._days: dict[int, str] = {}

    def moment(self, minute: int) -> str:
        text = self._moments.get(minute)
        if text is None:
            stamp = (_EPOCH + timedelta(minutes=minute)).strftime("%Y-%m-%d %H:%M:%S")
            text = self._moments[minute] = stamp + self._suffix
        return text

    def day(self, ordinal: int) -> str:
        """A calendar day given as date.toordinal()."""
        text = self._days.get(ordinal)
        if text is None:
            text = self._days[ordinal] = datetime.fromordinal(ordinal).strftime("%Y-%m-%d")
        return text

    def moments(self, minutes: Ints) -> Column:
        return _through(minutes, self.moment)

    def days(self, ordinals: Ints) -> Column:
        return _through(ordinals, self.day)


def _through(values: Ints, render: object) -> Column:
    # Times repeat on a grid of days and minutes: each distinct one is rendered once.
    assert callable(render)
    distinct, where = np.unique(values, return_inverse=True)
    texts = np.array([render(int(v)) for v in distinct], dtype=object)
    out: Column = texts[where.reshape(-1)].tolist()
    return out


@dataclass(frozen=True)
class Svc:
    id: str
    code: str
    clinic_id: str
    specialty: str
    minutes: int
    group: bool


@dataclass(frozen=True)
class Prov:
    id: str
    week: dict[int, str]  # weekday -> specialty
    start_min: int
    end_min: int


@dataclass(frozen=True)
class Pkg:
    id: str
    name: str
    price: object
    validity_days: int
    services: tuple[tuple[str, int], ...]
    active: bool
    weight: int


@dataclass
class Reference:
    """The small tables, already written; the bulk rows point at them."""

    tenant: str
    booked_by: str
    services: dict[str, Svc]
    providers: list[Prov]
    packages: list[Pkg]


@dataclass
class Batch:
    """Columns per bulk table (see BULK_COLUMNS), and how many patients they carry."""

    patients: int = 0
    tables: dict[str, list[Column]] = field(default_factory=dict)

    def add(self, table: str, columns: list[Column]) -> None:
        have = self.tables.get(table)
        if have is None:
            self.tables[table] = columns
        else:
            for mine, more in zip(have, columns, strict=True):
                mine.extend(more)

    def add_rows(self, table: str, rows: list[Row]) -> None:
        if rows:
            self.add(table, [cast(Column, list(c)) for c in zip(*rows, strict=True)])

    def rows(self, table: str) -> int:
        columns = self.tables.get(table)
        return len(columns[0]) if columns else 0
