"""The board screen from key to painted (not a test; figures go to docs/benchmarks.md).

    python bench/board_screen_bench.py --url URL [--rounds 15] [--size 160x48] [--day 2026-11-29]

Headless, signed in as the demo's frontdesk. The clock runs from the key until the new board is
in the grid and the screen has been refreshed once: F5 (the screen opens on the home clinic, or
the first one), then `]` and `[` in turn (another day each time), then → along the providers,
timing the presses that go past the window of providers read and so read the next one. The
board read runs in a thread worker, so this is the Desk's `board()` plus building the grid plus
one paint.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import date
from typing import Any

from deskbook.desk import Desk
from deskbook.tui.app import DeskApp
from deskbook.tui.screens.board import BoardScreen


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


async def run(url: str, rounds: int, size: tuple[int, int], day: date | None) -> None:
    desk = Desk.open(url)
    app = DeskApp(desk, username="frontdesk", password="frontdesk")
    try:
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: type(app.screen).__name__ == "SearchScreen")
            start = time.perf_counter()
            await pilot.press("f5")
            await until(
                pilot, lambda: isinstance(app.screen, BoardScreen) and app.screen.painted >= 1
            )
            opened = (time.perf_counter() - start) * 1000
            screen = app.screen
            assert isinstance(screen, BoardScreen)
            if day is not None:
                screen.day = day
                before = screen.painted
                screen.load()
                await until(pilot, lambda: screen.painted > before)
            board = screen.board
            assert board is not None
            print(
                f"{board.clinic_name_en}: {len(board.columns)} providers × {len(board.times)} "
                f"rows; F5 to painted {opened:.1f} ms (includes the clinic list)"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--size", default="160x48")
    parser.add_argument("--day", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    asyncio.run(run(args.url, args.rounds, (width, height), args.day))


if __name__ == "__main__":
    main()
