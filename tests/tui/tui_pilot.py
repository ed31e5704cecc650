"""Driving the app in tests: wait for workers, read what is on screen, count keystrokes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from typing import Any

from rich.color import Color, ColorSystem
from rich.style import Style
from sqlalchemy import update
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Static
from textual.worker import Worker

from deskbook.db.engine import make_engine, write_session
from deskbook.db.models import (
    Provider,
    ProviderClinic,
    ProviderSchedule,
    ProviderService,
    Staff,
)
from deskbook.desk import Desk
from deskbook.results import AppointmentView
from deskbook.testing import tui_clinic
from deskbook.testing.clock import TZ
from deskbook.testing.tui_clinic import PASSWORD
from deskbook.tui.app import DeskApp
from deskbook.tui.screens.base import DIALOG_WORKERS
from deskbook.tui.widgets.package_card import CatalogCard, PurchaseCard

SIZE = (80, 24)
ADMIN_PASSWORD = "admin password"  # of the "boss" login the `admin` fixture adds


def make_app(desk: Any) -> DeskApp:
    return DeskApp(desk, username="frontdesk", password=PASSWORD)


async def settle(pilot: Pilot[Any]) -> None:
    """Let every worker finish and every message it posted be handled. A worker's answer
    may start another worker (a step that reads what the next one needs), hence the loop;
    it ends as soon as nothing is running — no fixed sleeps."""
    app = pilot.app
    for _ in range(20):
        await pilot.pause()
        working = _working(app)
        if working:  # an empty list would mean "every worker", the flow's as well
            await app.workers.wait_for_complete(working)
        await pilot.pause()
        if not _working(app) and not _timers_pending(app):
            return


async def step(pilot: Pilot[Any], *keys: str) -> None:
    """Press the keys one by one, each after the answer of what the one before started:
    a receptionist sees the screen before the next key, and a loaded machine must not
    make a test press Enter on a list still being read."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def _working(app: Any) -> list[Worker[Any]]:
    # The booking flow's worker waits on its dialogs for as long as they are open: not work.
    return [w for w in app.workers if w.is_running and w.group != DIALOG_WORKERS]


def _timers_pending(app: Any) -> bool:
    screen = app.screen
    return getattr(screen, "_timer", None) is not None


class Keys:
    """pilot.press that counts: the keystroke budget of the booking workflow is asserted."""

    def __init__(self, pilot: Pilot[Any]) -> None:
        self.pilot = pilot
        self.count = 0

    async def __call__(self, *keys: str) -> None:
        await step(self.pilot, *keys)
        self.count += len(keys)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)
    await settle(pilot)


def screen_name(app: Any) -> str:
    return type(app.screen).__name__


def texts(app: Any) -> str:
    """Everything the current screen shows as text, one piece a line."""
    out: list[str] = []
    for widget in app.screen.query("*"):
        if isinstance(widget, DataTable):
            for row in range(widget.row_count):
                out.append(" | ".join(str(c) for c in widget.get_row_at(row)))
        elif isinstance(widget, OptionList):
            for i in range(widget.option_count):
                out.append(str(widget.get_option_at_index(i).prompt))
        elif isinstance(widget, Input):
            out.append(widget.value)
        elif isinstance(widget, Static):
            out.append(str(widget.render()))
    return "\n".join(out)


def frames_sent(app: Any, monkeypatch: Any) -> list[str]:
    """From now on, the screen of each frame the terminal is sent (none while updates are
    held, as App._display does), in order."""
    sent: list[str] = []

    def display(screen: Any, update: Any) -> None:
        if update is not None and not app._batch_count:
            sent.append(type(screen).__name__)

    monkeypatch.setattr(app, "_display", display)
    return sent


def stop_the_clock(monkeypatch: Any, at: datetime) -> list[datetime]:
    """The header clocks read the time from the list returned (move it with `[0] += ...`): a
    minute changing during a test would draw a frame of its own."""
    from deskbook.tui.widgets import desk_header

    minute = [at]

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return minute[0] if tz is None else minute[0].astimezone(tz)

    monkeypatch.setattr(desk_header, "datetime", Clock)
    return minute


def notes(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


def purchase_cards(app: Any) -> list[PurchaseCard]:
    return list(app.screen.query(PurchaseCard))


def catalog_cards(app: Any) -> list[CatalogCard]:
    return list(app.screen.query(CatalogCard))


async def open_patient(pilot: Pilot[Any], query: str) -> None:
    """From the search screen: type the query and open the first match."""
    await type_text(pilot, query)
    await pilot.press("enter")
    await settle(pilot)
    assert screen_name(pilot.app) == "PatientScreen", texts(pilot.app)


@asynccontextmanager
async def at_patient(
    app: DeskApp, query: str, size: tuple[int, int] = SIZE
) -> AsyncIterator[Pilot[Any]]:
    """The app signed in and on the patient screen of the first match of the query."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await open_patient(pilot, query)
        yield pilot


def highlighted(app: Any) -> str:
    """The picker's highlighted option."""
    option = app.screen.query_one("#pick-list", OptionList).highlighted_option
    return str(option.prompt) if option is not None else ""


def tomorrow_at(hour: int, minute: int = 0, days: int = 1) -> datetime:
    """A clinic-local time `days` from today (tomorrow by default), in UTC."""
    day = datetime.now(TZ).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), TZ).astimezone(UTC)


def book_seeded(
    desk: Desk, clinic: tui_clinic.Seed, who: str, provider: str, start: datetime
) -> AppointmentView:
    """Another desk books the seeded patient `who` with `provider` (Lina gives ABA, the
    others speech therapy) at `start`."""
    ids = clinic.ids
    service = ids["aba_service"] if provider == "lina" else ids["slp_service"]
    session = desk.login("frontdesk", PASSWORD)
    return session.book(ids[who], service, ids[provider], start)


def add_providers(clinic: tui_clinic.Seed, count: int) -> list[uuid.UUID]:
    """`count` more speech therapists at the SLP clinic ("Therapist 0" ..), working 08:00-16:00
    every day: a clinic wider than the terminal."""
    engine = make_engine(clinic.url)
    ids, added = clinic.ids, []
    with write_session(engine) as s:
        for n in range(count):
            p = Provider(tenant_id=ids["tenant"], name_en=f"Therapist {n}")
            s.add(p)
            s.flush()
            added.append(p.id)
            s.add(ProviderClinic(provider_id=p.id, clinic_id=ids["slp"], tenant_id=ids["tenant"]))
            s.add(
                ProviderService(
                    provider_id=p.id, service_id=ids["slp_service"], tenant_id=ids["tenant"]
                )
            )
            for weekday in range(7):
                s.add(
                    ProviderSchedule(
                        tenant_id=ids["tenant"],
                        provider_id=p.id,
                        clinic_id=ids["slp"],
                        weekday=weekday,
                        start_time=time(8),
                        end_time=time(16),
                    )
                )
    engine.dispose()
    return added


def set_home(clinic: tui_clinic.Seed, name: str) -> None:
    """Give every login of the TUI clinic the named clinic as its home clinic."""
    engine = make_engine(clinic.url)
    with write_session(engine) as s:
        s.execute(update(Staff).values(home_clinic_id=clinic.ids[name]))
    engine.dispose()


# -- what a terminal shows: the styles of the screen, as a terminal of a colour system ----

Look = tuple[str, str, bool, bool]


def _look(style: Style | None, system: ColorSystem | None) -> Look:
    style = style or Style()

    def colour(color: Color | None) -> str:
        if color is None or color.is_default or system is None:
            return "default"
        return color.downgrade(system).name

    return (colour(style.color), colour(style.bgcolor), bool(style.reverse), bool(style.bold))


def cursor_stands_out(app: Any, table: DataTable[Any], system: ColorSystem | None) -> bool:
    """Whether the cell (or row) under a table's cursor looks unlike every other cell of its
    body, as a terminal of that colour system (None: NO_COLOR) would show them."""
    strips = app.screen._compositor.render_strips()
    region = table.region
    top = region.y + (table.header_height if table.show_header else 0)
    cursor_y = top + table.cursor_row - round(table.scroll_offset.y)
    x_range = (region.x, region.right)
    if table.cursor_type == "cell":
        widths = [c.get_render_width(table) for c in table.ordered_columns]
        # The row labels (the slot grid's times) come before the first column and stay put.
        labels = table._row_label_column_width
        left = region.x + labels + sum(widths[: table.cursor_column]) - round(table.scroll_offset.x)
        x_range = (left, left + widths[table.cursor_column])
    cursor: set[Look] = set()
    others: set[Look] = set()
    for y in range(top, min(region.bottom, top + table.row_count)):
        x = 0
        for segment in strips[y]:
            start, x = x, x + segment.cell_length
            if not segment.text.strip() or x <= region.x or start >= region.right:
                continue
            inside = y == cursor_y and start < x_range[1] and x > x_range[0]
            (cursor if inside else others).add(_look(segment.style, system))
    return bool(cursor) and not cursor & others


def unreadable(app: Any, system: ColorSystem | None) -> list[str]:
    """Text drawn in the colour of its own background (black on black), and with NO_COLOR
    (system None) any colour at all."""
    found = []
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            if not segment.text.strip() or segment.style is None:
                continue
            style = segment.style
            if system is None and any(
                c is not None and not c.is_default for c in (style.color, style.bgcolor)
            ):
                found.append(f"{segment.text!r} in colour {style}")
                continue
            fg, bg, _, _ = _look(style, system)
            if fg == bg != "default":
                found.append(f"{segment.text!r} as {style}")
    return found
