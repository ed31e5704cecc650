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
    def render(self) -> RenderResult:
        session = getattr(self.app, "session", None)
        tz = tenant_tz(session.staff if session is not None else None)
        return Text(datetime.now(tz).strftime(self.time_format))


class DeskHeader(Header):
    def __init__(self) -> None:
        super().__init__(show_clock=True, time_format=CLOCK_FORMAT, icon="")

    def compose(self) -> ComposeResult:
        yield HeaderIcon().data_bind(Header.icon)
        yield HeaderTitle()
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

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)
