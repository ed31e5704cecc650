"""The board from key to painted in a real terminal (not a test; figures go to docs/benchmarks.md).

    python bench/board_terminal_bench.py --url URL [--rounds 10] [--size 80x24] [--day 2026-11-23]

`deskbook` runs as a receptionist runs it, in a pseudo-terminal, signed in as the demo's
frontdesk. The clock starts when the key's bytes are written to the terminal and stops when
the last frame the key caused has been written back: what a receptionist waits for,
including the rendering of the frame to terminal bytes that a headless run skips and without
the wait for an idle process that Textual's Pilot adds to every step.

Timed: the first F5 after sign-in (the board's module not yet imported, as at a desk), then
Esc and F5 again `--rounds` times, then `]` and `[` in turn. --day opens the board on that day
as if it were today (the demo's busiest day rather than a Friday nobody works).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from datetime import date, timedelta

from board_screen_bench import arguments, report

KEYS = {"f5": b"\x1b[15~", "esc": b"\x1b", "]": b"]", "[": b"["}
# Written by the board screen only once a board is in its grid (the hint under it).
PAINTED = b"Enter book/open"
QUIET = 0.3  # seconds without output: the frames a key caused are all written
SEARCH = b"(English or Arabic)"  # the search box's placeholder (its cursor may split "Name")

CHILD = """
import sys
from datetime import date

day = date.fromisoformat(sys.argv[1]) if sys.argv[1] else None
if day is not None:
    sys.path.insert(0, sys.argv[3])
    from board_screen_bench import opens_on

    opens_on(day)
from deskbook.cli import app

sys.argv = ["deskbook", "--db", sys.argv[2], "--user", "frontdesk"]
app()
"""


class Terminal:
    """deskbook in a pseudo-terminal: keys in, the bytes it writes back out."""

    def __init__(self, url: str, size: tuple[int, int], day: date | None) -> None:
        width, height = size
        pid, fd = pty.fork()
        if pid == 0:
            # The terminal's size before the app starts: it reads it once, as it starts.
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
            os.environ["TERM"] = "xterm-256color"
            here = os.path.dirname(os.path.abspath(__file__))
            os.execv(sys.executable, [sys.executable, "-c", CHILD, str(day or ""), url, here])
        self.pid, self.fd = pid, fd
        self.seen = b""

    def read_until(self, wanted: bytes, limit: float = 20.0) -> float:
        """Read until `wanted` has been written since the last call; the moment it came."""
        start = time.perf_counter()
        while wanted not in self.seen:
            if time.perf_counter() - start > limit:
                raise TimeoutError(f"{wanted!r} did not come; last written: {self.seen[-600:]!r}")
            ready, _, _ = select.select([self.fd], [], [], 0.5)
            if ready:
                self.seen += os.read(self.fd, 1 << 16)
        arrived = time.perf_counter()
        self.seen = b""
        return arrived

    def settle(self, quiet: float = 0.5, limit: float = 5.0) -> None:
        """Read until the app has written nothing for `quiet` seconds (or `limit` passed: the
        search box's cursor blinks twice a second, so the search screen is never quiet)."""
        start = time.perf_counter()
        while select.select([self.fd], [], [], quiet)[0]:
            os.read(self.fd, 1 << 16)
            if time.perf_counter() - start > limit:
                break
        self.seen = b""

    def press(self, key: str, wanted: bytes) -> float:
        """Milliseconds from the key written to the last byte of the frames it caused: from
        `wanted` written back on, until the app has written nothing for QUIET seconds (a
        board's first frame may be followed by another, the cursor scrolled into view)."""
        self.settle()
        start = time.perf_counter()
        os.write(self.fd, KEYS.get(key, key.encode()))
        last = self.read_until(wanted)
        while select.select([self.fd], [], [], QUIET)[0]:
            os.read(self.fd, 1 << 16)
            last = time.perf_counter()
        return (last - start) * 1000

    def close(self) -> None:
        os.kill(self.pid, signal.SIGTERM)
        for _ in range(50):
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                return
            time.sleep(0.1)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def main() -> None:
    args, (width, height) = arguments(__doc__, rounds=10, size="80x24")
    terminal = Terminal(args.url, (width, height), args.day)
    try:
        terminal.read_until(b"Password")
        os.write(terminal.fd, b"frontdesk\r")
        terminal.read_until(SEARCH)
        time.sleep(3)  # a receptionist's first seconds: the day's screens load meanwhile
        print(f"{args.size}: first F5 to painted {terminal.press('f5', PAINTED):.1f} ms")
        walls = []
        for _ in range(args.rounds):
            terminal.press("esc", SEARCH)
            walls.append(terminal.press("f5", PAINTED))
        report("F5 again to painted", walls)
        day = args.day or date.today()
        walls = []
        for n in range(args.rounds):
            key = "]" if n % 2 == 0 else "["
            shown = day + timedelta(days=1 if key == "]" else 0)
            walls.append(terminal.press(key, shown.strftime("%a %d %b").encode()))
        report("] / [ to painted", walls)
    finally:
        terminal.close()


if __name__ == "__main__":
    main()
