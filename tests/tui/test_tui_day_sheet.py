"""The day sheet of the branch's day (issue 13): home clinic and filters, type-to-find, Enter to
the patient, MRN and session columns that share the terminal's width, pages read on demand,
another desk's changes without a key, the export key and tomorrow's confirmation calls."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input
from tui_pilot import (
    book_seeded,
    highlighted,
    make_app,
    notes,
    screen_name,
    set_home,
    settle,
    step,
    texts,
    tomorrow_at,
    type_text,
)

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.tui.screens import daysheet
from deskbook.tui.screens.daysheet import DaySheetScreen

SIZES = [(80, 24), (160, 48)]


def table(app: Any) -> DataTable[str]:
    found: DataTable[str] = app.screen.query_one("#sheet", DataTable)
    return found


def sheet(app: Any) -> DaySheetScreen:
    assert isinstance(app.screen, DaySheetScreen)
    return app.screen


def patients(app: Any) -> list[str]:
    t = table(app)
    return [str(t.get_row_at(i)[3]) for i in range(t.row_count)]


def later_at(hour: int, minute: int = 0) -> datetime:
    """The day after tomorrow: tomorrow has the seed's group session on it."""
    return tomorrow_at(hour, minute, days=2)


async def open_sheet_later(pilot: Any) -> None:
    await settle(pilot)
    await step(pilot, "f3")
    assert screen_name(pilot.app) == "DaySheetScreen"
    await step(pilot, "right_square_bracket", "right_square_bracket")


@pytest.mark.parametrize("size", SIZES)
async def test_home_clinic_filters_columns_and_width(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    set_home(clinic, "slp")
    book_seeded(desk, clinic, "noor", "omar", later_at(10, 30))
    book_seeded(desk, clinic, "yusuf", "huda", later_at(9))
    book_seeded(desk, clinic, "basil", "lina", later_at(11))
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await open_sheet_later(pilot)
        # The home clinic only, in time order, with the MRN column.
        assert patients(app) == ["Yusuf Salem", "Noor Haddad"]
        assert "MRN-0003" in texts(app) and "SLP Clinic" in texts(app)
        t = table(app)
        patient_width = next(c for c in t.columns.values() if c.label.plain == "Patient").width
        assert patient_width == daysheet.column_widths(size[0])["Patient"]
        if size[0] == 160:
            assert patient_width > daysheet.column_widths(80)["Patient"]
        await step(pilot, "k")
        await step(pilot, "f")  # the picker's top row: every clinic
        assert patients(app) == ["Yusuf Salem", "Noor Haddad", "Basil Fares"]
        await step(pilot, "k")
        while "SLP" not in highlighted(app):
            await pilot.press("down")
        await step(pilot, "enter", "v")
        while "Omar" not in highlighted(app):
            await pilot.press("down")
        await step(pilot, "enter")
        assert patients(app) == ["Noor Haddad"]
        await step(pilot, "s")  # to come
        assert patients(app) == ["Noor Haddad"] and "to come" in texts(app)
        await step(pilot, "s")  # arrived
        assert patients(app) == []


@pytest.mark.parametrize("size", SIZES)
async def test_find_on_the_sheet_then_enter_opens_the_patient(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    book_seeded(desk, clinic, "noor", "omar", later_at(10, 30))
    book_seeded(desk, clinic, "yusuf", "huda", later_at(9))
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await open_sheet_later(pilot)
        assert patients(app) == ["Yusuf Salem", "Noor Haddad"]
        await pilot.press("slash")
        await type_text(pilot, "noor")
        assert patients(app) == ["Noor Haddad"]
        await step(pilot, "enter")  # back to the sheet
        assert isinstance(app.screen.focused, DataTable)
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert "MRN-0002" in texts(app)


@pytest.mark.parametrize("size", SIZES)
async def test_pages_are_read_as_the_cursor_nears_the_end(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daysheet, "PAGE", 10)
    monkeypatch.setattr(daysheet, "NEAR_END", 3)
    for n in range(25):
        who = ("rana", "noor", "basil")[n % 3]
        provider = ("huda", "omar")[n % 2]
        # Rana and Noor on alternate providers: a patient never holds two visits at once.
        book_seeded(desk, clinic, who if who != "basil" else "sami", provider, later_at(0) +
             timedelta(minutes=45 * n))  # fmt: skip
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await open_sheet_later(pilot)
        assert table(app).row_count == 10
        assert "25 visits (10 loaded)" in texts(app)
        for _ in range(7):
            await pilot.press("down")
        await settle(pilot)
        assert table(app).row_count == 20
        for _ in range(4):  # a page down at a time, as a receptionist would
            await step(pilot, "pagedown")
        assert table(app).row_count == 25 and "(" not in texts(app).split("visits")[1][:3]
        times = [str(table(app).get_row_at(i)[0]) for i in range(25)]
        assert times == sorted(times)


@pytest.mark.parametrize("size", SIZES)
async def test_another_desks_booking_appears_and_the_cursor_stays_on_its_visit(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    book_seeded(desk, clinic, "yusuf", "huda", later_at(9))
    noor = book_seeded(desk, clinic, "noor", "omar", later_at(10, 30))
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await open_sheet_later(pilot)
        await step(pilot, "down")
        assert sheet(app).current_key() == str(noor.id)
        other = Desk.open(clinic.url)
        try:
            await asyncio.to_thread(book_seeded, other, clinic, "rana", "omar", later_at(6))
        finally:
            other.close()
        for _ in range(100):  # no key: the poll sees it
            if table(app).row_count == 3:
                break
            await asyncio.sleep(0.1)
        await settle(pilot)
        assert patients(app) == ["Rana Khalil", "Yusuf Salem", "Noor Haddad"]
        assert sheet(app).current_key() == str(noor.id)
        assert table(app).cursor_row == 2


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("fmt", ["csv", "pdf"])
async def test_export_key_writes_the_file_and_says_where(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int], fmt: str, tmp_path: Path
) -> None:
    set_home(clinic, "slp")
    book_seeded(desk, clinic, "noor", "omar", later_at(10, 30))
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await open_sheet_later(pilot)
        await step(pilot, "e")
        assert screen_name(app) == "ExportScreen"
        field = app.screen.query_one(Input)
        assert field.value.endswith(".csv") and "slp-clinic" in field.value
        target = tmp_path / "out" / f"sheet.{fmt}"
        field.value = str(target)
        await step(pilot, "enter")
        assert screen_name(app) == "DaySheetScreen"
        data = target.read_bytes()
        assert data.startswith(b"%PDF") if fmt == "pdf" else b"Noor Haddad" in data
        assert any(str(target) in n for n in notes(app))


@pytest.mark.parametrize("size", SIZES)
async def test_tomorrows_calls_and_marking_one_confirmed(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    yusuf = book_seeded(desk, clinic, "yusuf", "huda", tomorrow_at(9))
    book_seeded(desk, clinic, "noor", "omar", tomorrow_at(10, 30))
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await step(pilot, "f3")
        await step(pilot, "p")  # today's sheet: the calls are for tomorrow
        assert screen_name(app) == "CallsScreen"
        shown = texts(app)
        assert "Yusuf Salem" in shown and "0501110003" in shown and "5 to confirm" in shown
        await step(pilot, "y")
        assert "4 to confirm" in texts(app) and "Yusuf Salem" not in texts(app)
        session = desk.login("frontdesk", tui_clinic.PASSWORD)
        mine = session.appointments_of(yusuf.patient_id)
        assert next(a for a in mine if a.id == yusuf.id).status == "CONFIRMED"
