"""A clinic big enough that the planners prefer an index where one fits, for the EXPLAIN tests:
40,000 patients (PostgreSQL prices the trigram index below a sequential scan only at about
that size), a third of them with a purchase, and 9,000 booked appointments around DAY.

The catalog goes through the row builders one row at a time; the many rows are the builders'
values inserted in bulk, which takes seconds where ORM objects would take a minute.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import Engine, text

from deskbook.db.engine import write_session
from deskbook.db.models import Appointment, PackagePurchase, Patient, ProviderBlock, PurchaseQuota
from deskbook.passwords import hash_password
from deskbook.testing.rows import (
    Rows,
    appointment_values,
    block_values,
    bulk_insert,
    patient_values,
    purchase_values,
)

PASSWORD = "frontdesk"
PATIENTS = 40000
APPOINTMENTS = 9000
DAY = date(2026, 3, 2)  # a Monday
HOURS = (time(5), time(23))
_SYLLABLES = ["ka", "ri", "mo", "sa", "lu", "ne", "to", "ba", "fi", "qu", "dre", "zan", "vol"]
_AR_SYLLABLES = ["كا", "ري", "مو", "سا", "لو", "نـ", "تو", "با", "في", "قو", "در", "زان", "ول"]


@dataclass(frozen=True)
class ExplainClinic:
    tenant: uuid.UUID
    clinic: uuid.UUID
    service: uuid.UUID
    provider: uuid.UUID
    patient: SimpleNamespace  # the first patient's columns, to search for
    rare_name: str


def _names(rng: random.Random) -> tuple[str, str]:
    """A made-up name in English and the same syllables in Arabic."""
    picks = [rng.randrange(len(_SYLLABLES)) for _ in range(6)]

    def spell(syllables: list[str]) -> str:
        return (
            "".join(syllables[i] for i in picks[:3])
            + " "
            + "".join(syllables[i] for i in picks[3:])
        )

    return spell(_SYLLABLES), spell(_AR_SYLLABLES)


def build(engine: Engine, seed: int = 5) -> ExplainClinic:
    """The clinic in the (migrated, empty) database of engine, analyzed."""
    rng = random.Random(seed)
    with write_session(engine) as session:
        rows = Rows.new_tenant(session, "Explain")
        t = rows.tenant_id
        rows.staff("frontdesk", hash_password(PASSWORD), display_name="Front desk")
        providers = []
        for n in range(3):
            clinic = rows.clinic(f"C{n}", "SLP")
            service = rows.service(clinic, f"S{n}", 30, Decimal(100))
            for k in range(4):
                providers.append((rows.provider(f"Dr {n}{k}", clinic, (service,), HOURS), service))
        first_service = providers[0][1]
        package = rows.package("10 sessions", {first_service.id: 10}, Decimal(900), 365)

        conn = session.connection()
        people = []
        for i in range(PATIENTS):
            name_en, name_ar = _names(rng)
            phone = f"05{rng.randrange(10**8):08d}"
            national_id = f"1{rng.randrange(10**9):09d}"
            people.append(
                patient_values(t, f"P{i + 1:07d}", name_en, phone, name_ar, national_id=national_id)
            )
        patients = bulk_insert(conn, Patient, people)
        purchases = bulk_insert(
            conn,
            PackagePurchase,
            (
                purchase_values(t, p["id"], package, date(2026, 1, 1), date(2026, 12, 31))
                for p in patients[: PATIENTS // 3]
            ),
        )
        bulk_insert(
            conn,
            PurchaseQuota,
            (
                dict(tenant_id=t, purchase_id=p["id"], service_id=first_service.id, quota=10)
                for p in purchases
            ),
        )
        booked = []
        start0 = datetime.combine(DAY - timedelta(days=60), time(6), tzinfo=UTC)
        slot = 0
        for i in range(APPOINTMENTS):
            provider, service = providers[i % len(providers)]
            if i % len(providers) == 0:
                slot += 1
            start = start0 + timedelta(minutes=30 * slot)
            patient_id = patients[(i * 7) % PATIENTS]["id"]
            booked.append(appointment_values(t, patient_id, service, provider.id, start))
        appointments = bulk_insert(conn, Appointment, booked)
        bulk_insert(conn, ProviderBlock, (block_values(a) for a in appointments))
        found = ExplainClinic(
            tenant=t,
            clinic=first_service.clinic_id,
            service=first_service.id,
            provider=providers[0][0].id,
            patient=SimpleNamespace(**patients[0]),
            rare_name=patients[0]["name_en"],
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return found
