"""The schema itself refuses every row that breaks a rule, on both engines, whatever code wrote
it: unique MRN per tenant, one live appointment per session number of a purchase, provider time
held once (appointments and group sessions alike), a patient's live appointments never
overlapping, foreign keys, and the check constraints."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from deskbook.db.engine import (
    PATIENT_OVERLAP,
    PROVIDER_OVERLAP,
    PURCHASE_SESSION,
    make_engine,
    violated_rule,
    write_session,
)
from deskbook.db.models import (
    Appointment,
    Clinic,
    GroupSession,
    Package,
    PackagePurchase,
    Patient,
    Provider,
    ProviderBlock,
    ProviderSchedule,
    PurchaseQuota,
    Service,
    Staff,
    Tenant,
)

T0 = datetime(2030, 3, 3, 6, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass
class World:
    engine: Engine
    tenant: uuid.UUID
    clinic: uuid.UUID
    service: uuid.UUID
    group_service: uuid.UUID
    provider: uuid.UUID
    other_provider: uuid.UUID
    patient: uuid.UUID
    other_patient: uuid.UUID
    purchase: uuid.UUID

    def add(self, *rows: SQLModel) -> None:
        with write_session(self.engine) as session:
            session.add_all(rows)

    def appointment(self, start: int, minutes: int = 45, **values: object) -> Appointment:
        fields: dict[str, object] = dict(
            tenant_id=self.tenant,
            patient_id=self.patient,
            clinic_id=self.clinic,
            service_id=self.service,
            provider_id=self.provider,
            start_at=at(start),
            end_at=at(start + minutes),
        )
        fields.update(values)
        return Appointment(**fields)

    def block(self, appointment: Appointment) -> ProviderBlock:
        return ProviderBlock(
            tenant_id=self.tenant,
            provider_id=appointment.provider_id,
            start_at=appointment.start_at,
            end_at=appointment.end_at,
            appointment_id=appointment.id,
        )

    def book(self, start: int, minutes: int = 45, **values: object) -> Appointment:
        """A live individual appointment with its provider block, as the booking code writes it."""
        appointment = self.appointment(start, minutes, **values)
        with write_session(self.engine) as session:
            session.add(appointment)
            session.flush()
            session.add(self.block(appointment))
        return appointment


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    engine = make_engine(db_url)
    tenant = Tenant(name="Constraint Clinic")
    clinic = Clinic(tenant_id=tenant.id, name_en="Speech", specialty="SLP")
    service = Service(
        tenant_id=tenant.id, clinic_id=clinic.id, name_en="Speech session",
        duration_minutes=45, price=Decimal("300.00"),
    )  # fmt: skip
    group_service = Service(
        tenant_id=tenant.id, clinic_id=clinic.id, name_en="Speech group",
        duration_minutes=60, price=Decimal("150.00"), group_capable=True,
    )  # fmt: skip
    provider = Provider(tenant_id=tenant.id, name_en="Dr. One")
    other_provider = Provider(tenant_id=tenant.id, name_en="Dr. Two")
    patients = [
        Patient(tenant_id=tenant.id, mrn=f"C{i}", name_en=f"Patient {i}", phone="0500000000")
        for i in (1, 2)
    ]
    package = Package(
        tenant_id=tenant.id, name_en="10 SLP Sessions", price=Decimal("3000"), validity_days=90
    )
    purchase = PackagePurchase(
        tenant_id=tenant.id, patient_id=patients[0].id, package_id=package.id,
        purchase_date=date(2030, 3, 1), expiry_date=date(2030, 5, 30), price_paid=Decimal("3000"),
    )  # fmt: skip
    quota = PurchaseQuota(
        tenant_id=tenant.id, purchase_id=purchase.id, service_id=service.id, quota=10
    )
    w = World(
        engine, tenant.id, clinic.id, service.id, group_service.id, provider.id,
        other_provider.id, patients[0].id, patients[1].id, purchase.id,
    )  # fmt: skip
    with write_session(engine) as session:
        for row in (tenant, clinic, service, group_service, provider, other_provider, package):
            session.add(row)
            session.flush()
        session.add_all(patients)
        session.flush()
        session.add(purchase)
        session.flush()
        session.add(quota)
    try:
        yield w
    finally:
        engine.dispose()


def refused(world: World, *rows: SQLModel) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught:
        world.add(*rows)
    return caught.value


def test_mrn_is_unique_within_a_tenant(world: World) -> None:
    twin = Patient(tenant_id=world.tenant, mrn="C1", name_en="Someone Else", phone="0511111111")
    assert violated_rule(refused(world, twin)) == "uq_patient_tenant_mrn"
    other_tenant = Tenant(name="Another Clinic")
    world.add(other_tenant)
    world.add(Patient(tenant_id=other_tenant.id, mrn="C1", name_en="Same MRN", phone="05"))


def test_staff_username_is_unique(world: World) -> None:
    def staff(name: str) -> Staff:
        return Staff(
            tenant_id=world.tenant, username="amal", display_name=name, password_hash="x",
            role="FRONT_DESK",
        )  # fmt: skip

    world.add(staff("Amal"))
    refused(world, staff("Amal again"))


def test_one_live_appointment_per_session_number(world: World) -> None:
    package = dict(kind="PACKAGE", purchase_id=world.purchase, session_number=1)
    world.book(0, **package)
    error = refused(world, world.appointment(24 * 60, **package))
    assert violated_rule(error) == PURCHASE_SESSION
    # A cancelled appointment keeps the number it held; it does not count.
    world.add(world.appointment(2 * 24 * 60, status="CANCELLED", **package))
    world.add(world.appointment(3 * 24 * 60, kind="PACKAGE", purchase_id=world.purchase,
                                session_number=2))  # fmt: skip


def test_provider_time_is_held_once_between_appointments(world: World) -> None:
    world.book(0)
    clash = world.appointment(30, patient_id=world.other_patient)
    world.add(clash)  # the appointment row alone holds no provider time ...
    error = refused(world, world.block(clash))  # ... its block does
    assert violated_rule(error) == PROVIDER_OVERLAP
    # Back to back is fine, and so is another provider at the same time.
    world.book(45)
    world.book(200, provider_id=world.other_provider)
    world.book(200 + 30, patient_id=world.other_patient)


def test_a_group_session_holds_its_provider_time(world: World) -> None:
    group = GroupSession(
        tenant_id=world.tenant, clinic_id=world.clinic, service_id=world.group_service,
        provider_id=world.provider, start_at=at(0), end_at=at(60), capacity=4,
    )  # fmt: skip
    block = ProviderBlock(
        tenant_id=world.tenant, provider_id=world.provider, start_at=at(0), end_at=at(60),
        group_session_id=group.id,
    )  # fmt: skip
    world.add(group)
    world.add(block)
    # Participants hold no provider time of their own ...
    for patient in (world.patient, world.other_patient):
        world.add(
            world.appointment(0, 60, patient_id=patient, service_id=world.group_service,
                              kind="GROUP", group_session_id=group.id)
        )  # fmt: skip
    # ... but an individual appointment of that provider inside the session is refused.
    third = Patient(tenant_id=world.tenant, mrn="C3", name_en="Patient 3", phone="0533333333")
    world.add(third)
    single = world.appointment(45, 45, patient_id=third.id)
    with pytest.raises(IntegrityError) as caught, write_session(world.engine) as session:
        session.add(single)
        session.flush()
        session.add(world.block(single))
    assert violated_rule(caught.value) == PROVIDER_OVERLAP


def test_a_block_may_not_move_onto_another(world: World) -> None:
    world.book(0)
    later = world.book(120, patient_id=world.other_patient)
    with pytest.raises(IntegrityError) as caught, write_session(world.engine) as session:
        session.execute(
            update(ProviderBlock)
            .where(ProviderBlock.appointment_id == later.id)
            .values(start_at=at(30), end_at=at(75))
        )
    assert violated_rule(caught.value) == PROVIDER_OVERLAP


def test_a_patients_live_appointments_never_overlap(world: World) -> None:
    world.book(0)
    error = refused(world, world.appointment(20, provider_id=world.other_provider))
    assert violated_rule(error) == PATIENT_OVERLAP
    # A cancelled appointment does not count, either way round.
    cancelled = world.appointment(20, provider_id=world.other_provider, status="CANCELLED")
    world.add(cancelled)
    world.add(world.appointment(500, provider_id=world.other_provider, status="CANCELLED"))
    world.add(world.appointment(510, provider_id=world.other_provider))
    # Bringing a cancelled one back to life over a live one is refused too.
    with pytest.raises(IntegrityError) as caught, write_session(world.engine) as session:
        session.execute(
            update(Appointment).where(Appointment.id == cancelled.id).values(status="BOOKED")
        )
    assert violated_rule(caught.value) == PATIENT_OVERLAP


def test_foreign_keys_are_enforced(world: World) -> None:
    nobody = uuid.uuid4()
    refused(world, world.appointment(0, patient_id=nobody))
    refused(world, Clinic(tenant_id=nobody, name_en="Ghost", specialty="SLP"))
    refused(
        world,
        PurchaseQuota(
            tenant_id=world.tenant, purchase_id=nobody, service_id=world.service, quota=1
        ),
    )


CHECKS: dict[str, Callable[[World], SQLModel]] = {
    "appointment ends before it starts": lambda w: w.appointment(0, -15),
    "package appointment without a purchase": lambda w: w.appointment(0, kind="PACKAGE"),
    "single appointment with a purchase": lambda w: w.appointment(
        0, purchase_id=w.purchase, session_number=1
    ),
    "group appointment without a session": lambda w: w.appointment(0, kind="GROUP"),
    "session number zero": lambda w: w.appointment(
        0, kind="PACKAGE", purchase_id=w.purchase, session_number=0
    ),
    "service of zero minutes": lambda w: Service(
        tenant_id=w.tenant, clinic_id=w.clinic, name_en="x", duration_minutes=0, price=1
    ),
    "quota of zero": lambda w: PurchaseQuota(
        tenant_id=w.tenant, purchase_id=w.purchase, service_id=w.group_service, quota=0
    ),
    "package valid zero days": lambda w: Package(
        tenant_id=w.tenant, name_en="x", price=1, validity_days=0
    ),
    "purchase expiring before it was bought": lambda w: PackagePurchase(
        tenant_id=w.tenant,
        patient_id=w.patient,
        package_id=_package_of(w),
        purchase_date=date(2030, 5, 1),
        expiry_date=date(2030, 4, 1),
        price_paid=1,
    ),
    "schedule on weekday 7": lambda w: ProviderSchedule(
        tenant_id=w.tenant,
        provider_id=w.provider,
        clinic_id=w.clinic,
        weekday=7,
        start_time=time(8),
        end_time=time(16),
    ),
    "schedule ending before it starts": lambda w: ProviderSchedule(
        tenant_id=w.tenant,
        provider_id=w.provider,
        clinic_id=w.clinic,
        weekday=6,
        start_time=time(16),
        end_time=time(8),
    ),
    "group of no seats": lambda w: GroupSession(
        tenant_id=w.tenant,
        clinic_id=w.clinic,
        service_id=w.group_service,
        provider_id=w.provider,
        start_at=at(0),
        end_at=at(60),
        capacity=0,
    ),
    "block owned by nothing": lambda w: ProviderBlock(
        tenant_id=w.tenant, provider_id=w.provider, start_at=at(0), end_at=at(60)
    ),
}


def _package_of(world: World) -> uuid.UUID:
    with Session(world.engine) as session:
        purchase = session.get(PackagePurchase, world.purchase)
        assert purchase is not None
        return purchase.package_id


@pytest.mark.parametrize("case", sorted(CHECKS))
def test_check_constraints(world: World, case: str) -> None:
    refused(world, CHECKS[case](world))
