"""A small, exact clinic for tests: one tenant, two clinics, a few services, providers who work
every day 08:00-18:00 local time, two catalog packages, and three logins.

Rows are written straight through the models (fast, and independent of the code under test);
the tests then act through the Desk API only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import col

from deskbook.db.engine import write_session
from deskbook.db.models import (
    Appointment,
    AuditEvent,
    PackagePurchase,
    Patient,
    ProviderBlock,
    PurchaseQuota,
    Role,
)
from deskbook.desk import Desk, DeskSession
from deskbook.passwords import hash_password
from deskbook.testing.clock import TZ, today
from deskbook.testing.rows import Rows

PASSWORD = "secret-pass"
_HASH = hash_password(PASSWORD)
SESSION_PRICE = Decimal("300.00")
PACKAGE_PRICE = Decimal("2500.00")


@dataclass
class World:
    desk: Desk
    url: str
    tenant_id: uuid.UUID
    prefix: str
    slp_clinic: uuid.UUID
    aba_clinic: uuid.UUID
    slp: uuid.UUID  # SLP session, 60 minutes
    aba: uuid.UUID  # ABA session, 60 minutes
    social: uuid.UUID  # group-capable social skills group in the SLP clinic, 60 minutes
    amal: uuid.UUID  # SLP provider
    badr: uuid.UUID  # SLP provider
    chadi: uuid.UUID  # ABA provider
    slp10: uuid.UUID  # "10 SLP Sessions", 90 days
    aba20: uuid.UUID  # "20 ABA Therapy Package", 90 days
    counter: list[int] = field(default_factory=lambda: [0])

    def login(self, role: str = "frontdesk") -> DeskSession:
        return self.desk.login(f"{self.prefix}{role}", PASSWORD)

    def patient(
        self, name_en: str = "Test Patient", name_ar: str | None = None, mrn: str | None = None
    ) -> uuid.UUID:
        self.counter[0] += 1
        n = self.counter[0]
        with write_session(self.desk.engine) as s:
            row = Rows(s, self.tenant_id).patient(
                mrn or f"{self.prefix}T{n:05d}",
                name_en,
                f"05{n:08d}",
                name_ar,
                date_of_birth=date(2018, 5, 1),
            )
        return row.id

    def purchase(
        self,
        patient_id: uuid.UUID,
        package_id: uuid.UUID,
        bought: date | None = None,
        expiry: date | None = None,
        quota: int | None = None,
    ) -> uuid.UUID:
        """A purchase made earlier (e.g. one that has expired by now)."""
        with write_session(self.desk.engine) as s:
            row = Rows(s, self.tenant_id).purchase(
                patient_id, package_id, bought or today(), expiry, quota
            )
        return row.id

    def move_to_day(self, appointment_id: uuid.UUID, day: date) -> None:
        """Put a booked visit on another day at the same clock time, as if its day had come
        (booking refuses a time that has passed, and a visit is checked in on its day)."""
        with write_session(self.desk.engine) as s:
            visit = s.get(Appointment, appointment_id)
            assert visit is not None
            shift = datetime.combine(day, time(0), tzinfo=TZ) - datetime.combine(
                visit.start_at.astimezone(TZ).date(), time(0), tzinfo=TZ
            )
            visit.start_at, visit.end_at = visit.start_at + shift, visit.end_at + shift
            block = s.scalar(
                select(ProviderBlock).where(col(ProviderBlock.appointment_id) == appointment_id)
            )
            if block is not None:
                block.start_at, block.end_at = visit.start_at, visit.end_at

    def move_by(self, appointment_id: uuid.UUID, shift: timedelta) -> None:
        """Move a booked visit and its provider block by shift, off the slot grid if need be
        (as a visit booked before booking kept to the grid)."""
        with write_session(self.desk.engine) as s:
            visit = s.get(Appointment, appointment_id)
            assert visit is not None
            visit.start_at, visit.end_at = visit.start_at + shift, visit.end_at + shift
            block = s.scalar(
                select(ProviderBlock).where(col(ProviderBlock.appointment_id) == appointment_id)
            )
            if block is not None:
                block.start_at, block.end_at = visit.start_at, visit.end_at

    def counts(self) -> dict[str, int]:
        """Rows per table that a use case may write, to show a failure wrote nothing."""
        tables = (Appointment, ProviderBlock, PackagePurchase, PurchaseQuota, Patient, AuditEvent)
        with write_session(self.desk.engine) as s:
            return {t.__name__: s.scalar(select(func.count()).select_from(t)) or 0 for t in tables}


def build(url: str, prefix: str = "", name: str = "Al Noor Therapy") -> World:
    """The test clinic in the database at url (already migrated), with its Desk open."""
    desk = Desk.open(url)
    with write_session(desk.engine) as s:
        rows = Rows.new_tenant(s, name)
        slp_clinic = rows.clinic("Speech Clinic", "SLP", "عيادة النطق")
        aba_clinic = rows.clinic("ABA Clinic", "ABA", "عيادة تحليل السلوك")
        slp = rows.service(slp_clinic, "SLP Session", 60, SESSION_PRICE)
        aba = rows.service(aba_clinic, "ABA Session", 60, SESSION_PRICE)
        social = rows.service(slp_clinic, "Social Skills Group", 60, SESSION_PRICE, group=True)
        amal = rows.provider("Amal", slp_clinic, (slp, social))
        badr = rows.provider("Badr", slp_clinic, (slp, social))
        chadi = rows.provider("Chadi", aba_clinic, (aba,))
        slp10 = rows.package("10 SLP Sessions", {slp.id: 10}, PACKAGE_PRICE, 90)
        aba20 = rows.package("20 ABA Therapy Package", {aba.id: 20}, PACKAGE_PRICE, 90)
        for role, login in (
            (Role.ADMIN, "admin"),
            (Role.FRONT_DESK, "frontdesk"),
            (Role.PROVIDER, "provider"),
        ):
            rows.staff(
                f"{prefix}{login}",
                _HASH,
                role,
                display_name=login.title(),
                provider_id=amal.id if role == Role.PROVIDER else None,
            )
    return World(
        desk=desk,
        url=url,
        tenant_id=rows.tenant_id,
        prefix=prefix,
        slp_clinic=slp_clinic.id,
        aba_clinic=aba_clinic.id,
        slp=slp.id,
        aba=aba.id,
        social=social.id,
        amal=amal.id,
        badr=badr.id,
        chadi=chadi.id,
        slp10=slp10.id,
        aba20=aba20.id,
    )
