"""A small clinic built for stress: few providers and small packages, so desks collide.

The soak run, the crash tests and the fuzz tests start from it. It is written with the models
directly (there is no use case for creating a clinic), in one transaction; patients get the
same normalized search columns the register use case writes. A second tenant exists only so
that its ids can be thrown at the first one's desks.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from deskbook.db.engine import make_engine, write_session
from deskbook.db.models import Package, Patient, Role
from deskbook.passwords import hash_password
from deskbook.testing.rows import Rows

PASSWORD = "soak-password-1"
FIRST = ["Rashid", "Fatima", "Omar", "Layla", "Yousef", "Noura", "Khalid", "Sara", "Ali", "Huda"]
FIRST_AR = ["راشد", "فاطمة", "عمر", "ليلى", "يوسف", "نورة", "خالد", "سارة", "علي", "هدى"]
LAST = ["Al-Harbi", "Al-Qahtani", "Al-Otaibi", "Al-Ghamdi", "Al-Zahrani", "Al-Shehri"]
LAST_AR = ["الحربي", "القحطاني", "العتيبي", "الغامدي", "الزهراني", "الشهري"]
PRICE, PACKAGE_PRICE = Decimal("250.00"), Decimal("1000.00")
# Every day, long hours: the soak never runs out of days to book, whatever the weekday.
HOURS = (time(8, 0), time(20, 0))


@dataclass(frozen=True)
class SeedInfo:
    """The ids a test or a worker needs; plain values, so it crosses process boundaries."""

    tenant_id: uuid.UUID
    desk_usernames: tuple[str, ...]
    admin_username: str
    password: str
    patient_ids: tuple[uuid.UUID, ...]
    provider_ids: tuple[uuid.UUID, ...]
    clinic_ids: tuple[uuid.UUID, ...]
    single_service_ids: tuple[uuid.UUID, ...]
    group_service_id: uuid.UUID
    package_ids: tuple[uuid.UUID, ...]
    purchase_ids: tuple[uuid.UUID, ...]
    group_session_ids: tuple[uuid.UUID, ...]
    # provider -> the services they deliver
    provider_services: dict[uuid.UUID, tuple[uuid.UUID, ...]] = field(default_factory=dict)
    other_tenant: dict[str, uuid.UUID] = field(default_factory=dict)


def seed_clinic(
    url: str, *, patients: int = 60, providers: int = 4, desks: int = 16, seed: int = 1
) -> SeedInfo:
    """Build the stress clinic in the (migrated, empty) database at url."""
    rng = random.Random(seed)
    password_hash = hash_password(PASSWORD)
    engine = make_engine(url)
    try:
        with write_session(engine) as session:
            info = _build(session, rng, password_hash, patients, providers, desks)
    finally:
        engine.dispose()
    return info


def _build(
    session: Session,
    rng: random.Random,
    password_hash: str,
    n_patients: int,
    n_prov: int,
    desks: int,
) -> SeedInfo:
    rows = Rows.new_tenant(session, "Soak Clinic")
    usernames = tuple(f"desk{i:02d}" for i in range(1, desks + 1))
    for name in usernames:
        rows.staff(name, password_hash)
    admin = rows.staff("soakadmin", password_hash, Role.ADMIN)

    slp = rows.clinic("Speech Clinic", "SLP", "عيادة النطق")
    aba = rows.clinic("ABA Clinic", "ABA", "عيادة تحليل السلوك")
    slp_single = rows.service(slp, "SLP session", 30, PRICE)
    slp_group = rows.service(slp, "SLP group", 60, PRICE, group=True)
    aba_single = rows.service(aba, "ABA session", 60, PRICE)

    provider_services: dict[uuid.UUID, tuple[uuid.UUID, ...]] = {}
    provider_ids = []
    for i in range(n_prov):
        clinic, services = (slp, (slp_single, slp_group)) if i % 2 == 0 else (aba, (aba_single,))
        provider = rows.provider(f"Provider {i + 1}", clinic, services, HOURS, f"المعالج {i + 1}")
        provider_ids.append(provider.id)
        provider_services[provider.id] = tuple(s.id for s in services)

    packages = [
        rows.package("10 SLP Sessions", {slp_single.id: 10}, PACKAGE_PRICE, 90),
        rows.package("3 ABA Sessions", {aba_single.id: 3}, PACKAGE_PRICE, 30),
        rows.package("Mixed 2+2", {slp_single.id: 2, aba_single.id: 2}, PACKAGE_PRICE, 60),
    ]

    patient_ids = [_patient(rows, i, rng).id for i in range(n_patients)]

    # A third of the patients already hold a purchase, so "Use package" has work from the start.
    purchase_ids = []
    for patient_id in patient_ids[::3]:
        purchase_ids.append(_purchase(rows, admin.id, patient_id, rng.choice(packages)))

    group_ids = []
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    for day in range(3):
        start = datetime.combine(tomorrow + timedelta(days=day), time(14, 0), UTC)
        group = rows.group_session(slp_group, provider_ids[0], start, capacity=3)
        group_ids.append(group.id)
        rows.seeded_audit(admin.id, "group_session", group.id)

    other = _other_tenant(session, password_hash)
    session.flush()
    return SeedInfo(
        tenant_id=rows.tenant_id,
        desk_usernames=usernames,
        admin_username="soakadmin",
        password=PASSWORD,
        patient_ids=tuple(patient_ids),
        provider_ids=tuple(provider_ids),
        clinic_ids=(slp.id, aba.id),
        single_service_ids=(slp_single.id, aba_single.id),
        group_service_id=slp_group.id,
        package_ids=tuple(p.id for p in packages),
        purchase_ids=tuple(purchase_ids),
        group_session_ids=tuple(group_ids),
        provider_services=provider_services,
        other_tenant=other,
    )


def _purchase(
    rows: Rows, staff_id: uuid.UUID, patient_id: uuid.UUID, package: Package
) -> uuid.UUID:
    # Seeded rows carry an audit event like any other write, so the audit check holds for all.
    purchase = rows.purchase(patient_id, package, date.today())
    rows.seeded_audit(staff_id, "package_purchase", purchase.id)
    return purchase.id


def _patient(rows: Rows, i: int, rng: random.Random) -> Patient:
    f = rng.randrange(len(FIRST))
    la = rng.randrange(len(LAST))
    return rows.patient(
        f"S{i + 1:06d}",
        f"{FIRST[f]} {LAST[la]}",
        f"05{rng.randrange(10**8):08d}",
        f"{FIRST_AR[f]} {LAST_AR[la]}",
        date_of_birth=date(2010 + i % 12, 1 + i % 12, 1 + i % 28),
        sex="MF"[i % 2],
        national_id=f"1{rng.randrange(10**9):09d}",
    )


def _other_tenant(session: Session, password_hash: str) -> dict[str, uuid.UUID]:
    """A second organisation whose ids must never work from the first one's desks."""
    rows = Rows.new_tenant(session, "Other Clinic")
    staff = rows.staff("otherdesk", password_hash)
    clinic = rows.clinic("Other SLP", "SLP")
    service = rows.service(clinic, "Other SLP session", 30, PRICE)
    provider = rows.provider("Other Provider", clinic, (service,), HOURS)
    package = rows.package("Other 5", {service.id: 5}, PACKAGE_PRICE, 90)
    patient = _patient(rows, 0, random.Random(99))
    purchase_id = _purchase(rows, staff.id, patient.id, package)
    return {
        "tenant_id": rows.tenant_id,
        "clinic_id": clinic.id,
        "service_id": service.id,
        "provider_id": provider.id,
        "package_id": package.id,
        "patient_id": patient.id,
        "purchase_id": purchase_id,
    }
