"""The shapes of the demo's bulk rows: tuples in the column order of the *_COLS constants, with
ids as 32-digit hex (what the Uuid type stores on SQLite, and what PostgreSQL's uuid input
accepts), and the small reference rows they point at."""

from __future__ import annotations

from dataclasses import dataclass, field

Row = tuple[object, ...]

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
class Chunk:
    patients: list[Row] = field(default_factory=list)
    purchases: list[Row] = field(default_factory=list)
    quotas: list[Row] = field(default_factory=list)
    appointments: list[Row] = field(default_factory=list)
    blocks: list[Row] = field(default_factory=list)
