"""What a desk pays the first time it opens the day's screens: their modules are imported while
the search screen waits for its first key, so the first F5 or F3 does not wait for them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from textual.widgets._header import HeaderTitle
from tui_pilot import make_app, screen_name, settle

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.testing.tui_clinic import PASSWORD
from deskbook.tui.app import DAY_SCREENS
from deskbook.tui.widgets.desk_header import DeskHeader

# A fresh interpreter: this one has imported every screen already.
SIGN_IN = textwrap.dedent(
    """
    import asyncio, sys
    from deskbook.desk import Desk
    from deskbook.tui.app import DAY_SCREENS, DeskApp

    async def main() -> None:
        desk = Desk.open(sys.argv[1])
        app = DeskApp(desk, username="frontdesk", password=sys.argv[2])
        before = [m for m in DAY_SCREENS if m in sys.modules]
        async with app.run_test(size=(80, 24)) as pilot:
            while type(app.screen).__name__ != "SearchScreen":
                await pilot.pause(0.05)
            await app.workers.wait_for_complete()
            after = [m for m in DAY_SCREENS if m in sys.modules]
            print(len(before), len(after))
        desk.close()

    asyncio.run(main())
    """
)


def test_the_day_screens_are_imported_while_the_search_screen_waits(
    clinic: tui_clinic.Seed,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SIGN_IN, clinic.url, PASSWORD],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    before, after = (int(n) for n in done.stdout.split())
    assert before == 0  # not imported by the app itself
    assert after == len(DAY_SCREENS)


async def test_signing_in_survives_a_header_already_taken_down(desk: Desk) -> None:
    """The sign-in sets the app's title while the login screen goes: a header whose title
    widget was already removed got the change and ended the app with NoMatches (seen when the
    machine was busy). Now it lets the change go."""
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        header = app.screen.query_one(DeskHeader)
        await header.query_one(HeaderTitle).remove()
        app.title = "Another title"
        await settle(pilot)
        assert app.is_running
        assert screen_name(app) == "SearchScreen"
