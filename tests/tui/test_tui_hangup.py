"""When the terminal goes away (ssh dropped, tmux killed) the app leaves: no orphan process."""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


def _read_until(fd: int, needle: bytes, limit_s: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + limit_s
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def test_hangup_ends_the_app(sqlite_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    shutil.copyfile(sqlite_template, db)
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "deskbook", "--db", f"sqlite:///{db}", "--user", "frontdesk"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    try:
        screen = _read_until(master, b"Password", limit_s=60)
        assert b"Password" in screen, screen[-500:]
        proc.send_signal(signal.SIGHUP)
        # A bounded wait for a behaviour, not a timing assert: the process must end at all
        # (TimeoutExpired fails the test).
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
