"""The package stories of SCENARIOS.md, through the Desk API."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from deskbook.errors import (
    InvalidInput,
    NotFound,
    NotPatientsPackage,
    PackageExhausted,
    PackageExpired,
    PermissionDenied,
    PurchaseInUse,
)
from deskbook.testing import clock
from deskbook.testing.clock import at, future_day
from deskbook.testing.small_clinic import World


def test_packages_belong_to_their_patient(world: World) -> None:
    d = world.login()
    a, b = world.patient("Patient A"), world.patient("Patient B")
    x = d.assign_package(a, world.slp10)
    y = d.assign_package(b, world.aba20)
    choice = d.packages_for_patient(a)
    assert [p.id for p in choice.assigned] == [x.id]
    assert y.id not in {p.id for p in choice.assigned}
    assert {p.id for p in choice.available} == {world.slp10, world.aba20}
    before = world.counts()
    with pytest.raises(NotPatientsPackage, match="belongs to another patient"):
        d.book(a, world.aba, world.chadi, at(future_day(), 9), purchase_id=y.id)
    assert world.counts() == before


def test_remaining_sessions_decide(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    day = future_day()
    booked = [
        d.book(patient, world.slp, world.amal, at(day, h), purchase_id=purchase)
        for h in range(8, 13)
    ]
    world.move_to_day(booked[0].id, clock.today())
    d.complete(booked[0].id)
    [card] = d.packages_for_patient(patient).assigned
    assert (card.total, card.used, card.remaining, card.usable) == (10, 5, 5, True)
    assert (card.completed, card.scheduled) == (1, 4)
    assert card.services[0].remaining == 5
    for h in range(13, 18):
        d.book(patient, world.slp, world.amal, at(day, h), purchase_id=purchase)
    [card] = d.packages_for_patient(patient).assigned
    assert (card.used, card.remaining, card.usable, card.reason) == (
        10,
        0,
        False,
        "no sessions left",
    )
    with pytest.raises(PackageExhausted):
        d.book(patient, world.slp, world.badr, at(day + timedelta(days=1), 9), purchase_id=purchase)


def test_expired_is_greyed_and_no_slot_after_expiry(world: World) -> None:
    d = world.login()
    patient = world.patient()
    today = clock.today()
    old = world.purchase(
        patient, world.slp10, bought=today - timedelta(days=100), expiry=today - timedelta(days=10)
    )
    soon = world.purchase(patient, world.slp10, bought=today, expiry=today + timedelta(days=2))
    cards = {c.id: c for c in d.packages_for_patient(patient).assigned}
    assert cards[old].usable is False
    assert cards[old].reason == f"expired on {(today - timedelta(days=10)).isoformat()}"
    assert cards[soon].usable is True
    assert [c.id for c in d.packages_for_patient(patient).assigned] == [soon, old]
    with pytest.raises(PackageExpired, match="expired on"):
        d.book(patient, world.slp, world.amal, at(today + timedelta(days=1), 9), purchase_id=old)
    last = today + timedelta(days=2)
    assert d.free_slots(world.amal, world.slp, last, purchase_id=soon)
    assert d.free_slots(world.amal, world.slp, last + timedelta(days=1), purchase_id=soon) == []
    assert d.free_slots(world.amal, world.slp, last + timedelta(days=1))
    found = d.first_available(world.slp_clinic, world.slp, at(last + timedelta(days=1), 8), soon)
    assert found is None
    with pytest.raises(PackageExpired, match="expires on"):
        d.book(patient, world.slp, world.amal, at(last + timedelta(days=1), 9), purchase_id=soon)


def test_assign_and_use(world: World) -> None:
    d = world.login()
    patient = world.patient()
    choice = d.packages_for_patient(patient)
    assert choice.assigned == ()
    aba = next(p for p in choice.available if p.name_en == "20 ABA Therapy Package")
    assert (aba.total_sessions, aba.validity_days, aba.currency) == (20, 90, "SAR")
    assert [s.clinic_name_en for s in aba.services] == ["ABA Clinic"]
    purchase = d.assign_package(patient, aba.id)
    today = clock.today()
    assert (purchase.purchase_date, purchase.expiry_date) == (today, today + timedelta(days=90))
    assert (purchase.total, purchase.used, purchase.status, purchase.usable) == (
        20,
        0,
        "ACTIVE",
        True,
    )
    [clinic] = d.clinics_for(purchase_id=purchase.id)
    assert clinic.id == world.aba_clinic
    [provider] = d.providers_for(clinic.id, world.aba)
    slot = d.free_slots(provider.id, world.aba, future_day(), purchase.id)[0]
    booked = d.book(patient, world.aba, provider.id, slot, purchase_id=purchase.id)
    assert (booked.status, booked.purchase_id, booked.session_number) == ("BOOKED", purchase.id, 1)
    assert booked.session_total == 20


def test_the_same_package_twice(world: World) -> None:
    d = world.login()
    patient = world.patient()
    first = d.assign_package(patient, world.slp10).id
    second = d.assign_package(patient, world.slp10).id
    day = future_day()
    for h in (9, 10, 11):
        d.book(patient, world.slp, world.amal, at(day, h), purchase_id=first)
    cards = {c.id: c for c in d.packages_for_patient(patient).assigned}
    assert (cards[first].used, cards[first].remaining) == (3, 7)
    assert (cards[second].used, cards[second].remaining) == (0, 10)
    b = d.book(patient, world.slp, world.amal, at(day, 12), purchase_id=second)
    assert b.session_number == 1
    third = d.assign_package(patient, world.slp10)
    assert len(d.packages_for_patient(patient).assigned) == 3
    assert third.remaining == 10


def test_a_purchase_assigned_by_mistake_is_voided(world: World) -> None:
    d = world.login()
    patient = world.patient()
    wrong = d.assign_package(patient, world.aba20)
    right = d.assign_package(patient, world.slp10)
    voided = d.void_purchase(wrong.id, "  picked the wrong package ")
    assert (voided.status, voided.usable, voided.reason) == ("VOIDED", False, "voided")
    cards = d.packages_for_patient(patient).assigned
    assert [(c.id, c.reason) for c in cards] == [(right.id, None), (wrong.id, "voided")]
    before = world.counts()
    with pytest.raises(PackageExhausted, match="voided"):
        d.book(patient, world.aba, world.chadi, at(future_day(), 9), purchase_id=wrong.id)
    with pytest.raises(InvalidInput, match="voided; only an active one"):
        d.void_purchase(wrong.id, "again")
    assert world.counts() == before
    [event] = [e for e in world.login("admin").audit_log(5) if e.action == "void_purchase"]
    assert event.entity_id == wrong.id
    assert "picked the wrong package" in (event.after or "")
    assert "ACTIVE" in (event.before or "")


def test_a_purchase_with_a_session_booked_is_not_voided(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    booked = d.book(patient, world.slp, world.amal, at(future_day(), 9), purchase_id=purchase)
    before = world.counts()
    with pytest.raises(PurchaseInUse, match="1 session used or booked"):
        d.void_purchase(purchase, "mistake")
    assert world.counts() == before
    assert d.packages_for_patient(patient).assigned[0].status == "ACTIVE"
    d.cancel(booked.id, "booked on the wrong package")
    assert d.void_purchase(purchase, "mistake").status == "VOIDED"


def test_voiding_needs_a_reason_a_booker_and_the_tenant(world: World) -> None:
    d = world.login()
    purchase = d.assign_package(world.patient(), world.slp10).id
    provider, admin = world.login("provider"), world.login("admin")
    before = world.counts()
    with pytest.raises(InvalidInput, match="reason is required"):
        d.void_purchase(purchase, "  ")
    with pytest.raises(PermissionDenied):
        provider.void_purchase(purchase, "mistake")
    with pytest.raises(NotFound):
        d.void_purchase("00000000-0000-0000-0000-000000000000", "mistake")
    with pytest.raises(InvalidInput, match="not a valid purchase id"):
        d.void_purchase("nonsense", "mistake")
    assert world.counts() == before
    assert admin.void_purchase(purchase, "mistake").status == "VOIDED"


def test_a_single_session_warns_of_a_usable_package(world: World) -> None:
    d = world.login()
    patient = world.patient()
    assert d.usable_purchases_for(patient, world.slp) == []
    slp = d.assign_package(patient, world.slp10)
    d.assign_package(patient, world.aba20)
    today = clock.today()
    soon = world.purchase(patient, world.slp10, bought=today, expiry=today + timedelta(days=5))
    world.purchase(
        patient, world.slp10, bought=today - timedelta(days=99), expiry=today - timedelta(days=1)
    )
    used_up = world.purchase(patient, world.slp10, quota=1)
    d.book(patient, world.slp, world.amal, at(future_day(), 9), purchase_id=used_up)
    assert [p.id for p in d.usable_purchases_for(patient, world.slp)] == [soon, slp.id]
    d.void_purchase(slp.id, "mistake")
    assert [p.id for p in d.usable_purchases_for(patient, world.slp)] == [soon]
    with pytest.raises(NotFound):
        d.usable_purchases_for(patient, "00000000-0000-0000-0000-000000000000")


def test_the_next_session_number_is_the_one_booking_gives(world: World) -> None:
    from decimal import Decimal

    from deskbook.db.engine import write_session
    from deskbook.db.models import Package, PackageService

    with write_session(world.desk.engine) as s:
        mixed = Package(
            tenant_id=world.tenant_id, name_en="Mixed", price=Decimal("900"), validity_days=90
        )
        s.add(mixed)
        s.flush()
        for service, sessions in ((world.slp, 2), (world.aba, 2)):
            s.add(
                PackageService(
                    tenant_id=world.tenant_id,
                    package_id=mixed.id,
                    service_id=service,
                    sessions=sessions,
                )
            )
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, mixed.id).id
    day = future_day()
    d.book(patient, world.aba, world.chadi, at(day, 9), purchase_id=purchase)
    d.book(patient, world.aba, world.chadi, at(day, 15), purchase_id=purchase)
    preview = d.next_session_number(purchase, world.slp, at(day, 11))
    assert (preview.number, preview.total, preview.service_remaining) == (2, 4, 2)
    booked = d.book(patient, world.slp, world.amal, at(day, 11), purchase_id=purchase)
    assert (booked.session_number, booked.session_total) == (preview.number, preview.total)
    first = d.next_session_number(purchase, world.slp, at(day, 8))
    assert (first.number, first.service_remaining) == (1, 1)
    assert (
        d.book(patient, world.slp, world.amal, at(day, 8), purchase_id=purchase).session_number == 1
    )
    with pytest.raises(InvalidInput, match="does not include"):
        d.next_session_number(purchase, world.social, at(day, 12))
    with pytest.raises(InvalidInput, match="time zone"):
        d.next_session_number(purchase, world.slp, datetime(2030, 1, 1, 9))
