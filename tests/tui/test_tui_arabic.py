"""Arabic on the desk's screens: painted per field in `app` mode, as stored in `terminal` mode,
cut names end with …, tashkeel keeps the columns straight, and the check on the login screen
is kept for the login. Set DESKBOOK_CAPTURE_DIR to write the screens as text (docs/screens)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import DataTable
from tui_pilot import (
    SIZE,
    screen_name,
    settle,
    step,
    type_text,
)

from deskbook.desk import Desk
from deskbook.display import CHECK_WORD, ELLIPSIS, BidiMode, visual
from deskbook.testing import tui_clinic
from deskbook.tui.app import DeskApp

LONG_AR = "مُحَمَّد عَبْدُ الرَّحْمٰن الشَّمَّرِي"
LONG_EN = "Mohammed Abdulrahman Al-Shammari"


@pytest.fixture
def desk(desk: Desk) -> Desk:
    """The TUI clinic with two more patients: one with a long, vowelled Arabic name."""
    front = desk.login("frontdesk", tui_clinic.PASSWORD)
    front.register_patient(LONG_EN, "0509990001", date(2019, 3, 2), name_ar=LONG_AR)
    front.register_patient("Rami Salem", "0509990002", date(2019, 3, 2), name_ar="رامي سالم")
    return desk


def screen_lines(app: Any) -> list[str]:
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def capture(app: Any, name: str) -> None:
    folder = os.environ.get("DESKBOOK_CAPTURE_DIR")
    if folder:
        lines = [line.rstrip() for line in screen_lines(app)]
        Path(folder, name).write_text("\n".join(lines) + "\n", encoding="utf-8")


async def search(pilot: Pilot[Any], query: str) -> DataTable[str]:
    await settle(pilot)
    await type_text(pilot, query)
    return pilot.app.screen.query_one(DataTable)


async def test_app_mode_paints_each_name_and_cuts_at_a_word(desk: Desk) -> None:
    app = DeskApp(desk, username="frontdesk", password=tui_clinic.PASSWORD, bidi=BidiMode.APP)
    async with app.run_test(size=SIZE) as pilot:
        table = await search(pilot, "0509990")
        rows = {table.get_row_at(i)[3]: table.get_row_at(i) for i in range(table.row_count)}
        long_row, short_row = rows["050 999 0001"], rows["050 999 0002"]  # national format
        assert short_row[2] == visual("رامي سالم")
        # Cut in logical order at a word, so the name's start survives, then painted: the …
        # is at the left end, where an Arabic line ends.
        assert long_row[2] == visual("مُحَمَّد عَبْدُ الرَّحْمٰن" + ELLIPSIS)
        assert long_row[2].startswith(ELLIPSIS) and cell_len(long_row[2]) <= 18
        assert long_row[1] == "Mohammed Abdulrahma" + ELLIPSIS  # 20 cells: the Born column
        # Tashkeel takes no cell: the phone column starts at the same place on both rows.
        lines = screen_lines(app)
        starts = {
            cell_len(line[: line.index(phone)]) for line in lines for phone in rows if phone in line
        }
        assert len(starts) == 1, lines
        capture(app, "19-arabic-app.txt")


async def test_terminal_mode_sends_arabic_as_stored(desk: Desk) -> None:
    app = DeskApp(desk, username="frontdesk", password=tui_clinic.PASSWORD, bidi=BidiMode.TERMINAL)
    async with app.run_test(size=SIZE) as pilot:
        table = await search(pilot, "0509990002")
        assert table.get_row_at(0)[2] == "رامي سالم"
        capture(app, "20-arabic-terminal.txt")


async def test_the_check_on_the_login_screen_is_kept_for_the_login(desk: Desk) -> None:
    app = DeskApp(desk, username="frontdesk")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.arabic.mode is BidiMode.APP  # nothing says otherwise here
        await step(pilot, "f5")
        assert screen_name(app) == "ArabicCheck"
        shown = "\n".join(screen_lines(app))
        assert visual(CHECK_WORD) in shown and CHECK_WORD in shown
        capture(app, "21-arabic-check.txt")
        await step(pilot, "2")  # the terminal's own painting reads right
        assert app.arabic.mode is BidiMode.TERMINAL
        await type_text(pilot, tui_clinic.PASSWORD)
        await step(pilot, "enter")
        assert screen_name(app) == "SearchScreen"
    await app.workers.wait_for_complete()
    assert desk.login("frontdesk", tui_clinic.PASSWORD).staff.display_mode == "terminal"
    # The next sign-in of that login paints that way without asking.
    again = DeskApp(desk, username="frontdesk", password=tui_clinic.PASSWORD)
    async with again.run_test(size=SIZE) as pilot:
        table = await search(pilot, "0509990002")
        assert again.arabic.mode is BidiMode.TERMINAL
        assert table.get_row_at(0)[2] == "رامي سالم"
