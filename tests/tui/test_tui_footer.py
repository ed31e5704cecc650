"""The footer at 80 and 160 columns: every key it shows fits whole, F1 Keys is always there,
and a table's hidden Enter does not hide the screen's Enter (the day sheet's "Patient")."""

from __future__ import annotations

from typing import Any

import pytest
from tui_pilot import (
    make_app,
    screen_name,
    settle,
    step,
)

from deskbook.desk import Desk
from deskbook.tui.widgets.desk_footer import DeskFooter


def footer(app: Any) -> list[tuple[str, str, int]]:
    """(key, description, width on screen) of each key the footer shows."""
    bar = app.screen.query_one(DeskFooter)
    return [(k.key_display, k.description, k.width) for k in bar.placed]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_footer_keys_fit_whole_and_say_enter_on_the_day_sheet(
    desk: Desk, size: tuple[int, int]
) -> None:
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key, screen, enter in (
            ("f2", "SearchScreen", "Open"),
            ("f3", "DaySheetScreen", "Patient"),
        ):
            await step(pilot, key)
            assert screen_name(app) == screen
            shown = footer(app)
            assert ("F1", "Keys") in [(k, d) for k, d, _ in shown]
            assert ("Enter", enter) in [(k, d) for k, d, _ in shown]
            bar = app.screen.query_one(DeskFooter)
            for key_, _, width in shown:
                assert width > 0, key_
            right = max(bar.region.x + k.x + k.width for k in bar.placed)
            assert right <= size[0]
            painted = bar.render().plain
            for key_, description, _ in shown:
                assert f"{key_} {description}" in painted
            assert len(painted.rstrip()) <= size[0]


async def test_a_click_on_a_footer_key_presses_it(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(DeskFooter)
        keys = next(k for k in bar.placed if k.description == "Keys")
        await pilot.click(DeskFooter, offset=(keys.x + 1, 0))
        await settle(pilot)
        assert screen_name(app) == "HelpScreen"
