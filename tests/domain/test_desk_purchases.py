"""A purchase from sale to its last session (issue 14): extend, transfer, cancel, payments,
expiry warnings; its status stays true after every operation. Both engines."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from deskbook.db.engine import write_session
from deskbook.db.models import PackagePurchase
from deskbook.errors import (
    DeskError,
    InvalidInput,
    NotFound,
    PackageExhausted,
    PackageExpired,
    PermissionDenied,
)
from deskbook.testing.clock import at, future_day, today
from deskbook.testing.invariants import check_invariants, table_counts, violations
from deskbook.testing.small_clinic import World, build


def set_purchase(world: World, purchase_id: object, **values: object) -> None:
    """Change a purchase behind the API's back: one sold earlier, or voided elsewhere."""
    with write_session(world.desk.engine) as s:
        s.execute(update(PackagePurchase).where(PackagePurchase.id == purchase_id).values(**values))


def clean(world: World) -> None:
    """Every invariant, the purchase status rule among them."""
    assert violations(check_invariants(world.desk.engine)) == {}


def card(world: World, patient: object, purchase_id: object) -> object:
    d = world.login()
    return next(c for c in d.packages_for_patient(patient).assigned if c.id == purchase_id)


def unchanged(world: World, calls: list[tuple[type[DeskError], str, object]]) -> None:
    before = table_counts(world.desk.engine)
    for error, match, call in calls:
        with pytest.raises(error, match=match):
            call()  # type: ignore[operator]
    assert table_counts(world.desk.engine) == before


def test_status_is_true_after_every_operation(world: World) -> None:
    d, admin = world.login(), world.login("admin")
    patient = world.patient()
    purchase = d.assign_package(patient, world.aba20)
    clean(world)
    assert (purchase.status, purchase.price, purchase.paid, purchase.balance) == (
        "ACTIVE",
        Decimal("2500.00"),
        Decimal("0.00"),
        Decimal("2500.00"),
    )
    assert purchase.days_left == 90 and purchase.warning is None
    set_purchase(world, purchase.id, status="ACTIVE")
    day = future_day()
    visits = [
        d.book(
            patient, world.aba, world.chadi, at(day + timedelta(days=n), 9), purchase_id=purchase.id
        )
        for n in range(20)
    ]
    clean(world)
    for n, visit in enumerate(visits):  # the twenty days have come: the last one is today
        world.move_to_day(visit.id, today() - timedelta(days=19 - n))
    for visit in visits[:-1]:
        d.complete(visit.id)
    clean(world)
    assert card(world, patient, purchase.id).status == "ACTIVE"  # type: ignore[attr-defined]
    d.no_show(visits[-1].id)  # the last session is spent: the package is done
    clean(world)
    assert card(world, patient, purchase.id).status == "COMPLETED"  # type: ignore[attr-defined]
    d.record_payment(purchase.id, "2500", "CARD", "POS 7781")
    clean(world)
    sibling = world.patient()
    unchanged(
        world,
        [
            (
                InvalidInput,
                "nothing to extend",
                lambda: admin.extend_purchase(purchase.id, today() + timedelta(days=200), "asked"),
            ),
            (
                InvalidInput,
                "nothing to cancel",
                lambda: admin.cancel_purchase(purchase.id, "asked"),
            ),
            (
                InvalidInput,
                "no sessions to transfer",
                lambda: admin.transfer_purchase(purchase.id, sibling, "sibling"),
            ),
        ],
    )


def test_extend(world: World) -> None:
    d, admin = world.login(), world.login("admin")
    patient = world.patient()
    lapsed = d.assign_package(patient, world.slp10).id
    set_purchase(
        world,
        lapsed,
        purchase_date=today() - timedelta(days=100),
        expiry_date=today() - timedelta(days=10),
    )
    assert card(world, patient, lapsed).status == "EXPIRED"  # type: ignore[attr-defined]
    clean(world)
    unchanged(
        world,
        [
            (
                PermissionDenied,
                "cannot extend",
                lambda: d.extend_purchase(lapsed, today() + timedelta(days=30), "asked"),
            ),
            (
                InvalidInput,
                "already passed",
                lambda: admin.extend_purchase(lapsed, today() - timedelta(days=1), "asked"),
            ),
            (
                InvalidInput,
                "reason is required",
                lambda: admin.extend_purchase(lapsed, today() + timedelta(days=30), " "),
            ),
            (
                InvalidInput,
                "too far ahead",
                lambda: admin.extend_purchase(lapsed, today() + timedelta(days=900), "asked"),
            ),
            (
                PackageExpired,
                "expired",
                lambda: d.book(
                    patient, world.slp, world.amal, at(future_day(), 9), purchase_id=lapsed
                ),
            ),
        ],
    )
    back = admin.extend_purchase(lapsed, today() + timedelta(days=30), "hospital stay")
    assert (back.status, back.usable, back.expiry_date, back.days_left) == (
        "ACTIVE",
        True,
        today() + timedelta(days=30),
        30,
    )
    clean(world)
    d.book(patient, world.slp, world.amal, at(future_day(), 9), purchase_id=lapsed)
    with pytest.raises(InvalidInput, match="already runs to"):
        admin.extend_purchase(lapsed, today() + timedelta(days=20), "shorter")
    event = next(e for e in admin.audit_log(20) if e.action == "extend_purchase")
    assert json.loads(event.after or "{}")["reason"] == "hospital stay"


def test_transfer_moves_the_unused_unbooked_sessions(world: World) -> None:
    d, admin = world.login(), world.login("admin")
    giver, sibling = world.patient("Older Brother"), world.patient("Younger Sister")
    purchase = d.assign_package(giver, world.slp10)
    day = future_day()
    first = d.book(giver, world.slp, world.amal, at(day, 9), purchase_id=purchase.id)
    world.move_to_day(first.id, today())
    d.complete(first.id)
    kept = d.book(giver, world.slp, world.amal, at(day, 10), purchase_id=purchase.id)
    other = build(world.url, prefix=f"{world.prefix}x_", name="Another Clinic")
    try:
        stranger = other.patient()
    finally:
        other.desk.close()
    unchanged(
        world,
        [
            (
                InvalidInput,
                "already belongs to that patient",
                lambda: admin.transfer_purchase(purchase.id, giver, "mistake"),
            ),
            (
                NotFound,
                "No such patient",
                lambda: admin.transfer_purchase(purchase.id, stranger, "other tenant"),
            ),
            (
                PermissionDenied,
                "cannot transfer",
                lambda: d.transfer_purchase(purchase.id, sibling, "family"),
            ),
        ],
    )
    moved = admin.transfer_purchase(purchase.id, sibling, "family decision")
    assert moved.sessions_moved == 8
    assert (moved.original.status, moved.original.remaining, moved.original.used) == (
        "TRANSFERRED",
        0,
        2,
    )
    assert (moved.new.patient_id, moved.new.total, moved.new.remaining) == (sibling, 8, 8)
    assert (moved.new.expiry_date, moved.new.price, moved.new.balance) == (
        purchase.expiry_date,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert moved.original.balance == Decimal("0.00")  # its debt stays in payments, not here
    clean(world)
    # The booked visit stays with the giver; the new sessions are the sibling's to book.
    assert {a.id for a in d.appointments_of(giver) if a.status == "BOOKED"} == {kept.id}
    with pytest.raises(PackageExhausted, match="transferred"):
        d.book(giver, world.slp, world.amal, at(day, 11), purchase_id=purchase.id)
    d.book(sibling, world.slp, world.badr, at(day, 11), purchase_id=moved.new.id)
    d.cancel(kept.id, "moved on")  # its session stays with the old purchase, not bookable
    after = card(world, giver, purchase.id)
    assert (after.status, after.usable, after.reason) == (  # type: ignore[attr-defined]
        "TRANSFERRED",
        False,
        "transferred to another patient",
    )
    clean(world)
    events = {e.action: json.loads(e.after or "{}") for e in admin.audit_log(20)}
    link = events["transfer_purchase"]
    assert (link["from_purchase_id"], link["to_purchase_id"]) == (
        str(purchase.id),
        str(moved.new.id),
    )
    given = next(e for e in admin.audit_log(20) if e.entity_id == moved.new.id)
    assert json.loads(given.after or "{}")["from_purchase_id"] == str(purchase.id)


def test_cancel_purchase_cancels_future_visits_and_says_the_refund(world: World) -> None:
    d, admin = world.login(), world.login("admin")
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    day = future_day()
    visits = [
        d.book(patient, world.slp, world.amal, at(day, h), purchase_id=purchase)
        for h in (9, 10, 11, 12)
    ]
    for visit in visits[:3]:  # today's; the fourth is still to come
        world.move_to_day(visit.id, today())
    d.complete(visits[0].id)
    d.no_show(visits[1].id)
    d.record_payment(purchase, Decimal("2500"), "CASH")
    arrived = d.check_in(visits[2].id)
    unchanged(
        world,
        [
            (PermissionDenied, "cannot cancel packages", lambda: d.cancel_purchase(purchase, "x")),
            (InvalidInput, "is still open; mark it", lambda: admin.cancel_purchase(purchase, "x")),
        ],
    )
    d.complete(arrived.id)
    done = admin.cancel_purchase(purchase, "moving abroad")
    # 3 of 10 sessions used (2,500 / 10 each); the 4th, still to come, is cancelled.
    assert (done.cancelled_visits, done.paid, done.refund_due, done.currency) == (
        1,
        Decimal("2500.00"),
        Decimal("1750.00"),
        "SAR",
    )
    assert (done.purchase.status, done.purchase.balance, done.purchase.usable) == (
        "CANCELLED",
        Decimal("0.00"),
        False,
    )
    statuses = [a.status for a in sorted(d.appointments_of(patient), key=lambda a: a.start)]
    assert statuses == ["COMPLETED", "NO_SHOW", "COMPLETED", "CANCELLED"]
    assert at(day, 12) in d.free_slots(world.amal, world.slp, day)
    clean(world)
    unchanged(
        world,
        [
            (
                InvalidInput,
                "was cancelled; it cannot be cancelled",
                lambda: admin.cancel_purchase(purchase, "again"),
            ),
            (InvalidInput, "takes no payments", lambda: d.record_payment(purchase, "10", "CASH")),
            (
                PackageExhausted,
                "cancelled",
                lambda: d.book(patient, world.slp, world.amal, at(day, 15), purchase_id=purchase),
            ),
        ],
    )
    # Paid less than what was used: nothing back.
    second = d.assign_package(patient, world.slp10).id
    for h in (13, 14):
        visit = d.book(patient, world.slp, world.badr, at(day, h), purchase_id=second)
        world.move_to_day(visit.id, today())
        d.complete(visit.id)
    d.record_payment(second, "400.00", "TRANSFER", "IBAN ref 55")
    assert admin.cancel_purchase(second, "stopped").refund_due == Decimal("0.00")
    clean(world)


def test_payments(world: World) -> None:
    d = world.login()
    patient = world.patient()
    purchase = d.assign_package(patient, world.slp10).id
    first = d.record_payment(purchase, Decimal("1000"), "cash")
    provider = world.login("provider")
    assert (first.amount, first.method, first.paid, first.balance) == (
        Decimal("1000.00"),
        "CASH",
        Decimal("1000.00"),
        Decimal("1500.00"),
    )
    unchanged(
        world,
        [
            (InvalidInput, "more than SAR 0", lambda: d.record_payment(purchase, "0", "CASH")),
            (
                InvalidInput,
                "more than SAR 0",
                lambda: d.record_payment(purchase, Decimal("-5"), "CASH"),
            ),
            (InvalidInput, "like 250.50", lambda: d.record_payment(purchase, "lots", "CASH")),
            (InvalidInput, "like 250.50", lambda: d.record_payment(purchase, 10.5, "CASH")),
            (InvalidInput, "like 250.50", lambda: d.record_payment(purchase, "NaN", "CASH")),
            (
                InvalidInput,
                "more than two decimals",
                lambda: d.record_payment(purchase, "10.005", "CASH"),
            ),
            (
                InvalidInput,
                "CASH, CARD or TRANSFER",
                lambda: d.record_payment(purchase, "10", "BITCOIN"),
            ),
            (
                InvalidInput,
                r"SAR 1,600.00 is more than the SAR 1,500.00 still owed",
                lambda: d.record_payment(purchase, "1600", "CARD"),
            ),
            (
                PermissionDenied,
                "cannot take payments",
                lambda: provider.record_payment(purchase, "10", "CASH"),
            ),
        ],
    )
    d.record_payment(purchase, "1,500.00", "CARD", "POS 42")
    [c] = d.packages_for_patient(patient).assigned
    assert (c.price, c.paid, c.balance) == (Decimal("2500.00"), Decimal("2500.00"), Decimal("0"))
    assert [(p.amount, p.reference) for p in d.payments_of(purchase)] == [
        (Decimal("1000.00"), None),
        (Decimal("1500.00"), "POS 42"),
    ]
    with pytest.raises(InvalidInput, match="paid in full"):
        d.record_payment(purchase, "1", "CASH")
    voided = d.assign_package(patient, world.slp10).id
    set_purchase(world, voided, status="VOIDED")  # void_purchase is another change's
    unchanged(
        world,
        [
            (
                InvalidInput,
                "was voided; it takes no payments",
                lambda: d.record_payment(voided, "100", "CASH"),
            ),
        ],
    )
    clean(world)


def test_expiring_packages_warn_the_desk(world: World) -> None:
    d = world.login()
    soon, later, done = world.patient("Soon"), world.patient("Later"), world.patient("Done")
    tight = d.assign_package(soon, world.slp10).id
    set_purchase(
        world,
        tight,
        purchase_date=today() - timedelta(days=81),
        expiry_date=today() + timedelta(days=9),
    )
    day = future_day(1)
    for h in range(9, 15):  # 6 of 10 booked: 4 left
        d.book(soon, world.slp, world.amal, at(day, h), purchase_id=tight)
    loose = d.assign_package(later, world.aba20).id
    set_purchase(
        world,
        loose,
        purchase_date=today() - timedelta(days=80),
        expiry_date=today() + timedelta(days=13),
    )
    d.assign_package(done, world.slp10)  # 90 days left: no warning
    found = d.expiring_purchases()
    assert [(e.patient_name_en, e.days_left, e.remaining) for e in found] == [
        ("Soon", 9, 4),
        ("Later", 13, 20),
    ]
    assert (
        found[0].warning
        == "expires in 9 days, 4 sessions left — not enough weekly slots before then"
    )
    [c] = d.packages_for_patient(soon).assigned
    assert c.warning == found[0].warning and c.days_left == 9
    assert [e.patient_name_en for e in d.expiring_purchases(clinic_id=world.aba_clinic)] == [
        "Later"
    ]
    assert [e.patient_name_en for e in d.expiring_purchases(within_days=10)] == ["Soon"]
    with pytest.raises(InvalidInput):
        d.expiring_purchases(within_days=-1)
