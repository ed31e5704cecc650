"""A desk that cannot make costly mistakes (issue 10), through the screens on both engines:
selling a package is asked first, the cancel dialog names the visit, the function keys work in
dialogs, and the smaller ones (clock, MRN, quitting a half-filled form, Escape, pasted keys,
notes)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from textual import events
from textual.widgets import Input
from tui_pilot import (
    SIZE,
    at_patient,
    frames_sent,
    make_app,
    notes,
    open_patient,
    screen_name,
    settle,
    step,
    stop_the_clock,
    texts,
)

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.testing.clock import TZ
from deskbook.tui.widgets.desk_header import ClinicClock
from deskbook.tui.widgets.package_card import CatalogCard


def session_of(desk: Desk) -> Any:
    return desk.login("frontdesk", tui_clinic.PASSWORD)


async def test_selling_a_package_is_asked_first(desk: Desk, clinic: tui_clinic.Seed) -> None:
    app = make_app(desk)
    async with at_patient(app, "noor") as pilot:
        await step(pilot, "b", "p", "down")
        assert isinstance(app.screen.focused, CatalogCard)
        await step(pilot, "enter")  # Enter on an Available card: a question, not a sale
        assert screen_name(app) == "DangerConfirm"
        shown = texts(app)
        expires = datetime.now(TZ).date() + timedelta(days=90)
        for words in ("20 ABA Therapy Package", "SAR 6,000", "20 (ABA Session ×20)",
                      f"{expires:%d %b %Y}"):  # fmt: skip
            assert words in shown, shown
        await step(pilot, "enter")  # the default button is Back
        assert screen_name(app) == "PackageChooser"
        assert session_of(desk).packages_for_patient(clinic.ids["noor"]).assigned == ()
        await step(pilot, "enter", "right", "enter")  # asked again; this time Assign
        assert screen_name(app) == "SlotScreen"
    assert len(session_of(desk).packages_for_patient(clinic.ids["noor"]).assigned) == 1


async def test_the_cancel_dialog_names_the_visit(desk: Desk, clinic: tui_clinic.Seed) -> None:
    ids = clinic.ids
    session = session_of(desk)
    provider, start = session.first_available(
        ids["aba"], ids["aba_service"], datetime.now(UTC) + timedelta(days=2)
    )
    booked = session.book(ids["noor"], ids["aba_service"], provider.id, start)
    app = make_app(desk)
    async with at_patient(app, "noor") as pilot:
        await step(pilot, "x")
        assert screen_name(app) == "ReasonScreen"
        shown = texts(app)
        local = start.astimezone(TZ)
        for words in ("Noor Haddad", f"{local:%a %d %b %Y %H:%M}", "ABA Session",
                      "Lina Haddad", "ABA Clinic"):  # fmt: skip
            assert words in shown, shown
        await step(pilot, "escape")
    assert session_of(desk).appointments_of(ids["noor"])[0].status == booked.status


async def test_x_on_a_completed_visit_refuses_before_asking(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f3")
        sheet = app.screen
        # Yusuf's first completed session, twenty days after the purchase's day.
        (first,) = [a for a in session_of(desk).appointments_of(clinic.ids["yusuf"])
                    if a.session_number == 1]  # fmt: skip
        sheet.day = first.start.astimezone(TZ).date()
        sheet.load()
        await settle(pilot)
        assert "completed" in texts(app)
        await step(pilot, "x")
        assert screen_name(app) == "DaySheetScreen"
        assert any("this one is completed" in n for n in notes(app))


async def test_function_keys_work_inside_dialogs(desk: Desk) -> None:
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        await step(pilot, "b")
        assert screen_name(app) == "BookingTypeScreen"
        await step(pilot, "f1")
        assert screen_name(app) == "HelpScreen"
        assert "Everywhere | F2 | Search" in texts(app)
        await step(pilot, "f1")  # closes the help
        assert screen_name(app) == "BookingTypeScreen"
        await step(pilot, "f3")
        assert screen_name(app) == "DaySheetScreen"
        await step(pilot, "escape")
        assert screen_name(app) == "BookingTypeScreen"
        await step(pilot, "f2")
        assert screen_name(app) == "SearchScreen"


async def test_clock_and_mrn_in_the_clinics_words(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = datetime.now(TZ).strftime("%H:%M")
        clock = str(app.screen.query_one(ClinicClock).render())
        after = datetime.now(TZ).strftime("%H:%M")
        assert clock in (before, after)  # Riyadh's time, not the machine's UTC
        await open_patient(pilot, "rana")
        assert "MRN-0001" in texts(app)
        assert "MRN MRN" not in texts(app)
        for key, screen in (("f5", "BoardScreen"), ("f3", "DaySheetScreen")):
            await step(pilot, key)
            assert screen_name(app) == screen
            before = datetime.now(TZ).strftime("%H:%M")
            clock = str(app.screen.query_one(ClinicClock).render())
            assert clock in (before, datetime.now(TZ).strftime("%H:%M")), screen


async def test_an_idle_desk_repaints_nothing_until_the_clock_shows_another_minute(
    desk: Desk, monkeypatch: Any
) -> None:
    """Every screen of the stack has a clock; one ticking under the board made Textual repaint
    the whole board every second (a full frame a second down an ssh line, and CPU taken from
    the keys). The clocks repaint when the minute they show changes, and only then."""
    minute = stop_the_clock(monkeypatch, datetime(2026, 11, 23, 7, 0, 10, tzinfo=UTC))
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f5")  # the board over the search screen: two clocks in the stack
        assert screen_name(app) == "BoardScreen"
        frames = frames_sent(app, monkeypatch)
        await asyncio.sleep(2.5)
        await pilot.pause()
        assert frames == []
        minute[0] += timedelta(minutes=1)
        await asyncio.sleep(1.5)
        await pilot.pause()
        assert frames
        assert str(app.screen.query_one(ClinicClock).render()) == "10:01"


async def test_a_covered_screen_is_drawn_when_it_is_seen_again(
    desk: Desk, monkeypatch: Any
) -> None:
    """What changes on a screen under another one (a day sheet reloaded by another desk's
    change, a blinking cursor) repaints nothing: the screen on top hides it. It shows once
    the screen is back on top."""
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        search = app.screen
        await step(pilot, "f5")
        frames = frames_sent(app, monkeypatch)
        search.query_one(Input).value = "rashid"
        await asyncio.sleep(0.3)
        await pilot.pause()
        assert frames == []
        await step(pilot, "escape")
        assert app.screen is search
        assert "SearchScreen" in frames, "the uncovered screen was not drawn"
        assert "rashid" in str(search.query_one(Input).render_line(0).text)


async def test_quitting_a_half_filled_form_asks(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "ctrl+n", *"Zaid")
        assert screen_name(app) == "RegisterScreen"
        await step(pilot, "ctrl+q")
        assert screen_name(app) == "DangerConfirm"
        assert "The new patient form will be lost." in texts(app)
        await step(pilot, "enter")  # Back
        assert screen_name(app) == "RegisterScreen"
        assert app.screen.query_one("#name_en", Input).value == "Zaid"
        assert app.is_running
        await step(pilot, "ctrl+q", "tab", "enter")
        assert not app.is_running


async def test_escape_from_the_provider_pick_to_the_patient(desk: Desk) -> None:
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        await step(pilot, "b", "p", "enter")
        assert screen_name(app) == "PickScreen"
        presses = 0
        while screen_name(app) != "PatientScreen" and presses < 5:
            await step(pilot, "escape")
            presses += 1
        # Provider → the package asked for → the patient; the type is not asked again.
        assert (screen_name(app), presses) == ("PatientScreen", 2)


async def test_keys_pasted_in_one_burst_land_in_their_fields(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "ctrl+n")
        # One write from the terminal: every key is queued before the first is handled.
        for char in "abc\t\t0551234567":
            app.post_message(events.Key("tab" if char == "\t" else char, char))
        await settle(pilot)
        fields = {i.id: i.value for i in app.screen.query(Input)}
        assert (fields["name_en"], fields["name_ar"], fields["phone"]) == ("abc", "", "0551234567")


async def test_notes_written_at_the_confirm_and_shown_with_the_visit(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        await pilot.press("b", "p", "enter", "enter")
        # The grid is read in a worker: Enter waits for it (under load it came before the slots).
        await settle(pilot)
        assert screen_name(app) == "SlotScreen"
        await step(pilot, "enter")
        assert screen_name(app) == "ConfirmScreen"
        await pilot.press(*"bring the hearing aid")
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert "Notes: bring the hearing aid" in texts(app)
    (visit,) = session_of(desk).appointments_of(clinic.ids["rana"])
    assert visit.notes == "bring the hearing aid"
