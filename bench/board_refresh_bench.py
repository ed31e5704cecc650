"""A change on desk A seen on desk B: the live refresh, timed (not a test; docs/benchmarks.md).

    python bench/board_refresh_bench.py --url URL [--rounds 10] [--screen board|day] [--day D]

WRITES: it books and cancels visits, so give it a copy of a demo database (`cp` of the SQLite
file, `CREATE DATABASE x TEMPLATE million` on PostgreSQL), never a shared one.

Desk B is a headless app signed in as the demo's frontdesk, showing the board of the first
clinic (or the day sheet of all clinics) on --day (default: the next Monday). Desk A is a second
Desk of its own, as another reception PC would be. Each round A books a free slot of a provider
on B's board, then cancels it; the clock runs from A's write returning (committed) until B's
screen shows it without a key: B's poll (LiveRefresh, changes_since about once a second) sees
the tenant's counter move and B reloads and repaints. So a figure is the poll's wait (0-1 s)
plus the reload.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from deskbook.db.engine import read_session
from deskbook.db.models import Patient
from deskbook.desk import Desk
from deskbook.tui.app import DeskApp
from deskbook.tui.screens.board import BoardScreen
from deskbook.tui.screens.daysheet import DaySheetScreen
from deskbook.tui.widgets.board_grid import BoardGrid


async def until(ready: Callable[[], bool], limit: float = 30.0) -> float:
    start = time.perf_counter()
    while not ready():
        await asyncio.sleep(0.005)
        if time.perf_counter() - start > limit:
            raise TimeoutError("desk B did not show the change")
    return time.perf_counter() - start


def next_monday() -> date:
    today = date.today()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def free_slots(a: Any, clinic_id: Any, provider_ids: list[Any], day: date) -> list[Any]:
    """(provider, service, start) of free slots of the providers B shows."""
    found = []
    for service in a.services_for(clinic_id=clinic_id):
        if service.group_capable:
            continue
        giving = {p.id for p in a.providers_for(clinic_id, service.id)}
        for pid in provider_ids:
            if pid in giving:
                found += [(pid, service.id, g.start) for g in a.slot_grid(pid, service.id, day)
                          if g.free]  # fmt: skip
    return found


async def run(url: str, rounds: int, which: str, day: date) -> None:
    desk_b, desk_a = Desk.open(url), Desk.open(url)
    a = desk_a.login("frontdesk", "frontdesk")
    with read_session(desk_a.engine) as s:
        patients = list(s.scalars(select(Patient.id).limit(2000)))
    app = DeskApp(desk_b, username="frontdesk", password="frontdesk")
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(lambda: type(app.screen).__name__ == "SearchScreen")
            await pilot.press("f5")
            await until(lambda: isinstance(app.screen, BoardScreen) and app.screen.painted >= 1)
            board = app.screen
            assert isinstance(board, BoardScreen)
            board.day = day
            before = board.painted
            board.load()
            await until(lambda: board.painted > before)
            shown = board.board
            assert shown is not None and board.clinic is not None
            clinic_id = board.clinic.id
            slots = free_slots(a, clinic_id, [c.provider_id for c in shown.columns], day)
            print(
                f"{url}: B shows {shown.clinic_name_en} on {day}, {len(shown.columns)} of "
                f"{shown.provider_count} providers; {len(slots)} free slots to book"
            )
            grid = board.query_one(BoardGrid)
            sheet: DaySheetScreen | None = None
            if which == "day":
                await pilot.press("f3")
                await until(lambda: isinstance(app.screen, DaySheetScreen))
                sheet = app.screen
                assert isinstance(sheet, DaySheetScreen)
                sheet.day = day
                sheet.load()
                await until(lambda: sheet is not None and sheet.total > 0)

            def seen_on_b(visit_id: Any, present: bool, total: int) -> Callable[[], bool]:
                # The sheet's count moves by one; the board has the visit or no longer has it.
                if sheet is not None:
                    return lambda: sheet.total == total + (1 if present else -1)
                return lambda: (grid.find_visit(visit_id) is not None) == present

            waits: list[float] = []
            random.seed(13)
            for _ in range(rounds):
                pid, sid, start = random.choice(slots)
                slots.remove((pid, sid, start))
                for patient in random.sample(patients, 20):
                    try:
                        await asyncio.sleep(random.random())  # any moment of B's poll
                        total = sheet.total if sheet is not None else 0
                        visit = a.book(patient, sid, pid, start)
                        break
                    except Exception:  # the patient is busy then: another one
                        continue
                else:
                    continue
                waits.append(await until(seen_on_b(visit.id, True, total)))
                await asyncio.sleep(random.random())
                total = sheet.total if sheet is not None else 0
                a.cancel(visit.id, "benchmark")
                waits.append(await until(seen_on_b(visit.id, False, total)))
            waits = sorted(w * 1000 for w in waits)
            p95 = waits[min(len(waits) - 1, int(len(waits) * 0.95))]
            print(
                f"{which}: {len(waits)} changes (book, cancel) seen on desk B: p50 "
                f"{statistics.median(waits):.0f} ms, p95 {p95:.0f} ms, max {waits[-1]:.0f} ms"
            )
    finally:
        desk_a.close()
        desk_b.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--screen", choices=("board", "day"), default="board")
    parser.add_argument("--day", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.rounds, args.screen, args.day or next_monday()))


if __name__ == "__main__":
    main()
