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
from deskbook.db.models import (
    AuditEvent,
    Clinic,
    GroupSession,
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
from deskbook.normalize import normalize_phone, patient_name_norm
from deskbook.passwords import hash_password

PASSWORD = "soak-password-1"
FIRST = ["Rashid", "Fatima", "Omar", "Layla", "Yousef", "Noura", "Khalid", "Sara", "Ali", "Huda"]
FIRST_AR = ["راشد", "فاطمة", "عمر", "ليلى", "يوسف", "نورة", "خالد", "سارة", "علي", "هدى"]
LAST = ["Al-Harbi", "Al-Qahtani", "Al-Otaibi", "Al-Ghamdi", "Al-Zahrani", "Al-Shehri"]
LAST_AR = ["الحربي", "القحطاني", "العتيبي", "الغامدي", "الزهراني", "الشهري"]


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
    tenant = Tenant(name="Soak Clinic", timezone="Asia/Riyadh", currency="SAR")
    session.add(tenant)
    session.flush()
    tid = tenant.id
    usernames = tuple(f"desk{i:02d}" for i in range(1, desks + 1))
    for name in usernames:
        session.add(_staff(tid, name, Role.FRONT_DESK, password_hash))
    admin = _staff(tid, "soakadmin", Role.ADMIN, password_hash)
    session.add(admin)

    slp = Clinic(tenant_id=tid, name_en="Speech Clinic", name_ar="عيادة النطق", specialty="SLP")
    aba = Clinic(tenant_id=tid, name_en="ABA Clinic", name_ar="عيادة تحليل السلوك", specialty="ABA")
    session.add_all([slp, aba])
    session.flush()
    slp_single = _service(tid, slp.id, "SLP session", 30, group=False)
    slp_group = _service(tid, slp.id, "SLP group", 60, group=True)
    aba_single = _service(tid, aba.id, "ABA session", 60, group=False)
    session.add_all([slp_single, slp_group, aba_single])
    session.flush()

    provider_services: dict[uuid.UUID, tuple[uuid.UUID, ...]] = {}
    provider_ids = []
    for i in range(n_prov):
        clinic, services = (slp, (slp_single, slp_group)) if i % 2 == 0 else (aba, (aba_single,))
        provider = Provider(tenant_id=tid, name_en=f"Provider {i + 1}", name_ar=f"المعالج {i + 1}")
        session.add(provider)
        session.flush()
        _link_provider(session, tid, provider.id, clinic.id, [s.id for s in services])
        provider_ids.append(provider.id)
        provider_services[provider.id] = tuple(s.id for s in services)

    packages = [
        _package(session, tid, "10 SLP Sessions", 90, {slp_single.id: 10}),
        _package(session, tid, "3 ABA Sessions", 30, {aba_single.id: 3}),
        _package(session, tid, "Mixed 2+2", 60, {slp_single.id: 2, aba_single.id: 2}),
    ]

    patient_ids = []
    for i in range(n_patients):
        patient = _patient(tid, i, rng)
        session.add(patient)
        patient_ids.append(patient.id)
    session.flush()

    # A third of the patients already hold a purchase, so "Use package" has work from the start.
    purchase_ids = []
    for patient_id in patient_ids[::3]:
        package, quotas = rng.choice(packages)
        purchase_ids.append(_purchase(session, tid, patient_id, package, quotas))
        _audit(session, tid, admin.id, "package_purchase", purchase_ids[-1])

    group_ids = []
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    slp_provider = provider_ids[0]
    for day in range(3):
        start = datetime.combine(tomorrow + timedelta(days=day), time(14, 0), UTC)
        group = GroupSession(
            tenant_id=tid,
            clinic_id=slp.id,
            service_id=slp_group.id,
            provider_id=slp_provider,
            start_at=start,
            end_at=start + timedelta(minutes=60),
            capacity=3,
        )
        session.add(group)
        session.flush()
        session.add(
            ProviderBlock(
                tenant_id=tid,
                provider_id=slp_provider,
                start_at=group.start_at,
                end_at=group.end_at,
                group_session_id=group.id,
            )
        )
        group_ids.append(group.id)
        _audit(session, tid, admin.id, "group_session", group.id)

    other = _other_tenant(session, password_hash)
    session.flush()
    return SeedInfo(
        tenant_id=tid,
        desk_usernames=usernames,
        admin_username="soakadmin",
        password=PASSWORD,
        patient_ids=tuple(patient_ids),
        provider_ids=tuple(provider_ids),
        clinic_ids=(slp.id, aba.id),
        single_service_ids=(slp_single.id, aba_single.id),
        group_service_id=slp_group.id,
        package_ids=tuple(p.id for p, _ in packages),
        purchase_ids=tuple(purchase_ids),
        group_session_ids=tuple(group_ids),
        provider_services=provider_services,
        other_tenant=other,
    )


def _audit(
    session: Session, tid: uuid.UUID, staff_id: uuid.UUID, entity: str, entity_id: uuid.UUID
) -> None:
    # Seeded rows carry an audit event like any other write, so the audit check holds for all.
    session.add(
        AuditEvent(
            tenant_id=tid,
            staff_id=staff_id,
            action="seed",
            entity=entity,
            entity_id=entity_id,
            after='{"seeded": true}',
        )
    )


def _staff(tid: uuid.UUID, username: str, role: Role, password_hash: str) -> Staff:
    return Staff(
        tenant_id=tid,
        username=username,
        display_name=username.title(),
        password_hash=password_hash,
        role=role,
    )


def _service(tid: uuid.UUID, clinic_id: uuid.UUID, name: str, minutes: int, group: bool) -> Service:
    return Service(
        tenant_id=tid,
        clinic_id=clinic_id,
        name_en=name,
        duration_minutes=minutes,
        price=Decimal("250.00"),
        group_capable=group,
    )


def _link_provider(
    session: Session,
    tid: uuid.UUID,
    provider_id: uuid.UUID,
    clinic_id: uuid.UUID,
    service_ids: list[uuid.UUID],
) -> None:
    session.add(ProviderClinic(provider_id=provider_id, clinic_id=clinic_id, tenant_id=tid))
    for service_id in service_ids:
        session.add(ProviderService(provider_id=provider_id, service_id=service_id, tenant_id=tid))
    # Every day, long hours: the soak never runs out of days to book, whatever the weekday.
    for weekday in range(7):
        session.add(
            ProviderSchedule(
                tenant_id=tid,
                provider_id=provider_id,
                clinic_id=clinic_id,
                weekday=weekday,
                start_time=time(8, 0),
                end_time=time(20, 0),
            )
        )


def _package(
    session: Session, tid: uuid.UUID, name: str, days: int, quotas: dict[uuid.UUID, int]
) -> tuple[Package, dict[uuid.UUID, int]]:
    package = Package(
        tenant_id=tid, name_en=name, price=Decimal("1000.00"), validity_days=days, active=True
    )
    session.add(package)
    session.flush()
    for service_id, sessions in quotas.items():
        session.add(
            PackageService(
                tenant_id=tid, package_id=package.id, service_id=service_id, sessions=sessions
            )
        )
    return package, quotas


def _purchase(
    session: Session,
    tid: uuid.UUID,
    patient_id: uuid.UUID,
    package: Package,
    quotas: dict[uuid.UUID, int],
) -> uuid.UUID:
    today = date.today()
    purchase = PackagePurchase(
        tenant_id=tid,
        patient_id=patient_id,
        package_id=package.id,
        purchase_date=today,
        expiry_date=today + timedelta(days=package.validity_days),
        price_paid=package.price,
    )
    session.add(purchase)
    session.flush()
    for service_id, quota in quotas.items():
        session.add(
            PurchaseQuota(
                tenant_id=tid, purchase_id=purchase.id, service_id=service_id, quota=quota
            )
        )
    return purchase.id


def _patient(tid: uuid.UUID, i: int, rng: random.Random) -> Patient:
    f = rng.randrange(len(FIRST))
    la = rng.randrange(len(LAST))
    name_en, name_ar = f"{FIRST[f]} {LAST[la]}", f"{FIRST_AR[f]} {LAST_AR[la]}"
    phone = f"05{rng.randrange(10**8):08d}"
    return Patient(
        tenant_id=tid,
        mrn=f"S{i + 1:06d}",
        name_en=name_en,
        name_ar=name_ar,
        date_of_birth=date(2010 + i % 12, 1 + i % 12, 1 + i % 28),
        sex="MF"[i % 2],
        phone=phone,
        national_id=f"1{rng.randrange(10**9):09d}",
        name_norm=patient_name_norm(name_en, name_ar),
        phone_norm=normalize_phone(phone),
    )


def _other_tenant(session: Session, password_hash: str) -> dict[str, uuid.UUID]:
    """A second organisation whose ids must never work from the first one's desks."""
    tenant = Tenant(name="Other Clinic")
    session.add(tenant)
    session.flush()
    tid = tenant.id
    staff = _staff(tid, "otherdesk", Role.FRONT_DESK, password_hash)
    clinic = Clinic(tenant_id=tid, name_en="Other SLP", specialty="SLP")
    session.add_all([staff, clinic])
    session.flush()
    service = _service(tid, clinic.id, "Other SLP session", 30, group=False)
    provider = Provider(tenant_id=tid, name_en="Other Provider")
    session.add_all([service, provider])
    session.flush()
    _link_provider(session, tid, provider.id, clinic.id, [service.id])
    package, quotas = _package(session, tid, "Other 5", 90, {service.id: 5})
    patient = _patient(tid, 0, random.Random(99))
    session.add(patient)
    session.flush()
    purchase_id = _purchase(session, tid, patient.id, package, quotas)
    _audit(session, tid, staff.id, "package_purchase", purchase_id)
    return {
        "tenant_id": tid,
        "clinic_id": clinic.id,
        "service_id": service.id,
        "provider_id": provider.id,
        "package_id": package.id,
        "patient_id": patient.id,
        "purchase_id": purchase_id,
    }
