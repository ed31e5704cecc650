"""`deskbook serve` and the app as a child process, for the browser and ssh tests."""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Screen:
    """What a terminal was sent, as text without its escapes."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.text = ""
        self.last_output = time.monotonic()

    def feed(self, data: bytes | str) -> None:
        chunk = self._decoder.decode(data) if isinstance(data, bytes) else data
        painted = ANSI.sub("", chunk)
        self.text += painted
        # A blinking cursor or the header's clock is not an answer to a key.
        if len(painted.strip()) > 10:
            self.last_output = time.monotonic()

    def since(self, mark: int) -> str:
        return self.text[mark:]


def wait_for(check: object, limit_s: float, what: str) -> None:
    """Poll check() until it is true; a bounded wait for a behaviour, not a timing."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


@contextlib.contextmanager
def serving(db_url: str, *args: str, log: Path) -> Iterator[str]:
    """`deskbook serve` on a free loopback port; yields its base URL. Everything it started
    is ended at the end (its own process group)."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "deskbook", "serve", "--db", db_url, "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base) or proc.poll() is not None, 60, "deskbook serve")
        assert proc.poll() is None, log.read_text()
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # any desk process left behind


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def desk_processes(marker: str) -> dict[int, bytes]:
    """Command lines, by pid, of running `-m deskbook` processes whose environment or
    command line holds marker (a test's own temporary path), so parallel runs elsewhere
    are not counted. Read in one pass: a process may end between two reads of /proc."""
    found: dict[int, bytes] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"deskbook" in cmdline and marker.encode() in cmdline + environ:
            found[int(entry.name)] = cmdline
    return found
