"""The rest of the front desk through the screens: sign in, register, day sheet, group
sessions, keys, palette and keymap."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from textual.widgets import DataTable, Input
from tui_pilot import (
    SIZE,
    at_patient,
    make_app,
    notes,
    open_patient,
    screen_name,
    settle,
    step,
    texts,
    tomorrow_at,
    type_text,
)

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.testing.clock import TZ
from deskbook.tui.app import DeskApp
from deskbook.tui.widgets.slot_grid import SlotGrid


def session_of(desk: Desk) -> Any:
    return desk.login("frontdesk", tui_clinic.PASSWORD)


async def test_sign_in_with_user_given_and_a_wrong_password_first(desk: Desk) -> None:
    app = DeskApp(desk, username="frontdesk")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen_name(app) == "LoginScreen"
        assert app.screen.focused is not None and app.screen.focused.id == "password"
        await type_text(pilot, "nope")
        await step(pilot, "enter")
        assert screen_name(app) == "LoginScreen"
        assert "Wrong username or password" in texts(app)
        assert app.screen.query_one("#username", Input).value == "frontdesk"
        await type_text(pilot, tui_clinic.PASSWORD)
        await step(pilot, "enter")
        assert screen_name(app) == "SearchScreen"
        assert app.screen.focused is not None and app.screen.focused.id == "search"
        assert app.title == "Riyadh Therapy Center"
        assert "Mona Front" in app.sub_title


async def test_register_a_new_patient_when_nobody_matches(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "Zaid Qasim")
        assert app.screen.query_one("#results", DataTable).row_count == 0
        assert "Nobody matches" in texts(app)
        await step(pilot, "ctrl+n")  # from the search input
        assert screen_name(app) == "RegisterScreen"
        await step(pilot, "escape", "tab", "n")  # "n" from the results table
        assert screen_name(app) == "RegisterScreen"
        await step(pilot, "escape", "shift+tab", "enter")  # Enter in the input
        assert screen_name(app) == "RegisterScreen"
        assert app.screen.query_one("#name_en", Input).value == "Zaid Qasim"
        # A bad date is refused on the spot and every field is kept.
        app.screen.query_one("#phone", Input).value = "0509998877"
        app.screen.query_one("#date_of_birth", Input).value = "2019-13-40"
        await step(pilot, "enter")
        assert screen_name(app) == "RegisterScreen"
        assert "Date of birth" in texts(app)
        assert app.screen.query_one("#phone", Input).value == "0509998877"
        app.screen.query_one("#date_of_birth", Input).value = "2019-04-23"
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen", texts(app)
        assert "Zaid Qasim" in texts(app)
    (found,) = session_of(desk).search_patients("Zaid Qasim")
    assert found.phone == "050 999 8877"
    assert str(found.date_of_birth) == "2019-04-23"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_join_a_group_session_until_it_is_full(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with at_patient(app, "rana", size=size) as pilot:
        await step(pilot, "b", "g")  # the group is tomorrow: the screen looks ahead to it
        assert screen_name(app) == "GroupScreen"
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        assert "Social Skills Group" in texts(app) and "1 of 4 left" in texts(app)
        await step(pilot, "enter")
        assert "1 left" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert "group" in texts(app)
        # Four of four: the next patient is offered no seat that day.
        await step(pilot, "escape")
        app.screen.query_one("#search", Input).value = ""
        await open_patient(pilot, "yusuf")
        await step(pilot, "b", "g")
        # Shown as full, with its capacity; Enter offers its waitlist instead of a seat.
        assert "full (4/4)" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "ConfirmScreen" and "is full (4 seats)" in texts(app)
        await step(pilot, "enter")
        assert any("on the waitlist" in n for n in notes(app))
        # Rana sees the group marked as hers and cannot join it twice.
        await step(pilot, "escape", "escape", "escape")
        app.screen.query_one("#search", Input).value = ""
        await open_patient(pilot, "rana")
        await step(pilot, "b", "g")
        assert "✓ joined" in texts(app)
        await step(pilot, "enter")
        assert any("already in this group" in n for n in notes(app))
    session = session_of(desk)
    waiting = session.waitlist()
    assert [(w.patient_id, w.service_id) for w in waiting] == [(ids["yusuf"], ids["group_service"])]
    joined = [a for a in session.appointments_of(ids["rana"]) if a.kind == "GROUP"]
    assert [a.group_session_id for a in joined] == [ids["group"]]
    assert not [a for a in session.appointments_of(ids["yusuf"]) if a.kind == "GROUP"]


async def test_the_last_seat_taken_by_another_desk_meanwhile(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with at_patient(app, "yusuf") as pilot:
        # The groups are read in a worker: Enter before they come is lost.
        await step(pilot, "b", "g")
        await step(pilot, "enter")
        assert screen_name(app) == "ConfirmScreen"
        group = app.screen_stack[-2].pending
        other = session_of(desk)
        other.book(ids["rana"], group.service_id, group.provider_id, group.start,
                   group_session_id=group.id)  # fmt: skip
        await step(pilot, "enter")
        assert screen_name(app) == "GroupScreen"
        assert any("full" in n for n in notes(app))
        assert "full (4/4)" in texts(app)  # read again: no seat left
    session = session_of(desk)
    assert not [a for a in session.appointments_of(ids["yusuf"]) if a.kind == "GROUP"]


async def test_day_sheet_arrive_cancel_and_reschedule(desk: Desk, clinic: tui_clinic.Seed) -> None:
    ids = clinic.ids
    session = session_of(desk)
    # Not tomorrow: the seeded group session fills that day sheet. From the day's start, not
    # from now + 2 days: late in the evening that would leave Basil's visit after Noor's.
    provider, first = session.first_available(
        ids["aba"], ids["aba_service"], tomorrow_at(0, days=2)
    )
    day = first.astimezone(TZ).date()
    one = session.book(ids["basil"], ids["aba_service"], provider.id, first, ids["basil_aba"])
    later = session.free_slots(provider.id, ids["aba_service"], day)[-1]
    two = session.book(ids["noor"], ids["aba_service"], provider.id, later)
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f3")
        assert screen_name(app) == "DaySheetScreen"
        today = datetime.now(TZ).date()
        for _ in range((day - today).days):
            await step(pilot, "right")
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        shown = texts(app)
        assert "Basil Fares" in shown and "Noor Haddad" in shown and "1/20" in shown
        # Noor: cancel, with a reason.
        await step(pilot, "down", "x")
        assert screen_name(app) == "ReasonScreen"
        await type_text(pilot, "family travel")
        await step(pilot, "enter")
        assert "Noor Haddad" not in texts(app)  # the day sheet holds live appointments
        assert any("cancelled" in n for n in notes(app))
        # Basil: move to another slot of the same day.
        await step(pilot, "up", "r")
        assert screen_name(app) == "SlotScreen", texts(app)
        grid = app.screen.query_one(SlotGrid)
        await step(pilot, "down")
        new_start = grid.chosen
        assert new_start is not None and new_start != first
        await step(pilot, "enter")
        assert "Move the appointment?" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "DaySheetScreen"
    later_session = session_of(desk)
    assert [a.status for a in later_session.appointments_of(ids["noor"])] == ["CANCELLED"]
    assert later_session.appointments_of(ids["noor"])[0].id == two.id
    after = {a.id: a for a in later_session.day_sheet(new_start.astimezone(TZ).date())}
    assert after[one.id].start == new_start and after[one.id].status == "BOOKED"
    assert after[one.id].session_number == 1


async def test_check_in_and_complete_from_the_day_sheet(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    session = session_of(desk)
    now = datetime.now(UTC)
    found = session.first_available(ids["aba"], ids["aba_service"], now)
    provider, start = found
    if start.astimezone(TZ).date() != now.astimezone(TZ).date():
        pytest.skip("no slot left today in the clinic's hours: nobody can arrive today")
    booked = session.book(ids["noor"], ids["aba_service"], provider.id, start)
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f3")
        await step(pilot, "a")
        assert "arrived" in texts(app)
        await step(pilot, "c")
        assert "completed" in texts(app)
    assert session_of(desk).appointments_of(ids["noor"])[0].status == "COMPLETED"
    assert booked.id == session_of(desk).appointments_of(ids["noor"])[0].id


async def test_help_palette_and_keymap(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKBOOK_KEYMAP", "patient.book=f5;patient.back=ctrl+m")
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("patient.back=ctrl+m" in n for n in notes(app))  # a mangled key is refused
        await open_patient(pilot, "rana")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Book", "Cancel appt", "Back", "Keys", "Search", "Day sheet"} <= set(commands)
        await step(pilot, "f1")
        assert screen_name(app) == "HelpScreen"
        assert "F5 | Book" in texts(app)
        await step(pilot, "escape")
        await step(pilot, "b")  # moved away from b
        assert screen_name(app) == "PatientScreen"
        await step(pilot, "f5")
        assert screen_name(app) == "BookingTypeScreen"
        await step(pilot, "escape", "f2")
        assert screen_name(app) == "SearchScreen"


async def test_the_mouse_books_too(desk: Desk, clinic: tui_clinic.Seed) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "rana")
        # The first row, under the header: already highlighted, so one click opens it.
        await pilot.click("#results", offset=(3, 1))
        await settle(pilot)
        assert screen_name(app) == "PatientScreen"
        await step(pilot, "b")
        await pilot.click("#types", offset=(4, 2))  # "Use package"
        await settle(pilot)
        assert screen_name(app) == "PackageChooser"
        card = app.screen.query("PurchaseCard").first()
        await pilot.double_click(card)
        await settle(pilot)
        assert screen_name(app) == "PickScreen"
        await pilot.click("#pick-list", offset=(4, 1))  # first available
        await settle(pilot)
        assert screen_name(app) == "SlotScreen"
        grid = app.screen.query_one(SlotGrid)
        slot = grid.chosen
        await step(pilot, "enter")
        await pilot.double_click("#confirm-text")
        await settle(pilot)
        assert screen_name(app) == "PatientScreen"
    (a,) = [x for x in session_of(desk).appointments_of(ids["rana"]) if x.status == "BOOKED"]
    assert (a.start, a.purchase_id) == (slot, ids["rana_slp"])


async def test_readable_without_colour(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "deskbook-ansi"
        assert app.animation_level == "none"
        await open_patient(pilot, "layla")
        assert "no sessions left" in texts(app) and "expired on" in texts(app)


async def test_the_database_opens_behind_the_login_screen(clinic: tui_clinic.Seed) -> None:
    app = DeskApp(username="frontdesk", password=tui_clinic.PASSWORD, url=clinic.url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen_name(app) == "SearchScreen"
    assert app.desk is not None and app.open_error is None
    app.desk.close()


async def test_a_database_that_cannot_be_opened_ends_the_app(tmp_path: Any) -> None:
    app = DeskApp(username="frontdesk", url=f"sqlite:///{tmp_path}/missing/deskbook.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert app.return_code == 1
    assert app.open_error is not None and "no deskbook database" in str(app.open_error)
