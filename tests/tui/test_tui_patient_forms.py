"""The patient forms through the screens: register with possible duplicates, Arabic-first
registration with a Hijri date, editing a record (phone, guardian, alerts), near misses of a
search that finds nobody, and an administrator merging two records."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from textual.widgets import Button, DataTable, Input
from tui_pilot import (
    ADMIN_PASSWORD,
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

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.tui.app import DeskApp
from deskbook.tui.screens import search


def session_of(desk: Desk) -> Any:
    return desk.login("frontdesk", tui_clinic.PASSWORD)


def field(app: Any, name: str) -> Input:
    return app.screen.query_one(f"#{name}", Input)


def focused_id(app: Any) -> str:
    return str(getattr(app.screen.focused, "id", ""))


async def new_patient_form(pilot: Any, query: str) -> None:
    """From the search screen: search, then ctrl+n for the new-patient form."""
    await type_text(pilot, query)
    await step(pilot, "ctrl+n")
    assert screen_name(pilot.app) == "RegisterScreen", texts(pilot.app)


async def test_register_shows_possible_duplicates_and_asks(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await new_patient_form(pilot, "Zaid Qasim")
        assert field(app, "name_en").value == "Zaid Qasim"
        assert focused_id(app) == "phone"  # the first field still missing
        await type_text(pilot, "050 111 0001")  # Rana's phone, typed with spaces
        await pilot.press("tab")
        await type_text(pilot, "23-04-2019")
        await step(pilot, "enter")
        assert screen_name(app) == "DuplicatesScreen", texts(app)
        shown = texts(app)
        assert "MRN-0001" in shown and "Rana Khalil" in shown and "phone" in shown
        # The safe choice is the one Enter takes: the record that exists.
        assert focused_id(app) == "open"
        assert "Open MRN-0001" in str(app.screen.query_one("#open", Button).label)

        await step(pilot, "escape")  # back to the form, every field kept
        assert screen_name(app) == "RegisterScreen"
        assert field(app, "phone").value == "050 111 0001"
        assert field(app, "date_of_birth").value == "23-04-2019"

        await step(pilot, "enter")
        assert screen_name(app) == "DuplicatesScreen"
        await step(pilot, "enter")  # open the existing record
        assert screen_name(app) == "PatientScreen", texts(app)
        assert "Rana Khalil" in texts(app) and "MRN-0001" in texts(app)
        assert session_of(desk).search_patients("Zaid Qasim") == []

        await step(pilot, "escape")
        await step(pilot, "ctrl+n")
        field(app, "phone").value = "0501110001"
        field(app, "date_of_birth").value = "2019-04-23"
        await step(pilot, "enter")
        assert screen_name(app) == "DuplicatesScreen"
        await step(pilot, "tab", "enter")  # register anyway: a sibling on the family phone
        assert screen_name(app) == "PatientScreen", texts(app)
        assert "Zaid Qasim" in texts(app)
    (zaid,) = session_of(desk).search_patients("Zaid Qasim")
    assert zaid.phone == "050 111 0001" and zaid.date_of_birth == date(2019, 4, 23)


async def test_an_arabic_name_alone_and_a_hijri_birth_date_register(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await new_patient_form(pilot, "زيد قاسم")
        # The search text went into the field of its script; the cursor to the phone.
        assert field(app, "name_ar").value == "زيد قاسم"
        assert field(app, "name_en").value == ""
        assert focused_id(app) == "phone"
        await type_text(pilot, "0509998877")
        await pilot.press("tab")
        field(app, "date_of_birth").value = "18/08/1440 هـ"
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen", texts(app)
        assert texts(app).splitlines()[1].startswith(app.paint("زيد قاسم") + "   MRN")
        assert "born 23/04/2019" in texts(app)
    (zaid,) = session_of(desk).search_patients("زيد قاسم")
    assert zaid.name_ar == "زيد قاسم" and zaid.name_en == ""
    assert zaid.date_of_birth == date(2019, 4, 23)


async def test_a_form_without_a_name_or_with_a_bad_date_says_so_and_keeps_the_rest(
    desk: Desk,
) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await new_patient_form(pilot, "0509998877")
        assert field(app, "phone").value == "0509998877"
        assert focused_id(app) == "name_en"
        field(app, "date_of_birth").value = "31/02/2019"
        await step(pilot, "enter")
        assert "English or in Arabic" in texts(app) and focused_id(app) == "name_en"
        field(app, "name_en").value = "Huda Saleh"
        await step(pilot, "enter")
        assert screen_name(app) == "RegisterScreen"
        assert "no such day" in texts(app) and focused_id(app) == "date_of_birth"
        assert field(app, "phone").value == "0509998877"


async def test_edit_phone_guardian_and_alerts_then_find_the_child_by_the_guardian_phone(
    desk: Desk,
) -> None:
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        await step(pilot, "d")
        assert screen_name(app) == "EditPatientScreen"
        assert field(app, "phone").value == "050 111 0001"  # national format
        assert field(app, "date_of_birth").value == "17/05/2018"
        assert focused_id(app) == "phone"
        field(app, "phone").value = "+966 55 987 6543"
        field(app, "guardian_name").value = "Khalil Haddad"
        field(app, "guardian_phone").value = "0561234567"
        field(app, "notes").value = "Allergic to latex"
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen", texts(app)
        shown = texts(app)
        assert "☎ 055 987 6543" in shown
        assert "guardian Khalil Haddad ☎ 056 123 4567" in shown
        assert "⚠ Allergic to latex" in shown
        await step(pilot, "escape")
        app.screen.query_one("#search", Input).value = ""
        await type_text(pilot, "056 123 4567")
        table = app.screen.query_one("#results", DataTable)
        assert table.row_count == 1 and "Rana Khalil" in texts(app)
    (rana,) = session_of(desk).search_patients("Rana Khalil")
    assert rana.guardian_phone == "056 123 4567" and rana.notes == "Allergic to latex"


async def test_an_edit_that_makes_two_records_alike_asks_first(desk: Desk) -> None:
    app = make_app(desk)
    async with at_patient(app, "noor") as pilot:
        await step(pilot, "d")
        field(app, "phone").value = "0501110003"  # Yusuf's
        await step(pilot, "enter")
        assert screen_name(app) == "DuplicatesScreen", texts(app)
        assert "Yusuf Salem" in texts(app) and "Noor Haddad" not in texts(app)
        assert focused_id(app) == "open"
        await pilot.press("tab")
        assert "Save anyway" in str(app.screen.focused.label)  # type: ignore[union-attr]
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert "☎ 050 111 0003" in texts(app)


async def test_a_search_that_finds_nobody_shows_near_misses_before_registering(
    desk: Desk,
) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "050 111 0091")  # nobody's: one digit off Rana's 050 111 0001
        table = app.screen.query_one("#results", DataTable)
        assert "No match for" in texts(app) and "close ones below" in texts(app)
        assert table.row_count == 1 and "Rana Khalil" in texts(app)
        app.screen.query_one("#search", Input).value = ""
        await type_text(pilot, "Rana Khalid")
        assert "close ones below" in texts(app) and "Rana Khalil" in texts(app)
        assert "17/05/2018" in texts(app)  # the date of birth, to tell them apart
        await step(pilot, "enter")  # opens the near miss the cursor is on
        assert screen_name(app) == "PatientScreen" and "Rana Khalil" in texts(app)
        await step(pilot, "escape")
        await step(pilot, "ctrl+n")  # or registers the one the caller meant
        assert screen_name(app) == "RegisterScreen"
        assert field(app, "name_en").value == "Rana Khalid"


async def test_search_says_how_many_matched_beyond_the_rows_shown(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "SEARCH_LIMIT", 2)  # three Group Children in the clinic
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "Group Child")
        assert app.screen.query_one("#results", DataTable).row_count == 2
        assert "3 matches, first 2" in texts(app)
        app.screen.query_one("#search", Input).value = ""
        await type_text(pilot, "Noor")
        assert "1 patient found" in texts(app)


async def test_an_administrator_merges_two_records_after_a_danger_confirm(
    desk: Desk, admin: str
) -> None:
    app = DeskApp(desk, username="boss", password=ADMIN_PASSWORD)
    async with at_patient(app, "rana") as pilot:
        await step(pilot, "ctrl+g")
        assert screen_name(app) == "PatientFinder"
        await type_text(pilot, "Basil")
        await step(pilot, "enter")
        assert screen_name(app) == "DangerConfirm", texts(app)
        assert "Keep  MRN-0001" in texts(app) and "Merge MRN-0005" in texts(app)
        assert focused_id(app) == "back"
        await step(pilot, "enter")  # a hurried Enter merges nothing
        assert screen_name(app) == "PatientScreen"
        assert len(session_of(desk).search_patients("Basil Fares")) == 1
        await step(pilot, "ctrl+g")
        await type_text(pilot, "Basil")
        await step(pilot, "enter")
        await step(pilot, "tab", "enter")
        assert screen_name(app) == "PatientScreen"
        assert any("merged into MRN-0001" in n for n in notes(app))
    assert session_of(desk).search_patients("Basil Fares") == []


async def test_the_front_desk_has_no_merge_key(desk: Desk) -> None:
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        await step(pilot, "ctrl+g")
        assert screen_name(app) == "PatientScreen"


async def test_an_administrator_merges_from_the_duplicates_of_a_registration(
    desk: Desk, admin: str
) -> None:
    app = DeskApp(desk, username="boss", password=ADMIN_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await new_patient_form(pilot, "Zaid Qasim")
        await type_text(pilot, "0501110001")  # Rana's phone
        await pilot.press("tab")
        await type_text(pilot, "23-04-2019")
        await step(pilot, "enter")
        assert screen_name(app) == "DuplicatesScreen", texts(app)
        assert "Ctrl+G merge" in texts(app)  # said to an ADMIN only
        await step(pilot, "ctrl+g")  # keep the record on the cursor, Rana's
        assert screen_name(app) == "PatientFinder", texts(app)
        await type_text(pilot, "Basil")
        await step(pilot, "enter")
        assert screen_name(app) == "DangerConfirm", texts(app)
        assert "Keep  MRN-0001" in texts(app) and "Merge MRN-0005" in texts(app)
        await step(pilot, "tab", "enter")
        assert screen_name(app) == "PatientScreen", texts(app)
        assert "Rana Khalil" in texts(app)
        assert any("merged into MRN-0001" in n for n in notes(app))
    assert session_of(desk).search_patients("Basil Fares") == []
    assert session_of(desk).search_patients("Zaid Qasim") == []  # nothing registered


async def test_an_administrator_merges_the_edited_record_into_its_duplicate(
    desk: Desk, admin: str
) -> None:
    app = DeskApp(desk, username="boss", password=ADMIN_PASSWORD)
    async with at_patient(app, "noor") as pilot:
        await step(pilot, "d")
        field(app, "phone").value = "0501110003"  # Yusuf's
        await step(pilot, "enter")
        assert screen_name(app) == "DuplicatesScreen", texts(app)
        await step(pilot, "ctrl+g")  # the other record is the one being edited: no finder
        assert screen_name(app) == "DangerConfirm", texts(app)
        assert "Keep  MRN-0003" in texts(app) and "Merge MRN-0002" in texts(app)
        await step(pilot, "escape")  # backing out leaves the duplicates on screen
        assert screen_name(app) == "DuplicatesScreen"
        await step(pilot, "ctrl+g")
        await step(pilot, "tab", "enter")
        assert screen_name(app) == "PatientScreen", texts(app)
        assert "Yusuf Salem" in texts(app)
        # The merged-away record's screen is not left underneath: back goes to the search.
        await step(pilot, "escape")
        assert screen_name(app) == "SearchScreen"
    assert session_of(desk).search_patients("Noor Haddad") == []


async def test_the_front_desk_cannot_merge_from_the_duplicates(desk: Desk) -> None:
    app = make_app(desk)
    async with at_patient(app, "noor") as pilot:
        await step(pilot, "d")
        field(app, "phone").value = "0501110003"
        await step(pilot, "enter")
        assert screen_name(app) == "DuplicatesScreen" and "merge" not in texts(app)
        await step(pilot, "ctrl+g")
        assert screen_name(app) == "DuplicatesScreen"
    assert len(session_of(desk).search_patients("Noor Haddad")) == 1
