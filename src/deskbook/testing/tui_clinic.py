"""A small clinic for the TUI tests, written straight into a fresh database.

The rows are those of the acceptance scenarios: a patient with an assigned package, one with
nothing, one with two purchases of the same package (3/10 and 0/10), one with an exhausted and
an expired purchase, and another patient's purchase that must never show up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from deskbook.db.engine import make_engine, write_session
from deskbook.db.models import AppointmentKind, AppointmentStatus, Package, Patient, Service
from deskbook.passwords import hash_password
from deskbook.testing.clock import TZ, today, utc
from deskbook.testing.rows import Rows

PASSWORD = "frontdesk"
# Open around the clock, so that "today" has free slots whenever the tests run.
ALL_DAY = (time(0), time(23, 59))


@dataclass
class Seed:
    url: str
    ids: dict[str, uuid.UUID] = field(default_factory=dict)


def _patient(rows: Rows, mrn: str, en: str, ar: str | None, phone: str) -> Patient:
    return rows.patient(mrn, en, phone, ar, date_of_birth=date(2018, 5, 17), sex="F")


def build(url: str) -> Seed:
    seed = Seed(url)
    ids = seed.ids
    engine = make_engine(url)
    day = today()
    try:
        with write_session(engine) as s:
            rows = Rows.new_tenant(s, "Riyadh Therapy Center")
            rows.staff("frontdesk", hash_password(PASSWORD), display_name="Mona Front")
            slp = rows.clinic("SLP Clinic", "SLP", "عيادة النطق")
            aba = rows.clinic("ABA Clinic", "ABA")
            slp_s = rows.service(slp, "SLP Session", 45, Decimal("300"))
            aba_s = rows.service(aba, "ABA Session", 60, Decimal("400"))
            group_s = rows.service(slp, "Social Skills Group", 60, Decimal("150"), group=True)
            huda = rows.provider("Dr. Huda Saleh", slp, (slp_s, group_s), ALL_DAY)
            omar = rows.provider("Dr. Omar Nasser", slp, (slp_s,), ALL_DAY)
            lina = rows.provider("Lina Haddad", aba, (aba_s,), ALL_DAY)
            slp10 = rows.package("10 SLP Sessions", {slp_s.id: 10}, Decimal("2500"), 90)
            aba20 = rows.package("20 ABA Therapy Package", {aba_s.id: 20}, Decimal("6000"), 90)
            people = {
                "rana": _patient(rows, "MRN-0001", "Rana Khalil", "رنا خليل", "0501110001"),
                "noor": _patient(rows, "MRN-0002", "Noor Haddad", "نور حداد", "0501110002"),
                "yusuf": _patient(rows, "MRN-0003", "Yusuf Salem", "يوسف سالم", "0501110003"),
                "layla": _patient(rows, "MRN-0004", "Layla Omar", "ليلى عمر", "0501110004"),
                "basil": _patient(rows, "MRN-0005", "Basil Fares", "باسل فارس", "0501110005"),
                "sami": _patient(rows, "MRN-0006", "Sami Aziz", "سامي عزيز", "0501110006"),
            }
            group_people = [
                _patient(rows, f"MRN-01{i:02d}", f"Group Child {i}", None, f"05022200{i:02d}")
                for i in range(3)
            ]
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
                tenant=rows.tenant_id,
            )

            def purchase(
                name: str,
                who: str,
                package: Package,
                service: Service,
                bought: date,
                used: int,
                hour: int,
            ) -> None:
                patient_id = people[who].id
                ids[name] = rows.purchase(patient_id, package, bought).id
                provider = huda if service is slp_s else lina
                for n in range(used):
                    # Completed sessions, one a day in the past, at an hour of their own.
                    start = datetime.combine(bought + timedelta(days=n + 1), time(hour), TZ)
                    rows.appointment(
                        patient_id,
                        service,
                        provider.id,
                        utc(start),
                        kind=AppointmentKind.PACKAGE,
                        status=AppointmentStatus.COMPLETED,
                        purchase_id=ids[name],
                        session_number=n + 1,
                    )

            recent = day - timedelta(days=20)
            purchase("rana_slp", "rana", slp10, slp_s, recent, 0, 8)
            purchase("yusuf_first", "yusuf", slp10, slp_s, recent, 3, 9)
            purchase("yusuf_second", "yusuf", slp10, slp_s, day - timedelta(days=2), 0, 10)
            purchase("layla_done", "layla", slp10, slp_s, recent - timedelta(days=12), 10, 11)
            purchase("layla_old", "layla", slp10, slp_s, day - timedelta(days=200), 0, 12)
            purchase("basil_aba", "basil", aba20, aba_s, recent, 0, 13)
            # Sami's package runs out tomorrow: no slot after that may be offered.
            purchase("sami_slp", "sami", slp10, slp_s, day - timedelta(days=89), 0, 14)

            # Tomorrow 10:00 a group of four seats with three children in it already.
            start = datetime.combine(day + timedelta(days=1), time(10), TZ)
            group = rows.group_session(group_s, huda.id, utc(start), capacity=4)
            for child in group_people:
                rows.seat(group, child.id)
            ids.update(group=group.id, group_service=group_s.id)
    finally:
        engine.dispose()
    return seed
