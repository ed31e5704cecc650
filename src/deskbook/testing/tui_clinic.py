"""A small clinic for the TUI tests, written straight into a fresh database.

The rows are those of the acceptance scenarios: a patient with an assigned package, one with
nothing, one with two purchases of the same package (3/10 and 0/10), one with an exhausted and
an expired purchase, and another patient's purchase that must never show up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from deskbook.db.engine import make_engine, write_session
from deskbook.db.models import (
    Appointment,
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
    Service,
    Staff,
    Tenant,
)
from deskbook.normalize import normalize_phone, patient_name_norm
from deskbook.passwords import hash_password

TZ = ZoneInfo("Asia/Riyadh")
PASSWORD = "frontdesk"


@dataclass
class Seed:
    url: str
    ids: dict[str, uuid.UUID] = field(default_factory=dict)


def _patient(tenant_id: uuid.UUID, mrn: str, en: str, ar: str | None, phone: str) -> Patient:
    return Patient(
        tenant_id=tenant_id,
        mrn=mrn,
        name_en=en,
        name_ar=ar,
        phone=phone,
        date_of_birth=date(2018, 5, 17),
        sex="F",
        name_norm=patient_name_norm(en, ar),
        phone_norm=normalize_phone(phone),
    )


def build(url: str) -> Seed:
    seed = Seed(url)
    ids = seed.ids
    engine = make_engine(url)
    today = datetime.now(TZ).date()
    try:
        with write_session(engine) as s:
            tenant = Tenant(name="Riyadh Therapy Center", timezone="Asia/Riyadh", currency="SAR")
            s.add(tenant)
            s.flush()
            t = tenant.id
            s.add(
                Staff(
                    tenant_id=t,
                    username="frontdesk",
                    display_name="Mona Front",
                    password_hash=hash_password(PASSWORD),
                    role="FRONT_DESK",
                )
            )
            slp = Clinic(tenant_id=t, name_en="SLP Clinic", name_ar="عيادة النطق", specialty="SLP")
            aba = Clinic(tenant_id=t, name_en="ABA Clinic", specialty="ABA")
            s.add_all([slp, aba])
            s.flush()
            slp_s = Service(
                tenant_id=t,
                clinic_id=slp.id,
                name_en="SLP Session",
                duration_minutes=45,
                price=Decimal("300"),
            )
            aba_s = Service(
                tenant_id=t,
                clinic_id=aba.id,
                name_en="ABA Session",
                duration_minutes=60,
                price=Decimal("400"),
            )
            group_s = Service(
                tenant_id=t,
                clinic_id=slp.id,
                name_en="Social Skills Group",
                duration_minutes=60,
                price=Decimal("150"),
                group_capable=True,
            )
            s.add_all([slp_s, aba_s, group_s])
            huda = Provider(tenant_id=t, name_en="Dr. Huda Saleh")
            omar = Provider(tenant_id=t, name_en="Dr. Omar Nasser")
            lina = Provider(tenant_id=t, name_en="Lina Haddad")
            s.add_all([huda, omar, lina])
            s.flush()
            # Open around the clock, so that "today" has free slots whenever the tests run.
            for provider, clinic, service in (
                (huda, slp, slp_s),
                (omar, slp, slp_s),
                (lina, aba, aba_s),
            ):
                s.add(ProviderClinic(provider_id=provider.id, clinic_id=clinic.id, tenant_id=t))
                s.add(ProviderService(provider_id=provider.id, service_id=service.id, tenant_id=t))
                if provider is huda:
                    s.add(ProviderService(provider_id=huda.id, service_id=group_s.id, tenant_id=t))
                for weekday in range(7):
                    s.add(
                        ProviderSchedule(
                            tenant_id=t,
                            provider_id=provider.id,
                            clinic_id=clinic.id,
                            weekday=weekday,
                            start_time=time(0),
                            end_time=time(23, 59),
                        )
                    )
            slp10 = Package(
                tenant_id=t, name_en="10 SLP Sessions", price=Decimal("2500"), validity_days=90
            )
            aba20 = Package(
                tenant_id=t,
                name_en="20 ABA Therapy Package",
                price=Decimal("6000"),
                validity_days=90,
            )
            s.add_all([slp10, aba20])
            s.flush()
            s.add(
                PackageService(tenant_id=t, package_id=slp10.id, service_id=slp_s.id, sessions=10)
            )
            s.add(
                PackageService(tenant_id=t, package_id=aba20.id, service_id=aba_s.id, sessions=20)
            )
            people = {
                "rana": _patient(t, "MRN-0001", "Rana Khalil", "رنا خليل", "0501110001"),
                "noor": _patient(t, "MRN-0002", "Noor Haddad", "نور حداد", "0501110002"),
                "yusuf": _patient(t, "MRN-0003", "Yusuf Salem", "يوسف سالم", "0501110003"),
                "layla": _patient(t, "MRN-0004", "Layla Omar", "ليلى عمر", "0501110004"),
                "basil": _patient(t, "MRN-0005", "Basil Fares", "باسل فارس", "0501110005"),
                "sami": _patient(t, "MRN-0006", "Sami Aziz", "سامي عزيز", "0501110006"),
            }
            group_people = [
                _patient(t, f"MRN-01{i:02d}", f"Group Child {i}", None, f"05022200{i:02d}")
                for i in range(3)
            ]
            s.add_all([*people.values(), *group_people])
            s.flush()
            ids.update({k: p.id for k, p in people.items()})
            ids.update(
                slp=slp.id,
                aba=aba.id,
                slp_service=slp_s.id,
                aba_service=aba_s.id,
                huda=huda.id,
                omar=omar.id,
                lina=lina.id,
                slp10=slp10.id,
                aba20=aba20.id,
                tenant=t,
            )

            def purchase(
                name: str,
                who: str,
                package: Package,
                service: Service,
                quota: int,
                bought: date,
                used: int,
                hour: int,
            ) -> None:
                p = PackagePurchase(
                    tenant_id=t,
                    patient_id=people[who].id,
                    package_id=package.id,
                    purchase_date=bought,
                    expiry_date=bought + timedelta(days=package.validity_days),
                    price_paid=package.price,
                )
                s.add(p)
                s.flush()
                s.add(
                    PurchaseQuota(tenant_id=t, purchase_id=p.id, service_id=service.id, quota=quota)
                )
                ids[name] = p.id
                provider = huda if service is slp_s else lina
                clinic = slp if service is slp_s else aba
                for n in range(used):
                    # Completed sessions, one a day in the past, at an hour of their own.
                    start = datetime.combine(bought + timedelta(days=n + 1), time(hour), TZ)
                    start = start.astimezone(UTC)
                    end = start + timedelta(minutes=service.duration_minutes)
                    a = Appointment(
                        tenant_id=t,
                        patient_id=people[who].id,
                        clinic_id=clinic.id,
                        service_id=service.id,
                        provider_id=provider.id,
                        start_at=start,
                        end_at=end,
                        kind="PACKAGE",
                        status="COMPLETED",
                        purchase_id=p.id,
                        session_number=n + 1,
                    )
                    s.add(a)
                    s.flush()
                    s.add(
                        ProviderBlock(
                            tenant_id=t,
                            provider_id=provider.id,
                            start_at=start,
                            end_at=end,
                            appointment_id=a.id,
                        )
                    )

            recent = today - timedelta(days=20)
            purchase("rana_slp", "rana", slp10, slp_s, 10, recent, 0, 8)
            purchase("yusuf_first", "yusuf", slp10, slp_s, 10, recent, 3, 9)
            purchase("yusuf_second", "yusuf", slp10, slp_s, 10, today - timedelta(days=2), 0, 10)
            purchase("layla_done", "layla", slp10, slp_s, 10, recent - timedelta(days=12), 10, 11)
            purchase("layla_old", "layla", slp10, slp_s, 10, today - timedelta(days=200), 0, 12)
            purchase("basil_aba", "basil", aba20, aba_s, 20, recent, 0, 13)
            # Sami's package runs out tomorrow: no slot after that may be offered.
            purchase("sami_slp", "sami", slp10, slp_s, 10, today - timedelta(days=89), 0, 14)

            # Tomorrow 10:00 a group of four seats with three children in it already.
            start = datetime.combine(today + timedelta(days=1), time(10), TZ).astimezone(UTC)
            end = start + timedelta(minutes=60)
            group = GroupSession(
                tenant_id=t,
                clinic_id=slp.id,
                service_id=group_s.id,
                provider_id=huda.id,
                start_at=start,
                end_at=end,
                capacity=4,
            )
            s.add(group)
            s.flush()
            s.add(
                ProviderBlock(
                    tenant_id=t,
                    provider_id=huda.id,
                    start_at=start,
                    end_at=end,
                    group_session_id=group.id,
                )
            )
            for child in group_people:
                s.add(
                    Appointment(
                        tenant_id=t,
                        patient_id=child.id,
                        clinic_id=slp.id,
                        service_id=group_s.id,
                        provider_id=huda.id,
                        start_at=start,
                        end_at=end,
                        kind="GROUP",
                        group_session_id=group.id,
                    )
                )
            ids.update(group=group.id, group_service=group_s.id)
    finally:
        engine.dispose()
    return seed
