"""Board, day-sheet page and change-poll benchmark on a demo database.

    python bench/board_bench.py --url sqlite:////tmp/x.db [--calls 50] [--window 12]

The database must already hold the demo (`deskbook --db URL demo --patients N`) at the
newest schema (`deskbook db upgrade --db URL`). Times the busiest day of the demo: the board
of each clinic as the screen reads it (a window of --window providers, at the first and at the
middle provider), the whole board of the first clinic (every provider, for comparison),
day-sheet pages of the whole network at offsets 0 / middle / last, and changes_since.
Prints median and p95 (ms), wall-clock and the process's own CPU.
Not a test: numbers go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select

from deskbook import Desk
from deskbook.db.engine import read_session
from deskbook.db.models import Appointment, Clinic


def timed(call: Callable[[], object], calls: int) -> tuple[float, float, float]:
    call()  # warm the caches once, as a desk that has been open a while
    walls, cpus = [], []
    for _ in range(calls):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    walls.sort()
    p95 = walls[min(len(walls) - 1, int(len(walls) * 0.95))]
    return statistics.median(walls) * 1000, p95 * 1000, statistics.median(cpus) * 1000


def busiest_day(desk: Desk) -> tuple[date, int]:
    with read_session(desk.engine) as s:
        day = func.date(Appointment.start_at)
        row = s.execute(
            select(day, func.count()).group_by(day).order_by(func.count().desc()).limit(1)
        ).one()
    value = row[0]
    return (value if isinstance(value, date) else date.fromisoformat(value)), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--window", type=int, default=12, help="providers per board read")
    args = parser.parse_args()
    desk = Desk.open(args.url)
    try:
        d = desk.login("frontdesk", "frontdesk")
        day, visits = busiest_day(desk)
        with read_session(desk.engine) as s:
            clinics = list(s.execute(select(Clinic.id, Clinic.name_en).order_by(Clinic.name_en)))
        total = d.day_sheet_page(day, limit=1).total
        print(f"{args.url}: {day} has {visits} appointments ({total} live on the sheet)")
        print(f"{'read':<44} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8}")
        rows: list[tuple[str, Callable[[], object]]] = []
        window = args.window
        for at, (cid, name) in enumerate(clinics):
            whole = d.board(day, cid)
            wide, tall = len(whole.columns), len(whole.times)
            if at == 0:
                label = f"board {name[:14]}, all {wide}x{tall}"
                rows.append((label, lambda cid=cid: d.board(day, cid)))
            for first in (0, wide // 2):
                label = f"board {name[:14]}, {window} from {first} of {wide}"
                rows.append((label, lambda cid=cid, first=first: d.board(day, cid, first, window)))
        for offset in (0, total // 2, max(0, total - 50)):
            rows.append(
                (f"day sheet page, network, offset {offset}",
                 lambda offset=offset: d.day_sheet_page(day, offset=offset, limit=50))
            )  # fmt: skip
        rows.append(("changes_since", lambda: d.changes_since(0)))
        for label, call in rows:
            p50, p95, cpu = timed(call, args.calls)
            print(f"{label:<44} {p50:>8.1f} {p95:>8.1f} {cpu:>8.1f}")
    finally:
        desk.close()


if __name__ == "__main__":
    main()
