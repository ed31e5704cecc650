"""The TUI's memory after an hour of paging (not a test; figures go to docs/benchmarks.md).

    python bench/tui_rss_bench.py --url URL [--keys 3600] [--day 2026-11-23] [--size 160x48]

Read-only: safe on a shared demo database. A headless app signed in as the demo's frontdesk
gets an hour's worth of keys (one a second is 3,600), as fast as it answers them: the day sheet
of all clinics on --day paged down with PgDn (every row of a network day gets loaded, a page of
100 at a time), back to the top with Home, then the board (F5) walked right through the
providers, a day on and back; F3 / F5 between them as a desk switches. Prints the process's
resident memory (VmRSS from /proc/self/status) every --every keys, with the screens on the
stack and the rows loaded on the day sheet.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date
from itertools import cycle
from typing import Any

from deskbook.desk import Desk
from deskbook.tui.app import DeskApp
from deskbook.tui.screens.board import BoardScreen
from deskbook.tui.screens.daysheet import DaySheetScreen


def rss_mb() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


async def quiet(pilot: Any) -> None:
    """Until the key's reads are answered (the next key comes after, as a person's would)."""
    app = pilot.app
    for _ in range(200):
        await pilot.pause()
        if not [w for w in app.workers if w.is_running and w.name != "live"]:
            return
        await asyncio.sleep(0.005)


def keys() -> cycle[str]:
    """One round: 120 keys on the day sheet, 60 on the board."""
    sheet = ["f3"] + ["pagedown"] * 110 + ["home"] + ["down"] * 8
    board = ["f5"] + ["right"] * 25 + ["right_square_bracket", "left_square_bracket"]
    board += ["down"] * 5 + ["left"] * 25 + ["up"] * 2
    return cycle(sheet + board)


async def run(url: str, total: int, every: int, day: date | None, size: tuple[int, int]) -> None:
    desk = Desk.open(url)
    app = DeskApp(desk, username="frontdesk", password="frontdesk")
    try:
        async with app.run_test(size=size) as pilot:
            while type(app.screen).__name__ != "SearchScreen":
                await asyncio.sleep(0.01)
            rss, _ = rss_mb()
            print(f"{url}, {size[0]}x{size[1]}: signed in, RSS {rss:.0f} MB")
            start = time.perf_counter()
            for pressed, key in zip(range(1, total + 1), keys(), strict=False):
                await pilot.press(key)
                screen = app.screen
                if day is not None and key in ("f3", "f5"):
                    await quiet(pilot)
                    screen = app.screen
                    if isinstance(screen, DaySheetScreen | BoardScreen) and screen.day != day:
                        screen.day = day
                        screen.load()
                await quiet(pilot)
                if pressed % every == 0 or pressed == total:
                    rss, hwm = rss_mb()
                    sheets = [s for s in app.screen_stack if isinstance(s, DaySheetScreen)]
                    rows = sum(len(s.rows) for s in sheets)
                    print(
                        f"{pressed:>5} keys, {time.perf_counter() - start:6.0f} s: RSS "
                        f"{rss:6.1f} MB (peak {hwm:6.1f}), {len(app.screen_stack)} screens, "
                        f"{rows} day-sheet rows loaded"
                    )
    finally:
        desk.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--keys", type=int, default=3600)
    parser.add_argument("--every", type=int, default=360)
    parser.add_argument("--day", type=date.fromisoformat, default=None)
    parser.add_argument("--size", default="160x48")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    asyncio.run(run(args.url, args.keys, args.every, args.day, (width, height)))


if __name__ == "__main__":
    main()
