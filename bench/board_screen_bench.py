"""The board screen from key to painted (not a test; figures go to docs/benchmarks.md).

    python bench/board_screen_bench.py --url URL [--rounds 15] [--size 160x48] [--day 2026-11-29]

Headless, signed in as the demo's frontdesk. The clock runs from the key until the new board is
in the grid and the screen has been refreshed once: F5 (the screen opens on the home clinic, or
the first one, on --day as if it were today, else on today), then `]` and `[` in turn (another
day each time), then → along the providers, timing the presses that go past the window of
providers read and so read the next one. The board read runs in a thread worker, so this is
the Desk's `board()` plus building the grid plus one paint.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, date, datetime, tzinfo
from datetime import time as dtime
from typing import Any

from deskbook.desk import Desk
from deskbook.tui.app import DeskApp


async def until(pilot: Any, ready: Any, limit: float = 60.0) -> None:
    start = time.perf_counter()
    while not ready():
        await asyncio.sleep(0.002)
        if time.perf_counter() - start > limit:
            raise TimeoutError("the board did not come")
    await pilot.pause()  # one refresh: the grid is painted


def report(what: str, walls: list[float]) -> None:
    walls = sorted(walls)
    p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
    print(
        f"{what}, {len(walls)} rounds: p50 {statistics.median(walls):.1f} ms, "
        f"p95 {p95:.1f} ms, max {walls[-1]:.1f} ms"
    )


def opens_on(day: date) -> None:
    """F5 opens the board on `day` as if it were today, 10:00 in the clinic: on the demo's
    busiest day rather than on whatever day the benchmark runs (a Friday shows nobody)."""
    from deskbook.tui.screens import board

    class Clock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Clock:
            noon = cls.combine(day, dtime(7), tzinfo=UTC)  # 10:00 in Riyadh
            return noon if tz is None else noon.astimezone(tz)

    class Calendar(date):
        @classmethod
        def today(cls) -> Calendar:
            return cls(day.year, day.month, day.day)

    board.datetime = Clock  # type: ignore[misc]
    board.date = Calendar  # type: ignore[misc]


async def run(url: str, rounds: int, size: tuple[int, int], day: date | None) -> None:
    desk = Desk.open(url)
    app = DeskApp(desk, username="frontdesk", password="frontdesk")
    try:
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: type(app.screen).__name__ == "SearchScreen")
            # A receptionist signs in and then presses F5: what the app does in the meantime
            # (importing the day's screens) is done by then. The board's module is not imported
            # here, so the first F5 costs what it costs a desk.
            await app.workers.wait_for_complete()
            await asyncio.sleep(0.5)
            if day is not None:
                opens_on(day)
            start = time.perf_counter()
            await pilot.press("f5")
            await until(
                pilot,
                lambda: (
                    type(app.screen).__name__ == "BoardScreen"
                    and getattr(app.screen, "painted", 0) >= 1
                ),
            )
            opened = (time.perf_counter() - start) * 1000
            from deskbook.tui.screens.board import BoardScreen

            screen = app.screen
            assert isinstance(screen, BoardScreen)
            board = screen.board
            assert board is not None
            print(
                f"{board.clinic_name_en}: {len(board.columns)} providers × {len(board.times)} "
                f"rows; F5 to painted {opened:.1f} ms (clinic list and board in one read)"
            )
            walls = []
            for n in range(rounds):
                before = screen.painted
                start = time.perf_counter()
                await pilot.press("right_square_bracket" if n % 2 == 0 else "left_square_bracket")
                await until(pilot, lambda before=before: screen.painted > before)
                walls.append((time.perf_counter() - start) * 1000)
            report("[ / ] to painted", walls)
            # → walked along the providers: the presses past the window's edge read the next
            # window (the others only move the cursor).
            edges = []
            for _ in range(rounds * 10):
                before = screen.painted
                start = time.perf_counter()
                await pilot.press("right")
                await pilot.pause()
                reading = any(w.name == "board" and w.is_running for w in app.workers)
                if reading or screen.painted > before:
                    await until(pilot, lambda before=before: screen.painted > before)
                    edges.append((time.perf_counter() - start) * 1000)
                if len(edges) >= rounds:
                    break
            if edges:
                report("→ past the window's edge to painted", edges)
    finally:
        desk.close()


def arguments(doc: str | None, *, rounds: int, size: str) -> tuple[Any, tuple[int, int]]:
    """--url, --rounds, --size WxH and --day, as the board's screen benchmarks take them."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--size", default=size)
    parser.add_argument("--day", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    return args, (width, height)


def main() -> None:
    args, size = arguments(__doc__, rounds=15, size="160x48")
    asyncio.run(run(args.url, args.rounds, size, args.day))


if __name__ == "__main__":
    main()
