"""The header of every screen, with a clock in the clinic's time.

Textual's clock shows the machine's local time, which on a server is UTC; every time below the
header is the clinic's, so the clock must be too.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text
from textual.app import ComposeResult, RenderResult
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
