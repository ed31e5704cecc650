"""Change a booked course from a day on: cancel its remaining visits, or move them to new
weekdays and a new time (as many visits as there were). One coroutine per change, like the
booking flow; each write is confirmed first and is one transaction of the Desk."""

from __future__ import annotations

from datetime import date, time
from functools import partial

from deskbook.errors import DeskError
from deskbook.results import AppointmentView
from deskbook.results_course import SeriesView
from deskbook.statuses import OPEN_STATUSES
from deskbook.tui.screens.base import DeskScreen, day_label, tenant_tz
from deskbook.tui.screens.course import WEEKDAYS, weekday_code
from deskbook.tui.screens.forms import Field, FormDialog, write_now
from deskbook.tui.screens.pickers import ConfirmScreen, DangerConfirm, PickScreen

Host = DeskScreen[None]


async def change_course(host: Host, visit: AppointmentView) -> bool:
    """True once the course was changed."""
    if visit.series_id is None:
        host.app.notify("This visit is not part of a course; c books one.", severity="warning")
        return False
    try:
        series = await host.fetch(partial(host.session.get_series, visit.series_id))
        what = await host.app.push_screen_wait(
            PickScreen(
                f"Course of {visit.service_name_en}: {len(series.appointments)} visits booked",
                [
                    ("Cancel the remaining visits from a day", "cancel"),
                    ("Reschedule the remaining visits to new weekdays or time", "reschedule"),
                ],
            )
        )
        if what == "cancel":
            return await _cancel(host, series, visit)
        if what == "reschedule":
            return await _reschedule(host, series, visit)
    except DeskError as error:
        host.app.notify(str(error), severity="error", timeout=10)
    return False


def _from(series: SeriesView, day: date, host: Host) -> list[AppointmentView]:
    tz = tenant_tz(host.session.staff)
    return [
        a
        for a in series.appointments
        if a.status in OPEN_STATUSES and a.start.astimezone(tz).date() >= day
    ]


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


async def _cancel(host: Host, series: SeriesView, visit: AppointmentView) -> bool:
    app, tz = host.app, tenant_tz(host.session.staff)
    fields = [
        Field("day", "From day", visit.start.astimezone(tz).date().isoformat()),
        Field("reason", "Reason", placeholder="e.g. patient stops the therapy"),
    ]
    while True:
        values = await app.push_screen_wait(
            FormDialog("Cancel the course's remaining visits", "", fields)
        )
        if values is None:
            return False
        fields = [Field(f.id, f.label, values[f.id], f.placeholder) for f in fields]
        day = _day(values["day"])
        if day is None:
            app.notify("Give the day as YYYY-MM-DD.", severity="error")
            continue
        going = _from(series, day, host)
        lines = [
            f"{len(going)} visits of {visit.service_name_en} from {day_label(day)} are cancelled",
            f"Reason: {values['reason'] or '—'}",
        ]
        if not await app.push_screen_wait(DangerConfirm("Cancel these visits?", lines, "Cancel")):
            continue
        change = partial(host.session.cancel_series, series.id, values["reason"], day)
        try:
            await write_now(host, change)
        except DeskError as error:
            app.notify(str(error), severity="error", timeout=10)
            continue
        app.notify(f"{len(going)} visits of the course cancelled.")
        return True


async def _reschedule(host: Host, series: SeriesView, visit: AppointmentView) -> bool:
    app, tz = host.app, tenant_tz(host.session.staff)
    start = visit.start.astimezone(tz)
    days_now = {
        weekday_code(a.start.astimezone(tz).date()) for a in _from(series, start.date(), host)
    }
    fields = [
        Field("day", "From day", start.date().isoformat()),
        Field("weekdays", "Weekdays", " ".join(d for d in WEEKDAYS if d in days_now)),
        Field("at", "Time", f"{start:%H:%M}"),
    ]
    while True:
        values = await app.push_screen_wait(
            FormDialog("Reschedule the course", "Weekdays like: SUN TUE", fields)
        )
        if values is None:
            return False
        fields = [Field(f.id, f.label, values[f.id], f.placeholder) for f in fields]
        day = _day(values["day"])
        try:
            at = time.fromisoformat(values["at"])
        except ValueError:
            app.notify("Give the time as HH:MM.", severity="error")
            continue
        if day is None:
            app.notify("Give the day as YYYY-MM-DD.", severity="error")
            continue
        weekdays = values["weekdays"].replace(",", " ").split()
        moving = _from(series, day, host)
        lines = [
            f"{len(moving)} visits from {day_label(day)}",
            f"move to {' '.join(weekdays).upper()} at {at:%H:%M}",
        ]
        if not await app.push_screen_wait(ConfirmScreen("Reschedule the course?", lines)):
            continue
        change = partial(host.session.reschedule_series, series.id, weekdays, at, day)
        try:
            moved = await write_now(host, change)
        except DeskError as error:
            app.notify(str(error), severity="error", timeout=10)
            continue
        app.notify(f"Course rescheduled: {len(_from(moved, day, host))} visits from {day:%d %b}.")
        return True
