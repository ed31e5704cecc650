"""TUI benchmark (not a test): start-up time and keystroke-to-results on a big database.

    /work/venv/bin/python bench/tui_bench.py startup [--db URL]
    /work/venv/bin/python bench/tui_bench.py keystroke --db URL [--db URL ...]

startup: wall time from process start until the search screen is up with the cursor in the
search input (headless, signed in with the frontdesk login), against the bare
`python -c "import textual, sqlmodel"`; also until the login screen is up.

keystroke: in one process, the app on a database of a million patients; for each query the
text but its last letter is typed, then the clock runs from the last keystroke until the
results are in the table (debounce + query in a worker thread + table fill).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PY = sys.executable
RUNS = 9
QUERIES = ["rashid", "Mohammed", "الرشيد", "mo", "ghamd", "0550", "P0500000", "zzqxv"]
ROUNDS = int(os.environ.get("TUI_BENCH_ROUNDS", "5"))

CHILD = r"""
import sys, time
T0 = float(sys.argv[1]); URL = sys.argv[2]; UNTIL = sys.argv[3]
from deskbook.tui.app import DeskApp

password = "frontdesk" if UNTIL == "search" else None
# As run_app does: the database opens in a thread while the login screen is up.
app = DeskApp(username="frontdesk", password=password, url=URL)

def check() -> None:
    screen = app.screen
    name = type(screen).__name__
    focused = getattr(screen.focused, "id", None)
    ready = (UNTIL == "search" and name == "SearchScreen" and focused == "search") or (
        UNTIL == "login" and name == "LoginScreen" and focused == "password")
    if ready:
        print(f"READY {time.time() - T0:.4f}", flush=True)
        app.exit()

app.call_later(lambda: app.set_interval(0.002, check))
app.run(headless=True)
app.desk_ready.wait()
"""


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _p95_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def bare_import() -> list[float]:
    out = []
    for _ in range(RUNS):
        t0 = time.time()
        subprocess.run([PY, "-c", "import textual, sqlmodel"], check=True)
        out.append(time.time() - t0)
    return out


def app_start(url: str, until: str) -> list[float]:
    out = []
    env = {**os.environ, "TERM": "xterm-256color"}
    for _ in range(RUNS):
        t0 = time.time()
        done = subprocess.run(
            [PY, "-c", CHILD, repr(t0), url, until],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("READY")), None)
        if line is None:
            raise SystemExit(f"the app did not come up: {done.stderr[-2000:]}")
        out.append(float(line.split()[1]))
    return out


def startup(url: str) -> None:
    bare = bare_import()
    login = app_start(url, "login")
    search = app_start(url, "search")
    b = _median_ms(bare)
    print(f"database: {url}")
    print(f"bare `import textual, sqlmodel`     median {b:7.0f} ms  p95 {_p95_ms(bare):7.0f} ms")
    for label, samples in (("start -> login screen", login), ("start -> search screen", search)):
        m = _median_ms(samples)
        print(f"{label:34} median {m:7.0f} ms  p95 {_p95_ms(samples):7.0f} ms  ({m / b:.2f}x)")


async def keystrokes(url: str) -> None:
    from textual.widgets import Input

    from deskbook.desk import Desk
    from deskbook.tui.app import DeskApp
    from deskbook.tui.screens.search import SearchScreen

    shown: dict[str, float] = {}
    original = SearchScreen.show

    def timed_show(self: SearchScreen, patients: list[Any], query: str) -> None:
        original(self, patients, query)
        shown[query] = time.perf_counter()

    SearchScreen.show = timed_show  # type: ignore[method-assign]
    desk = Desk.open(url)
    session = desk.login("frontdesk", "frontdesk")
    app = DeskApp(desk, username="frontdesk", password="frontdesk")
    totals: list[float] = []
    queries: list[float] = []
    per_query: dict[str, list[float]] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        while getattr(app.screen.focused, "id", None) != "search":
            await pilot.pause(0.05)
        search = app.screen.query_one("#search", Input)
        for _ in range(ROUNDS):
            for q in QUERIES:
                search.value = q[:-1]
                search.action_end()  # the cursor after the text, as when typing
                await pilot.pause(SearchScreen.DEBOUNCE_SECONDS + 0.3)
                await app.workers.wait_for_complete()
                shown.pop(q, None)
                t0 = time.perf_counter()
                await pilot.press(q[-1])
                while q not in shown:
                    await asyncio.sleep(0.001)
                took = shown[q] - t0
                totals.append(took)
                per_query.setdefault(q, []).append(took)
                t1 = time.perf_counter()
                session.search_patients(q, limit=50)
                queries.append(time.perf_counter() - t1)
    desk.close()
    print(f"database: {url}  (debounce {SearchScreen.DEBOUNCE_SECONDS * 1000:.0f} ms)")
    print(
        f"keystroke -> results on screen  p50 {_median_ms(totals):6.1f} ms  "
        f"p95 {_p95_ms(totals):6.1f} ms  max {max(totals) * 1000:6.1f} ms  (n={len(totals)})"
    )
    print(
        f"of which the search itself      p50 {_median_ms(queries):6.1f} ms  "
        f"p95 {_p95_ms(queries):6.1f} ms"
    )
    for q, samples in per_query.items():
        print(f"  {q!r:14} p50 {_median_ms(samples):6.1f} ms  max {max(samples) * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["startup", "keystroke"])
    parser.add_argument("--db", action="append", default=[])
    args = parser.parse_args()
    urls = args.db or [f"sqlite:///{Path('/tmp/d.db')}"]
    for url in urls:
        if args.what == "startup":
            startup(url)
        else:
            asyncio.run(keystrokes(url))


if __name__ == "__main__":
    main()
