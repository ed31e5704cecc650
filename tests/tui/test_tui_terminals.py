"""Readable in every terminal (issue 10 #7): in 16 colours (TERM=xterm, PuTTY's default), in
256 colours and with NO_COLOR, every table shows where its cursor is and no text is drawn in
its own background's colour. The screen is read as the terminal would show it: each style
brought down to the terminal's colour system (with NO_COLOR: no colour at all)."""

from __future__ import annotations

from typing import Any

import pytest
from rich.color import ColorSystem
from textual.widgets import DataTable
from tui_pilot import (
    SIZE,
    cursor_stands_out,
    make_app,
    open_patient,
    screen_name,
    settle,
    step,
    type_text,
    unreadable,
)

from deskbook.desk import Desk
from deskbook.tui.widgets.slot_grid import SlotGrid

TERMINALS: dict[str, tuple[dict[str, str], ColorSystem | None]] = {
    "16 colours": ({"TERM": "xterm"}, ColorSystem.STANDARD),
    "256 colours": ({"TERM": "xterm-256color"}, ColorSystem.EIGHT_BIT),
    "NO_COLOR": ({"TERM": "xterm-256color", "NO_COLOR": "1"}, None),
}


def terminal(monkeypatch: pytest.MonkeyPatch, name: str) -> ColorSystem | None:
    env, system = TERMINALS[name]
    for variable in ("COLORTERM", "NO_COLOR", "TEXTUAL_COLOR_SYSTEM", "DESKBOOK_THEME"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    return system


async def check(pilot: Any, table: DataTable[Any], system: ColorSystem | None) -> None:
    app = pilot.app
    where = f"{screen_name(app)} #{table.id}"
    assert table.row_count >= 2, where
    # The strips are what was last drawn: a cursor placed after the last answer (on a loaded
    # machine, after the refresh that drew the answer) shows one refresh later.
    for _ in range(5):
        if cursor_stands_out(app, table, system):
            break
        await pilot.pause()
    assert cursor_stands_out(app, table, system), f"{where}: the cursor does not show"
    assert unreadable(app, system) == [], where


@pytest.mark.parametrize("name", list(TERMINALS))
async def test_every_table_shows_its_cursor(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    system = terminal(monkeypatch, name)
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The search: the cursor is in the box, the results still show their row.
        await type_text(pilot, "group child")
        results = app.screen.query_one("#results", DataTable)
        await check(pilot, results, system)
        await step(pilot, "down")
        await check(pilot, results, system)
        await pilot.press("escape")
        await open_patient(pilot, "yusuf")
        await check(pilot, app.screen.query_one("#past", DataTable), system)
        await step(pilot, "b", "p", "enter", "enter")  # package, first available
        assert screen_name(app) == "SlotScreen"
        grid = app.screen.query_one(SlotGrid)
        await check(pilot, grid, system)
        await step(pilot, "f3", "right")  # tomorrow: the group of three
        assert screen_name(app) == "DaySheetScreen"
        await check(pilot, app.screen.query_one("#sheet", DataTable), system)
        await step(pilot, "f1")
        await check(pilot, app.screen.query_one("#keys", DataTable), system)


async def test_home_end_and_page_keys_move_every_table(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "group child")
        results = app.screen.query_one("#results", DataTable)
        # In the search box Home/End edit the text; the page keys move the rows.
        await pilot.press("pagedown")
        assert results.cursor_row == 2
        await pilot.press("pageup")
        assert results.cursor_row == 0
        await pilot.press("ctrl+end")
        assert results.cursor_row == 2
        await pilot.press("tab", "home")
        assert results.cursor_row == 0
        await pilot.press("end")
        assert results.cursor_row == 2
        await step(pilot, "f3", "right")
        sheet = app.screen.query_one("#sheet", DataTable)
        assert sheet.row_count == 3
        await pilot.press("end")
        assert sheet.cursor_row == 2
        await pilot.press("home")
        assert sheet.cursor_row == 0
        await pilot.press("pagedown")
        assert sheet.cursor_row == 2
        await pilot.press("f1", "end")
        keys = app.screen.query_one("#keys", DataTable)
        assert keys.cursor_row == keys.row_count - 1
