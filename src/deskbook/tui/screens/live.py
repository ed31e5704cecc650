"""Live refresh: a screen that shows the day asks the Desk about once a second whether anything
of the tenant changed (`changes_since`, one primary-key read in a thread worker) and reloads
when it did, so another desk's booking or cancel shows up without a key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deskbook.errors import DeskError
from deskbook.tui.screens.base import DeskScreen

POLL_SECONDS = 1.0


class LiveRefresh:
    def __init__(self, screen: DeskScreen[Any], reload: Callable[[], None]) -> None:
        self.screen = screen
        self.reload = reload
        self.token: int | None = None
        self.asking = False
        self.started = False

    def start(self, token: int | None = None) -> None:
        """Ask from now on. token: the tenant's change counter read before what the screen
        shows (so a change made since is seen at the first poll); without it, read now."""
        if self.started:
            return
        self.started = True
        self.screen.set_interval(POLL_SECONDS, self.poll, name="live-refresh")
        if token is None:
            self.poll()
        else:
            self.token = token

    def poll(self) -> None:
        # One question at a time: a slow server must not pile them up. A screen under a
        # dialog still asks, so it is current when the dialog closes.
        if self.asking or self.screen.app.session is None:
            return
        self.asking = True
        ask = self.screen.session.changes_since
        self.screen.read("live", lambda: ask(self.token), self.answered, self.not_answered)

    def answered(self, answer: tuple[int, bool]) -> None:
        self.asking = False
        token, changed = answer
        first, self.token = self.token is None, token
        if changed and not first:
            self.reload()

    def not_answered(self, _error: DeskError) -> None:
        self.asking = False
