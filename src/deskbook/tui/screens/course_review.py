"""The review of a planned course: one row per visit with its status, then book_series.

A free visit is booked as planned; a busy or off one is left out until the desk takes a
same-day alternative ("a") or another free time of that day ("t"); "s" leaves any visit out or
takes it back. Enter books what is chosen in one transaction. If another desk took a slot since
the plan, nothing is written: the plan is read again and the visit that was taken is marked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from deskbook.errors import DeskError, SeriesConflict
from deskbook.results_course import PlannedVisit, SeriesPlan, SeriesView
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, hm
from deskbook.tui.screens.course import CourseRequest
from deskbook.tui.screens.pickers import PickScreen
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader
from deskbook.tui.widgets.desk_table import DeskTable

STATUS_WORDS = {
    "FREE": "free",
    "PROVIDER_BUSY": "provider busy",
    "PATIENT_BUSY": "patient busy",
    "OFF": "provider off",
    "AFTER_EXPIRY": "after expiry",
    "PAST": "in the past",
}
Visit = tuple[uuid.UUID, datetime]  # provider, start: what book_series takes


@dataclass
class ReviewRow:
    planned: PlannedVisit
    chosen: Visit | None  # None: left out of the booking
    conflict: bool = False  # taken by another desk between the plan and the booking

    @property
    def as_planned(self) -> bool:
        return self.chosen == (self.planned.provider_id, self.planned.start)


def rows_of(plan: SeriesPlan) -> list[ReviewRow]:
    return [ReviewRow(o, (o.provider_id, o.start) if o.free else None) for o in plan.occurrences]


class CourseReview(DeskScreen[SeriesView | None]):
    SCOPE = "review"
    BINDINGS = bindings("review")

    def __init__(self, request: CourseRequest, plan: SeriesPlan) -> None:
        super().__init__()
        self.request = request
        self.plan = plan
        self.rows = rows_of(plan)
        self.booking = False

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(
            f"Course for {self.request.patient.name_en} · {self.request.purchase.name_en}",
            classes="title",
            markup=False,
        )
        yield Static(self.request.describe(), id="course-rule", classes="hint", markup=False)
        table: DataTable[str] = DeskTable(id="review", cursor_type="row")
        for label, width in (("#", 3), ("Day", 11), ("Time", 5), ("Provider", 18), ("Status", 28)):
            table.add_column(label, width=width)
        yield table
        yield Static("", id="review-summary", classes="title", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.refill()

    @property
    def names(self) -> dict[uuid.UUID, str]:
        return {p.id: p.name_en for p in self.plan.providers}

    def refill(self) -> None:
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for number, row in enumerate(self.rows, start=1):
            table.add_row(*self._cells(number, row), key=str(number))
        if self.rows:
            table.move_cursor(row=min(cursor, len(self.rows) - 1))
        self.query_one("#review-summary", Static).update(self.summary())

    def _cells(self, number: int, row: ReviewRow) -> tuple[str, ...]:
        provider_id, start = row.chosen or (row.planned.provider_id, row.planned.start)
        status = STATUS_WORDS.get(row.planned.status, row.planned.status)
        if row.chosen is None:
            if row.planned.free:
                status = "left out (s takes it back)"
            elif row.planned.alternatives:
                status += f" · {len(row.planned.alternatives)} alt (a)"
        elif not row.as_planned:
            status = "changed by the desk"
        if row.conflict:
            status = "⚠ taken meanwhile · " + status
        local = start.astimezone(self.tz)
        return (
            str(number),
            local.strftime("%a %d %b"),
            hm(start, self.tz),
            self.names.get(provider_id, "?"),
            status,
        )

    def chosen(self) -> list[Visit]:
        return [row.chosen for row in self.rows if row.chosen is not None]

    def summary(self) -> str:
        booked = len(self.chosen())
        out = len(self.rows) - booked
        return f"Enter books {booked} visit{'s' if booked != 1 else ''}" + (
            f" · {out} left out" if out else ""
        )

    def _current(self) -> ReviewRow | None:
        table = self.query_one(DataTable)
        return self.rows[table.cursor_row] if self.rows else None

    # -- changing a row -------------------------------------------------------------------

    def action_skip(self) -> None:
        row = self._current()
        if row is None:
            return
        if row.chosen is not None:
            row.chosen = None
        elif row.planned.free:
            row.chosen = (row.planned.provider_id, row.planned.start)
        else:
            self.notify(
                "This visit cannot be booked as planned: take an alternative (a) or another "
                "time (t).",
                severity="warning",
            )
            return
        self.refill()

    def action_alternative(self) -> None:
        row = self._current()
        if row is None:
            return
        alternatives = row.planned.alternatives
        if not alternatives:
            self.notify(
                "Nothing else is free that day with the service's providers; try another "
                "time (t) or leave it out (s).",
                severity="warning",
            )
            return
        options = [
            (
                f"{hm(a.start, self.tz)}  {self.names.get(a.provider_id, '?')}",
                (a.provider_id, a.start),
            )
            for a in alternatives
        ]
        if len(options) == 1:
            self.take(row, options[0][1])
            return
        self.app.push_screen(
            PickScreen("Take which alternative?", options), partial(self.take, row)
        )

    def action_change_time(self) -> None:
        row = self._current()
        if row is None:
            return
        provider_id = row.chosen[0] if row.chosen is not None else row.planned.provider_id
        day = row.planned.start.astimezone(self.tz).date()
        self.read(
            "times",
            partial(
                self.session.free_slots,
                provider_id,
                self.request.service.id,
                day,
                self.request.purchase.id,
            ),
            partial(self.pick_time, row, provider_id),
        )

    def pick_time(self, row: ReviewRow, provider_id: uuid.UUID, times: list[datetime]) -> None:
        if not times:
            self.notify(
                f"{self.names.get(provider_id, 'The provider')} has no free time that day.",
                severity="warning",
            )
            return
        options = [(hm(t, self.tz), (provider_id, t)) for t in times]
        self.app.push_screen(PickScreen("Which time that day?", options), partial(self.take, row))

    def take(self, row: ReviewRow, visit: Visit | None) -> None:
        if visit is not None:
            row.chosen = visit
            row.conflict = False
            self.refill()

    # -- booking --------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # The table takes Enter for itself: here it books, as the footer says.
        event.stop()
        self.action_book()

    def action_book(self) -> None:
        visits = self.chosen()
        if not visits:
            self.notify("No visit is chosen: nothing to book.", severity="warning")
            return
        if self.booking:
            return
        self.booking = True
        # The plan's rule says the course only when it is booked exactly as planned.
        planned = all(row.as_planned for row in self.rows)
        rule = self.plan.rule if planned else None
        self.write(
            "book_series",
            partial(
                self.session.book_series,
                self.request.purchase.id,
                self.request.service.id,
                visits,
                rule,
                request_id=uuid.uuid4(),  # a re-send after an outage books the course once
            ),
            self.booked,
            self.not_booked,
            resend=True,
        )

    def booked(self, series: SeriesView) -> None:
        self.booking = False
        count = len(series.appointments)
        self.notify(f"Booked {count} visit{'s' if count != 1 else ''} of the course.")
        self.dismiss(series)

    def not_booked(self, error: DeskError) -> None:
        self.booking = False
        self.notify(str(error), severity="error", timeout=10)
        if isinstance(error, SeriesConflict):
            self.read(
                "plan", partial(self.request.plan, self.session), partial(self.replanned, error)
            )

    def replanned(self, conflict: SeriesConflict, plan: SeriesPlan) -> None:
        """The plan as it now stands, the desk's choices kept where they still hold, and each
        visit another desk took since marked."""
        taken: Visit | None = (
            (conflict.provider_id, conflict.start)
            if conflict.provider_id is not None and conflict.start is not None
            else None
        )
        before = {row.planned.start: row for row in self.rows}
        self.plan = plan
        self.rows = rows_of(plan)
        for row in self.rows:
            old = before.get(row.planned.start)
            if old is None:
                continue
            row.conflict = old.chosen is not None and (
                old.chosen == taken or (old.as_planned and not row.planned.free)
            )
            if old.chosen is None and old.planned.free:
                row.chosen = None  # the desk left it out
            elif old.chosen is not None and not old.as_planned and old.chosen != taken:
                row.chosen = old.chosen  # an alternative or a time the desk took
        self.refill()
        marked = next((i for i, row in enumerate(self.rows) if row.conflict), None)
        if marked is not None:
            self.query_one(DataTable).move_cursor(row=marked)

    def action_cancel(self) -> None:
        self.dismiss(None)
