"""A small, exact clinic for tests: one tenant, two clinics, a few services, providers who work
every day 08:00-18:00 local time, two catalog packages, and three logins.

Rows are written straight through the ORM (fast, and independent of the code under test); the
tests then act through the Desk API only.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from conftest import create_pg_database, drop_pg_database, pg_database_url
from deskbook.db.engine import write_session
from deskbook.db.models import (
    Appointment,
    AuditEvent,
    Clinic,
    Package,
    PackagePurchase,
    PackageService,
    Patient,
    Provider,
    ProviderBlock,
    ProviderClinic,
    ProviderSchedule,
    ProviderService,
    PurchaseQuota,
    Role,
    Service,
    Staff,
    Tenant,
)
from deskbook.desk import Desk, DeskSession
from deskbook.normalize import normalize_phone, patient_name_norm
from deskbook.passwords import hash_password

PASSWORD = "secret-pass"
_HASH = hash_password(PASSWORD)
TZ = ZoneInfo("Asia/Riyadh")
OPENS, CLOSES = time(8, 0), time(18, 0)


def future_day(days: int = 3) -> date:
    return datetime.now(TZ).date() + timedelta(days=days)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware local time in the tenant's zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


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

    def patient(self, name_en: str = "Test Patient", name_ar: str | None = None) -> uuid.UUID:
        self.counter[0] += 1
        n = self.counter[0]
        phone = f"05{n:08d}"
        row = Patient(
            tenant_id=self.tenant_id,
            mrn=f"{self.prefix}T{n:05d}",
            name_en=name_en,
            name_ar=name_ar,
            date_of_birth=date(2018, 5, 1),
            phone=phone,
            name_norm=patient_name_norm(name_en, name_ar),
            phone_norm=normalize_phone(phone),
        )
        with write_session(self.desk.engine) as s:
            s.add(row)
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
        bought = bought or datetime.now(TZ).date()
        with write_session(self.desk.engine) as s:
            package = s.get(Package, package_id)
            assert package is not None
            p = PackagePurchase(
                tenant_id=self.tenant_id,
                patient_id=patient_id,
                package_id=package_id,
                purchase_date=bought,
                expiry_date=expiry or bought + timedelta(days=package.validity_days),
                price_paid=package.price,
            )
            s.add(p)
            s.flush()
            for item in s.scalars(
                select(PackageService).where(PackageService.package_id == package_id)
            ):
                s.add(
                    PurchaseQuota(
                        tenant_id=self.tenant_id,
                        purchase_id=p.id,
                        service_id=item.service_id,
                        quota=quota or item.sessions,
                    )
                )
        return p.id

    def counts(self) -> dict[str, int]:
        """Rows per table that a use case may write, to show a failure wrote nothing."""
        tables = (Appointment, ProviderBlock, PackagePurchase, PurchaseQuota, Patient, AuditEvent)
        with write_session(self.desk.engine) as s:
            return {t.__name__: s.scalar(select(func.count()).select_from(t)) or 0 for t in tables}


def build(url: str, prefix: str = "", name: str = "Al Noor Therapy") -> World:
    """The test clinic in the database at url (already migrated), with its Desk open."""
    desk = Desk.open(url)
    tenant = Tenant(name=name)
    ids: dict[str, uuid.UUID] = {}
    with write_session(desk.engine) as s:
        s.add(tenant)
        s.flush()
        t = tenant.id

        def add(row: object) -> object:
            s.add(row)
            s.flush()
            return row

        slp_clinic = add(
            Clinic(tenant_id=t, name_en="Speech Clinic", name_ar="عيادة النطق", specialty="SLP")
        )
        aba_clinic = add(
            Clinic(tenant_id=t, name_en="ABA Clinic", name_ar="عيادة تحليل السلوك", specialty="ABA")
        )
        services = {
            "slp": (slp_clinic, "SLP Session", False),
            "aba": (aba_clinic, "ABA Session", False),
            "social": (slp_clinic, "Social Skills Group", True),
        }
        for key, (clinic, label, group) in services.items():
            ids[key] = add(
                Service(
                    tenant_id=t,
                    clinic_id=clinic.id,
                    name_en=label,
                    duration_minutes=60,
                    price=Decimal("300.00"),
                    group_capable=group,
                )
            ).id
        staffing = {
            "amal": (slp_clinic, ("slp", "social")),
            "badr": (slp_clinic, ("slp", "social")),
            "chadi": (aba_clinic, ("aba",)),
        }
        for key, (clinic, delivers) in staffing.items():
            provider = add(Provider(tenant_id=t, name_en=key.title()))
            ids[key] = provider.id
            s.add(ProviderClinic(provider_id=provider.id, clinic_id=clinic.id, tenant_id=t))
            for service_key in delivers:
                s.add(
                    ProviderService(
                        provider_id=provider.id, service_id=ids[service_key], tenant_id=t
                    )
                )
            for weekday in range(7):
                s.add(
                    ProviderSchedule(
                        tenant_id=t,
                        provider_id=provider.id,
                        clinic_id=clinic.id,
                        weekday=weekday,
                        start_time=OPENS,
                        end_time=CLOSES,
                    )
                )
        for key, label, service_key, sessions in (
            ("slp10", "10 SLP Sessions", "slp", 10),
            ("aba20", "20 ABA Therapy Package", "aba", 20),
        ):
            package = add(
                Package(tenant_id=t, name_en=label, price=Decimal("2500.00"), validity_days=90)
            )
            ids[key] = package.id
            s.add(
                PackageService(
                    tenant_id=t,
                    package_id=package.id,
                    service_id=ids[service_key],
                    sessions=sessions,
                )
            )
        for role, login in (
            (Role.ADMIN, "admin"),
            (Role.FRONT_DESK, "frontdesk"),
            (Role.PROVIDER, "provider"),
        ):
            s.add(
                Staff(
                    tenant_id=t,
                    username=f"{prefix}{login}",
                    display_name=login.title(),
                    password_hash=_HASH,
                    role=role,
                    provider_id=ids["amal"] if role == Role.PROVIDER else None,
                )
            )
    return World(
        desk=desk,
        url=url,
        tenant_id=tenant.id,
        prefix=prefix,
        slp_clinic=slp_clinic.id,
        aba_clinic=aba_clinic.id,
        **ids,
    )


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


_tenants = itertools.count(1)


@pytest.fixture(name="module_url", scope="module", params=["sqlite", "postgres"])
def module_url_fixture(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    pg_template: str | None,
) -> Iterator[str]:
    """One migrated database per test module and engine; each test gets its own tenant in it,
    which isolates the tests as well as a database each and costs far less on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("desk") / "deskbook.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if pg_template is None:
        pytest.skip("PostgreSQL is not reachable (set DESKBOOK_TEST_PG_URL)")
    name = create_pg_database(template=pg_template)
    try:
        yield pg_database_url(name)
    finally:
        drop_pg_database(name)


@pytest.fixture(name="world")
def world_fixture(module_url: str) -> Iterator[World]:
    """A fresh clinic (its own tenant and logins) for one test."""
    w = build(module_url, prefix=f"t{next(_tenants)}_")
    yield w
    w.desk.close()
