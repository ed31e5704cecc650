"""The booking workflow through the screens, on both engines: the SCENARIOS.md stories, each
checked on screen and in the database afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tui_pilot import (
    SIZE,
    Keys,
    at_patient,
    catalog_cards,
    make_app,
    notes,
    open_patient,
    purchase_cards,
    screen_name,
    settle,
    step,
    texts,
)

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.testing.clock import TZ
from deskbook.tui.widgets.package_card import CatalogCard, PurchaseCard
from deskbook.tui.widgets.slot_grid import SlotGrid


def other_desk(desk: Desk) -> Any:
    return desk.login("frontdesk", tui_clinic.PASSWORD)


def live(appointments: list[Any]) -> list[Any]:
    return [a for a in appointments if a.status != "CANCELLED"]


async def test_use_an_assigned_package(desk: Desk, clinic: tui_clinic.Seed) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen_name(app) == "SearchScreen"
        assert "Riyadh Therapy Center" in app.title
        await open_patient(pilot, "rana")
        keys = Keys(pilot)
        await keys("b", "p")
        assert screen_name(app) == "PackageChooser"
        cards = purchase_cards(app)
        # Only Rana's purchase: Basil's ABA package is nowhere to be seen.
        assert [c.purchase.id for c in cards] == [ids["rana_slp"]]
        assert "20 ABA Therapy Package" not in " ".join(str(c.render()) for c in cards)
        assert app.screen.focused is cards[0]
        await keys("enter")
        # One service, one clinic (SLP only): both taken; two providers: asked.
        assert screen_name(app) == "PickScreen"
        shown = texts(app)
        assert "Dr. Huda Saleh" in shown and "Dr. Omar Nasser" in shown
        assert "Lina Haddad" not in shown  # the ABA provider is not offered for SLP
        await keys("enter")  # first available
        assert screen_name(app) == "SlotScreen"
        slot = app.screen.query_one(SlotGrid).chosen
        assert slot is not None
        await keys("enter")
        assert screen_name(app) == "ConfirmScreen"
        assert "Session 1 of 10" in texts(app)
        await keys("enter")
        assert screen_name(app) == "PatientScreen"
        assert "1/10" in texts(app)
        assert any("Session 1 of 10" in n for n in notes(app))
    booked = live(other_desk(desk).appointments_of(ids["rana"]))
    assert len(booked) == 1
    (a,) = booked
    assert (a.status, a.kind, a.purchase_id, a.session_number) == (
        "BOOKED",
        "PACKAGE",
        ids["rana_slp"],
        1,
    )
    assert a.start == slot
    assert a.service_id == ids["slp_service"] and a.clinic_id == ids["slp"]


async def test_keystrokes_to_book_a_package_session(desk: Desk) -> None:
    """From the typed search text to a booked package session: at most 7 keys (issue 10 adds
    questions before costly steps, none on this path)."""
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, *"rana")
        keys = Keys(pilot)
        # open, book, package, use the card, first available, the slot, confirm
        await keys("enter", "b", "p", "enter", "enter", "enter", "enter")
        assert screen_name(app) == "PatientScreen"
        assert "1/10" in texts(app)
    assert keys.count <= 7


async def test_assign_a_new_package_and_book_with_it(desk: Desk, clinic: tui_clinic.Seed) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with at_patient(app, "noor") as pilot:
        await step(pilot, "b", "p")
        assert purchase_cards(app) == []
        assert "No packages yet" in texts(app)
        names = [c.package.name_en for c in catalog_cards(app)]
        assert names == ["10 SLP Sessions", "20 ABA Therapy Package"]
        await step(pilot, "tab")  # nothing to switch to: said, not done
        assert any("No usable package" in n for n in notes(app))
        await pilot.press("down")
        focused = app.screen.focused
        assert isinstance(focused, CatalogCard)
        assert focused.package.name_en == "20 ABA Therapy Package"
        await step(pilot, "a", "tab", "enter")  # asked first: Back is the default
        # The ABA clinic and its one provider are taken without asking: straight to slots.
        assert screen_name(app) == "SlotScreen", texts(app)
        assert "ABA Clinic" in texts(app)
        await step(pilot, "enter")
        assert "Session 1 of 20" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
    session = other_desk(desk)
    (purchase,) = session.packages_for_patient(ids["noor"]).assigned
    today = datetime.now(TZ).date()
    assert purchase.package_id == ids["aba20"]
    assert purchase.purchase_date == today
    assert purchase.expiry_date == today + timedelta(days=90)
    assert (purchase.status, purchase.total) == ("ACTIVE", 20)
    assert purchase.used == 1  # the session just booked
    (a,) = live(session.appointments_of(ids["noor"]))
    assert (a.purchase_id, a.session_number, a.clinic_id) == (purchase.id, 1, ids["aba"])


async def test_two_purchases_of_the_same_package(desk: Desk, clinic: tui_clinic.Seed) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with at_patient(app, "yusuf") as pilot:
        await step(pilot, "b", "p")
        cards = purchase_cards(app)
        assert {c.purchase.id for c in cards} == {ids["yusuf_first"], ids["yusuf_second"]}
        shown = {c.purchase.id: str(c.render()) for c in cards}
        assert "3/10 used · 7 left" in shown[ids["yusuf_first"]]
        assert "0/10 used · 10 left" in shown[ids["yusuf_second"]]
        assert all(c.focusable for c in cards)
        await step(pilot, "down")  # the second purchase
        second = app.screen.focused
        assert isinstance(second, PurchaseCard)
        chosen = second.purchase.id
        await step(pilot, "enter", "enter")  # use it, first available
        await step(pilot, "enter")
        expected_number = 4 if chosen == ids["yusuf_first"] else 1
        assert f"Session {expected_number} of 10" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        # A third copy of the same package can still be assigned.
        await step(pilot, "b", "p")
        await step(pilot, "tab")
        assert isinstance(app.screen.focused, CatalogCard)
        assert app.screen.focused.package.name_en == "10 SLP Sessions"
        await step(pilot, "a", "tab", "enter")  # asked first: Back is the default
        assert screen_name(app) == "PickScreen"  # on to the provider: the purchase is chosen
    session = other_desk(desk)
    assigned = session.packages_for_patient(ids["yusuf"]).assigned
    assert len(assigned) == 3
    (a,) = [x for x in live(session.appointments_of(ids["yusuf"])) if x.status == "BOOKED"]
    assert (a.purchase_id, a.session_number) == (chosen, expected_number)


async def test_exhausted_and_expired_are_shown_but_not_selectable(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with at_patient(app, "layla") as pilot:
        assert "no sessions left" in texts(app)
        await step(pilot, "b", "p")
        cards = purchase_cards(app)
        assert len(cards) == 2
        assert all(c.disabled and not c.focusable for c in cards)
        shown = "\n".join(str(c.render()) for c in cards)
        assert "no sessions left" in shown and "expired on" in shown
        assert not isinstance(app.screen.focused, PurchaseCard)
        for key in ("up", "tab", "up"):
            await step(pilot, key)
            assert not isinstance(app.screen.focused, PurchaseCard)
        await step(pilot, "escape")  # straight back to the patient
        assert screen_name(app) == "PatientScreen"
    session = other_desk(desk)
    assert len(session.packages_for_patient(ids["layla"]).assigned) == 2
    assert [a for a in session.appointments_of(ids["layla"]) if a.status == "BOOKED"] == []


async def test_no_slot_after_the_package_expiry(desk: Desk, clinic: tui_clinic.Seed) -> None:
    app = make_app(desk)
    async with at_patient(app, "sami") as pilot:
        await step(pilot, "b", "p", "enter", "down", "enter")  # Dr. Huda herself
        assert screen_name(app) == "SlotScreen", texts(app)
        grid = app.screen.query_one(SlotGrid)
        expiry = app.screen.draft.purchase.expiry_date
        assert grid.days and max(grid.days) <= expiry
        assert all(s.astimezone(TZ).date() <= expiry for s in grid.free_starts)
        for _ in range(6):
            await step(pilot, "right")
        assert max(grid.days) <= expiry
        assert any("expires" in n for n in notes(app))


async def test_a_slot_taken_by_another_desk_meanwhile(desk: Desk, clinic: tui_clinic.Seed) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        await step(pilot, "b", "p", "enter", "down", "enter")  # Dr. Huda
        grid = app.screen.query_one(SlotGrid)
        slot = grid.chosen
        assert slot is not None
        await step(pilot, "enter")  # the confirmation is showing ...
        assert screen_name(app) == "ConfirmScreen"
        # ... when another desk books the same provider slot for another patient.
        taken = other_desk(desk).book(ids["noor"], ids["slp_service"], ids["huda"], slot)
        await step(pilot, "enter")
        assert screen_name(app) == "SlotScreen"
        assert any("just taken by another desk" in n for n in notes(app))
        assert slot not in grid.free_starts  # the grid was read again
        assert grid.chosen is not None
    session = other_desk(desk)
    assert live(session.appointments_of(ids["rana"])) == []
    day = slot.astimezone(TZ).date()
    at_slot = [a for a in session.day_sheet(day) if a.start == slot and a.status != "CANCELLED"]
    assert [a.id for a in at_slot] == [taken.id]
