"""The Desk's rules on screen (issue 10): a package voided from the patient screen, the exact
match first with the count, status keys that wait for the visit's day and can be taken back,
times the patient cannot take greyed with the reason, the Desk's own session number at the
confirm, and a warning before a single paid session for a patient who holds a package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tui_pilot import (
    SIZE,
    at_patient,
    make_app,
    notes,
    screen_name,
    settle,
    step,
    texts,
    type_text,
)

from deskbook.db.engine import make_engine, write_session
from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.testing.clock import TZ
from deskbook.testing.rows import Rows
from deskbook.tui.widgets.slot_grid import SlotGrid


def session_of(desk: Desk) -> Any:
    return desk.login("frontdesk", tui_clinic.PASSWORD)


async def test_void_a_package_assigned_by_mistake(desk: Desk, clinic: tui_clinic.Seed) -> None:
    ids = clinic.ids
    session_of(desk).assign_package(ids["noor"], ids["aba20"])
    app = make_app(desk)
    async with at_patient(app, "noor") as pilot:
        await step(pilot, "v")
        assert screen_name(app) == "DangerConfirm"
        assert "20 ABA Therapy Package" in texts(app) and "SAR 6,000" in texts(app)
        await step(pilot, "enter")  # Back, the default
        assert session_of(desk).packages_for_patient(ids["noor"]).assigned[0].usable
        await step(pilot, "v", "tab", "enter")
        assert screen_name(app) == "PatientScreen"
        assert any("voided" in n for n in notes(app))
    (voided,) = session_of(desk).packages_for_patient(ids["noor"]).assigned
    assert (voided.status, voided.usable) == ("VOIDED", False)
    assert any(e.action == "void_purchase" for e in _audit(desk, clinic))


def _audit(desk: Desk, clinic: tui_clinic.Seed) -> list[Any]:
    with write_session(make_engine(clinic.url)) as s:
        from sqlalchemy import select

        from deskbook.db.models import AuditEvent

        return list(s.scalars(select(AuditEvent)).all())


async def test_the_exact_match_first_and_the_count(desk: Desk, clinic: tui_clinic.Seed) -> None:
    session = session_of(desk)
    born = datetime(2019, 1, 1).date()
    # Alphabetically first, and a name that contains the one typed.
    session.register_patient("Anas Rana Khalil", "0507770000", born)
    for i in range(55):
        session.register_patient(f"Rana Khalil Bint {i:02d}", f"05077701{i:02d}", born)
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "Rana Khalil")
        assert "57 matches, first 50" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert "Rana Khalil /" in texts(app) and "MRN-0001" in texts(app)


async def test_status_keys_wait_for_the_day_and_undo(desk: Desk, clinic: tui_clinic.Seed) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f3", "right")  # tomorrow: the group of three
        for key in ("a", "c"):
            await step(pilot, key)
            assert any("on that day, not before" in n for n in notes(app)), notes(app)
            app._notifications.clear()
        await step(pilot, "n")  # refused at once: nothing to ask about a visit days ahead
        assert screen_name(app) == "DaySheetScreen"
        assert any("on that day, not before" in n for n in notes(app)), notes(app)
        assert "booked" in texts(app) and "arrived" not in texts(app)
    session = session_of(desk)
    provider, start = session.first_available(ids["slp"], ids["slp_service"], datetime.now(UTC))
    if start.astimezone(TZ).date() != datetime.now(TZ).date():
        return  # no slot left today: nothing can arrive today (the refusals are checked)
    visit = session.book(ids["rana"], ids["slp_service"], provider.id, start, ids["rana_slp"])
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f3")
        await step(pilot, "n")
        assert "uses up session 1 of the package" in texts(app)
        await step(pilot, "tab", "enter")
        assert "no-show" in texts(app)
        await step(pilot, "u")
        assert "no-show" not in texts(app)
    assert session_of(desk).appointments_of(ids["rana"])[0].status == visit.status


async def test_times_the_patient_cannot_take_are_greyed(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    session = session_of(desk)
    lina = ids["lina"]
    busy = session.free_slots(lina, ids["aba_service"], datetime.now(TZ).date() + timedelta(2))[12]
    session.book(ids["rana"], ids["aba_service"], lina, busy)
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        await pilot.press("b", "p", "enter", "down", "down")  # Dr. Omar
        await step(pilot, "enter")
        assert screen_name(app) == "SlotScreen", texts(app)
        grid = app.screen.query_one(SlotGrid)
        clash = next(s for s in grid.cells.values() if s.start == busy)
        assert not clash.free
        grid.select(busy)
        await settle(pilot)
        local = busy.astimezone(TZ)
        assert f"cannot be taken: the patient has a visit at {local:%H:%M}" in texts(app)
        assert f"{local:%H:%M} ✗" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "SlotScreen"  # refused before any confirm
        assert any("the patient has a visit" in n for n in notes(app))


async def test_the_confirm_says_the_desks_session_number(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    with write_session(make_engine(clinic.url)) as s:
        rows = Rows(s, ids["tenant"])
        mixed = rows.package(
            "Mixed 2 SLP + 2 ABA", {ids["slp_service"]: 2, ids["aba_service"]: 2},
            Decimal("1800"), 90,
        )  # fmt: skip
        mixed_id = mixed.id
    session = session_of(desk)
    purchase = session.assign_package(ids["noor"], mixed_id)
    provider, start = session.first_available(ids["aba"], ids["aba_service"], datetime.now(UTC))
    session.book(ids["noor"], ids["aba_service"], provider.id, start, purchase.id)
    app = make_app(desk)
    async with at_patient(app, "noor") as pilot:
        await step(pilot, "b", "p", "enter")
        assert screen_name(app) == "PickScreen"  # which service of the two
        labels = texts(app).splitlines()
        slp_down = [i for i, line in enumerate(labels) if "SLP Session" in line]
        aba_down = [i for i, line in enumerate(labels) if "ABA Session" in line]
        if slp_down[0] > aba_down[0]:
            await pilot.press("down")
        await step(pilot, "enter", "down", "down", "enter")  # SLP, Dr. Omar
        assert screen_name(app) == "SlotScreen", texts(app)
        await step(pilot, "right")  # a later day than the ABA visit: the second session
        grid = app.screen.query_one(SlotGrid)
        if grid.chosen is None:
            grid.first_free()
        assert grid.chosen is not None and grid.chosen > start
        await step(pilot, "enter")
        assert "Session 2 of 4" in texts(app), texts(app)
        await step(pilot, "enter")
        assert any("Session 2 of 4" in n for n in notes(app))


async def test_a_single_paid_session_warns_of_a_package_held(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        await step(pilot, "b", "s")
        shown = texts(app)
        assert screen_name(app) == "PickScreen", shown  # which service
        index = next(i for i, line in enumerate(shown.splitlines()[1:]) if "SLP Session" in line)
        await pilot.press(*["down"] * index)
        for _ in range(3):  # the service, first available, the slot: each once its step is read
            await step(pilot, "enter")
        assert screen_name(app) == "ConfirmScreen", texts(app)
        assert "Holds 10 SLP Sessions (10 left)" in texts(app)
        await step(pilot, "enter")  # a warning, not a refusal
        assert screen_name(app) == "PatientScreen"
    (visit,) = session_of(desk).appointments_of(clinic.ids["rana"])
    assert (visit.kind, visit.purchase_id) == ("SINGLE", None)
