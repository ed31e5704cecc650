"""Make the screen captures of docs/screens/ again: the demo clinic at 80x24, driven by Pilot.

    .venv/bin/python bench/screens.py [--out docs/screens]

The *.txt files are the screens as text (what a reader of the docs needs). The search, the
day sheet and the slot grid are also written as a 16-colour terminal (TERM=xterm) and a NO_COLOR
one show them: *.ansi files, with the terminal's escape codes (`cat` one in a terminal to see
it; the cursor row is in reverse video in both). The Arabic ones (19-21) are written by
`DESKBOOK_CAPTURE_DIR=docs/screens pytest tests/tui/test_tui_arabic.py -k sqlite`; the boards
(26, 27) were taken with tmux on the demo.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot

from deskbook.db.demo import DEMO_LOGINS, DEMO_PATIENT, DEMO_PATIENTS, build_demo
from deskbook.desk import Desk
from deskbook.tui.app import DeskApp
from deskbook.tui.screens.base import DIALOG_WORKERS

SIZE = (80, 24)
Tour = Callable[[DeskApp, Pilot[Any], Callable[[str], None]], Awaitable[None]]


def render(app: DeskApp, color_system: str | None, styles: bool) -> str:
    width, height = SIZE
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system=color_system or "standard",  # type: ignore[arg-type]  # a literal
        record=True,
        legacy_windows=False,
        safe_box=False,
        no_color=color_system is None,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    text = console.export_text(styles=styles)
    return "\n".join(line.rstrip() if not styles else line for line in text.splitlines()) + "\n"


async def settle(pilot: Pilot[Any]) -> None:
    app = pilot.app
    for _ in range(20):
        await pilot.pause()
        running = [w for w in app.workers if w.is_running and w.group != DIALOG_WORKERS]
        if running:
            await app.workers.wait_for_complete(running)
        await pilot.pause()
        if not [w for w in app.workers if w.is_running and w.group != DIALOG_WORKERS]:
            return


async def press(pilot: Pilot[Any], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def to_a_working_day(app: DeskApp, pilot: Pilot[Any]) -> None:
    # The demo's providers work Sunday to Thursday: from a weekend, on to the next day with work.
    for _ in range(3):
        title = str(app.screen.query_one("#day-title").render())
        if " 0 visits" not in title and "0 appointments" not in title:
            return
        await press(pilot, "right")


async def full_tour(app: DeskApp, pilot: Pilot[Any], save: Callable[[str], None]) -> None:
    rashid, used_up, group = DEMO_PATIENT["rashid"], DEMO_PATIENT["used_up"], DEMO_PATIENT["group"]
    save("01-login")
    await app.workers.wait_for_complete()
    await press(pilot, "enter")
    save("02-search-empty")
    await press(pilot, *rashid.mrn)
    save("03-search-results")
    await press(pilot, "enter")
    save("04-patient")
    await press(pilot, "b")
    save("05-booking-type")
    await press(pilot, "p")
    save("06-package-chooser")
    await press(pilot, "enter")
    save("07-provider-picker")
    if type(app.screen).__name__ == "PickScreen":
        await press(pilot, "enter")
    save("08-slot-grid")
    await press(pilot, "enter")
    save("09-confirm")
    await press(pilot, "enter")
    save("10-booked")
    await press(pilot, "f2", "escape", *used_up.mrn, "enter", "b", "p")
    save("11-chooser-unusable")
    await press(pilot, "escape", "f2", "escape", *"Zaid Qasim", "ctrl+n")
    save("12-register")
    await press(pilot, "escape", "f2", "escape", *group.mrn, "enter", "b", "g")
    save("13-group")
    await press(pilot, "escape", "escape", "f3")
    await to_a_working_day(app, pilot)
    save("14-day-sheet")
    await press(pilot, "f1")
    save("15-help")
    await press(pilot, "escape", "ctrl+p")
    save("16-command-palette")
    await press(pilot, "escape", "escape", "f2", "escape", *"Moha")
    # The banner as an outage shows it (the probe would find the database again in seconds).
    app.lost_database()
    await pilot.pause()
    save("17-database-down")


async def colour_tour(app: DeskApp, pilot: Pilot[Any], save: Callable[[str], None]) -> None:
    await app.workers.wait_for_complete()
    await press(pilot, "enter", *"Al-Rashid")
    save("search")
    await press(pilot, "f3")
    await to_a_working_day(app, pilot)
    save("day-sheet")
    rashid = DEMO_PATIENT["rashid"]
    await press(pilot, "f2", "escape", *rashid.mrn, "enter", "b", "p", "enter")
    if type(app.screen).__name__ == "PickScreen":
        await press(pilot, "enter")
    save("slot-grid")


async def package_tour(app: DeskApp, pilot: Pilot[Any], save: Callable[[str], None]) -> None:
    """A package about to expire: the list, its patient (what is owed), then its sessions left
    booked as a course (the form and the review)."""
    await app.workers.wait_for_complete()
    await press(pilot, "enter", "f7")
    save("25-expiring")
    await press(pilot, "enter")
    save("24-patient-money")
    await press(pilot, "c")
    if type(app.screen).__name__ == "PickScreen":  # several usable packages: the first
        await press(pilot, "enter")
    save("22-course-form")
    await press(pilot, "enter")
    save("23-course-review")


async def admin_tour(app: DeskApp, pilot: Pilot[Any], save: Callable[[str], None]) -> None:
    await app.workers.wait_for_complete()
    await press(pilot, "enter", "f4")
    save("18-audit-log")


async def drive(
    url: str, login: tuple[str, str], tour: Tour, save: Callable[[DeskApp, str], None]
) -> None:
    desk = Desk.open(url)
    try:
        app = DeskApp(desk, username=login[0], password=login[1])
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await tour(app, pilot, lambda name: save(app, name))
    finally:
        desk.close()


def set_terminal(term: str, no_color: bool) -> None:
    for name in ("COLORTERM", "NO_COLOR", "TEXTUAL_COLOR_SYSTEM", "DESKBOOK_THEME"):
        os.environ.pop(name, None)
    os.environ["TERM"] = term
    if no_color:
        os.environ["NO_COLOR"] = "1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    front = next((u, p) for u, p, role, _ in DEMO_LOGINS if role == "FRONT_DESK")
    admin = next((u, p) for u, p, role, _ in DEMO_LOGINS if role == "ADMIN")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        build_demo(url, patients=len(DEMO_PATIENTS) + 200, seed=11)

        def text(app: DeskApp, name: str) -> None:
            (out / f"{name}.txt").write_text(render(app, "truecolor", styles=False))

        set_terminal("xterm-256color", no_color=False)
        # Without the password the login screen is shown first; Enter signs in.
        asyncio.run(drive(url, (front[0], ""), _login_then(full_tour, front[1]), text))
        asyncio.run(drive(url, (admin[0], ""), _login_then(admin_tour, admin[1]), text))
        asyncio.run(drive(url, (front[0], ""), _login_then(package_tour, front[1]), text))
        for term, no_color, suffix, system in (
            ("xterm", False, "16-colours", "standard"),
            ("xterm-256color", True, "no-color", None),
        ):
            set_terminal(term, no_color)

            def ansi(
                app: DeskApp, name: str, suffix: str = suffix, system: str | None = system
            ) -> None:
                (out / f"{name}-{suffix}.ansi").write_text(render(app, system, styles=True))

            asyncio.run(drive(url, (front[0], ""), _login_then(colour_tour, front[1]), ansi))
    print(f"screens written to {out}", file=sys.stderr)


def _login_then(tour: Tour, password: str) -> Tour:
    async def run(app: DeskApp, pilot: Pilot[Any], save: Callable[[str], None]) -> None:
        await settle(pilot)
        await pilot.press(*password)
        await tour(app, pilot, save)

    return run


if __name__ == "__main__":
    main()
