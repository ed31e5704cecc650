"""F3 / F5 in turn, as a desk switches between the day sheet and the board all day: they go
back to the screen already open instead of stacking another copy of it (each copy kept its
rows and its poll), and never close a form with what was typed in it."""

from __future__ import annotations

from tui_pilot import (
    SIZE,
    make_app,
    notes,
    screen_name,
    settle,
    step,
    type_text,
)

from deskbook.desk import Desk
from deskbook.tui.screens.base import DeskScreen


async def test_f3_and_f5_in_turn_reuse_the_open_day_sheet_and_board(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f3")
        sheet = app.screen
        await step(pilot, "f5")
        board = app.screen
        depth = len(app.screen_stack)
        for _ in range(3):
            await step(pilot, "f3")
            assert app.screen is sheet
            await step(pilot, "f5")
            assert screen_name(app) == "BoardScreen"
        assert len(app.screen_stack) <= depth
        assert board is not sheet


async def test_f3_over_a_dialog_opens_another_day_sheet_and_keeps_the_dialog(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f3")
        sheet = app.screen
        await step(pilot, "f5")
        await step(pilot, "g")
        assert screen_name(app) == "DateScreen"
        dialog = app.screen
        await type_text(pilot, "+3")
        await step(pilot, "f3")
        assert screen_name(app) == "DaySheetScreen" and app.screen is not sheet
        assert dialog in app.screen_stack


async def test_a_write_that_fails_unexpectedly_does_not_pin_its_view(desk: Desk) -> None:
    """A write whose worker dies of a fault (not a DeskError) gets no answer; it must not count
    as still on its way, or F3 / F5 would stack a new copy of that view every time again."""
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f3")
        sheet = app.screen
        assert screen_name(app) == "DaySheetScreen"
        await step(pilot, "f5")
        board = app.screen
        assert isinstance(board, DeskScreen)

        def fault() -> None:
            raise RuntimeError("a bug, not the user's mistake")

        board.write("probe", fault, lambda _: None)
        await settle(pilot)
        assert any("Unexpected error" in n for n in notes(app))
        assert not board.holds_writes()
        await step(pilot, "f3")  # back to the day sheet below, the board closed
        assert app.screen is sheet and board not in app.screen_stack
