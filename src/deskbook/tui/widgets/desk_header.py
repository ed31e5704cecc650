"""The header of every screen, with a clock in the clinic's time.

Textual's clock shows the machine's local time, which on a server is UTC; every time below the
header is the clinic's, so the clock must be too.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.events import Mount
from textual.widgets import Header
from textual.widgets._header import HeaderClock, HeaderIcon, HeaderTitle

from deskbook.config import DEFAULT_TIMEZONE
from deskbook.results import StaffView

CLOCK_FORMAT = "%H:%M"


def tenant_tz(staff: StaffView | None) -> tzinfo:
    try:
        return ZoneInfo((staff.timezone if staff else None) or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


class ClinicClock(HeaderClock):
    """Hours and minutes, repainted when the minute changes. Textual's clock repaints every
    second, and every screen of the stack has one: a clock ticking on a screen under another
    makes Textual repaint the whole screen on top (a full frame each second per screen below,
    25 KB a second to an ssh desk at 160x48, and CPU taken from the keys)."""

    shown = ""

    def _on_mount(self, event: Mount) -> None:
        event.prevent_default()  # instead of HeaderClock's refresh every second
        self.set_interval(1, self._tick, name="update header clock")

    def _tick(self) -> None:
        if self._now() != self.shown:
            self.refresh()

    def _now(self) -> str:
        session = getattr(self.app, "session", None)
        tz = tenant_tz(session.staff if session is not None else None)
        return datetime.now(tz).strftime(self.time_format)

    def render(self) -> RenderResult:
        self.shown = self._now()
        return Text(self.shown)


class DeskHeader(Header):
    def __init__(self) -> None:
        super().__init__(show_clock=True, time_format=CLOCK_FORMAT, icon="")

    def compose(self) -> ComposeResult:
        yield HeaderIcon().data_bind(Header.icon)
        # The title from the start: set by the watchers below, it took a layout of its own
        # after the screen's first (about 10 ms of every screen's opening).
        yield HeaderTitle(self.format_title())
        yield ClinicClock().data_bind(Header.time_format)

    def _on_mount(self, event: Mount) -> None:
        event.prevent_default()  # instead of Header's own, below

        # Textual's Header sets its title from the app's and the screen's (title, sub_title)
        # watchers, and lets a header whose title widget is already gone raise NoMatches: the
        # sign-in sets the app's title as it switches the login screen away, and when the
        # login's header was taken down first the app ended with that error (seen under load).
        async def set_title() -> None:
            with contextlib.suppress(NoScreen, NoMatches):
                self.query_one(HeaderTitle).update(self.format_title())

        for node in (self.app, self.screen):
            self.watch(node, "title", set_title, init=False)
            self.watch(node, "sub_title", set_title, init=False)
