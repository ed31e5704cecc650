"""Which desk a session works from, for the audit trail's "who looked at whom".

Health data is sensitive under Saudi PDPL: every opening of a patient's record names the staff
member and the desk. A desk is named, in this order, by DESKBOOK_DESK (what `deskbook serve`
sets for each browser), by SSH_CONNECTION (the client's address, not the server's), or by this
machine's host name and the terminal the app runs in.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from deskbook.config import Settings

MAX_DESK = 128


def _terminal() -> str | None:
    for stream in (0, 1, 2):
        try:
            return os.ttyname(stream)
        except OSError:
            continue
    return None


def this_desk(environ: Mapping[str, str] | None = None) -> str:
    """A short, printable name for the desk this process serves."""
    env = os.environ if environ is None else environ
    named = Settings.from_env(env=env).desk.strip()
    if named:
        return tidy(named)
    ssh = env.get("SSH_CONNECTION", "").split()
    if ssh:
        return tidy(f"ssh from {ssh[0]} to {socket.gethostname()}")
    terminal = _terminal()
    host = socket.gethostname() or "this machine"
    return tidy(f"{host} {terminal}" if terminal else host)


def tidy(name: str) -> str:
    """One line of printable text that fits the audit column."""
    printable = "".join(ch if ch.isprintable() else " " for ch in name)
    return " ".join(printable.split())[:MAX_DESK] or "unknown desk"
