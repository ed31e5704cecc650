"""The screens on the demo clinic (deskbook.db.demo), with its well-known patients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tui_pilot import (
    SIZE,
    Keys,
    purchase_cards,
    screen_name,
    settle,
    step,
    texts,
)

from deskbook.db.demo import DEMO_LOGINS, DEMO_PATIENT, DEMO_PATIENTS, build_demo
from deskbook.desk import Desk
from deskbook.tui.widgets.package_card import CatalogCard

FRONT_DESK = next((u, p) for u, p, role, _ in DEMO_LOGINS if role == "FRONT_DESK")


@pytest.fixture
def demo(db_url: str) -> Iterator[Desk]:
    build_demo(db_url, patients=len(DEMO_PATIENTS) + 40, seed=11)
    desk = Desk.open(db_url)
    yield desk
    desk.close()


def app_for(desk: Desk) -> Any:
    from deskbook.tui.app import DeskApp

    return DeskApp(desk, username=FRONT_DESK[0], password=FRONT_DESK[1])


async def test_book_the_next_session_of_a_half_used_package(demo: Desk) -> None:
    """Mohammed Al-Rashid: 10 SLP Sessions, 3 completed and 2 booked. A sixth session goes in
    by the slot's time, and the purchase's session numbers stay 1..6 in time order."""
    patient = DEMO_PATIENT["rashid"]
    app = app_for(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, *patient.mrn)
        keys = Keys(pilot)
        await keys("enter", "b", "p")
        (card,) = purchase_cards(app)
        assert "5/10 used · 5 left" in str(card.render())
        await keys("enter")
        if screen_name(app) == "PickScreen":
            await keys("enter")  # first available
        assert screen_name(app) == "SlotScreen"
        await keys("enter")
        confirm = texts(app)
        assert "of 10" in confirm
        await keys("enter")
        assert screen_name(app) == "PatientScreen"
        assert keys.count <= 10
    session = demo.login(*FRONT_DESK)
    (found,) = session.search_patients(patient.mrn)
    (purchase,) = session.packages_for_patient(found.id).assigned
    assert (purchase.used, purchase.remaining) == (6, 4)
    linked = sorted(
        (a for a in session.appointments_of(found.id) if a.purchase_id == purchase.id),
        key=lambda a: a.start,
    )
    live = [a for a in linked if a.status != "CANCELLED"]
    assert [a.session_number for a in live] == [1, 2, 3, 4, 5, 6]
    new = [a for a in live if a.status == "BOOKED"]
    assert any(f"Session {a.session_number} of 10" in confirm for a in new)


async def test_used_up_patient_sees_both_purchases_greyed(demo: Desk) -> None:
    patient = DEMO_PATIENT["used_up"]
    app = app_for(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, *patient.mrn)
        await step(pilot, "enter", "b", "p")
        cards = purchase_cards(app)
        assert len(cards) == 2 and all(c.disabled for c in cards)
        reasons = " ".join(str(c.purchase.reason) for c in cards)
        assert "no sessions left" in reasons and "expired" in reasons
        assert isinstance(app.screen.focused, CatalogCard)
