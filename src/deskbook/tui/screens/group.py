"""Join a group session: the day's group sessions with the seats left, day by day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from functools import partial

from textual.app import ComposeResult
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from deskbook.errors import DeskError, GroupFull, SlotTaken
from deskbook.results import AppointmentView, GroupSessionView, PatientSummary
from deskbook.results_day import WaitlistView
from deskbook.statuses import OPEN_STATUSES
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, day_label, hm, mrn_label, when
from deskbook.tui.screens.pickers import ConfirmScreen
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader
from deskbook.tui.widgets.desk_table import DeskTable

MAX_ROWS = 100


class GroupScreen(DeskScreen[AppointmentView | None]):
    SCOPE = "group"
    BINDINGS = bindings("group")

    def __init__(self, patient: PatientSummary) -> None:
        super().__init__()
        self.patient = patient
        self.day = date.today()
        self.today = self.day
        self.sessions: dict[str, GroupSessionView] = {}
        self.pending: GroupSessionView | None = None
        self.joined_ids: set[uuid.UUID] = set()
        # On opening, look ahead up to two weeks for the first day that has a group session.
        self.look_ahead = 14

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(f"Group sessions for {self.patient.name_en}", classes="title", markup=False)
        yield Static("", id="group-day")
        table: DataTable[str] = DeskTable(id="groups", cursor_type="row")
        table.add_columns("Time", "Service", "Provider", "Seats", "")
        yield table
        yield DeskFooter()

    def on_mount(self) -> None:
        self.today = datetime.now(UTC).astimezone(self.tz).date()
        self.day = self.today
        self.query_one(DataTable).focus()
        self.load()

    def load(self) -> None:
        self.query_one("#group-day", Static).update(f"{day_label(self.day)}  (←→ other days)")
        self.read("groups", partial(self._sessions_and_joined, self.day), self.show)

    def _sessions_and_joined(self, day: date) -> tuple[list[GroupSessionView], set[uuid.UUID]]:
        # In the worker thread: the day's groups, and which of them the patient is already in.
        s = self.session
        joined = {
            a.group_session_id
            for a in s.appointments_of(self.patient.id)
            if a.group_session_id is not None and a.status in OPEN_STATUSES
        }
        return s.group_sessions(day, full_too=True), joined

    def show(self, found: tuple[list[GroupSessionView], set[uuid.UUID]]) -> None:
        sessions, self.joined_ids = found
        table = self.query_one(DataTable)
        table.clear()
        self.sessions = {}
        for g in sessions[:MAX_ROWS]:
            key = str(g.id)
            self.sessions[key] = g
            table.add_row(
                f"{hm(g.start, self.tz)}–{hm(g.end, self.tz)}",
                g.service_name_en,
                g.provider_name_en,
                seats_text(g),
                "✓ joined" if g.id in self.joined_ids else "",
                key=key,
            )
        if not self.sessions and self.look_ahead > 0:
            self.look_ahead -= 1
            self.day += timedelta(days=1)
            self.load()
            return
        self.look_ahead = 0
        if not self.sessions:
            self.notify(f"No group session on {day_label(self.day)}.", timeout=3)

    def action_day(self, delta: int) -> None:
        self.look_ahead = 0
        new_day = self.day + timedelta(days=delta)
        if new_day >= self.today:
            self.day = new_day
            self.load()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_join()

    def action_join(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        g = self.sessions[str(key.value)]
        if g.id in self.joined_ids:
            self.notify(f"{self.patient.name_en} is already in this group.", severity="warning")
            return
        if g.seats_left <= 0:
            self.offer_waitlist(g)
            return
        self.pending = g
        lines = [
            f"Patient   {self.patient.name_en}  ({mrn_label(self.patient.mrn)})",
            f"Group     {g.service_name_en}",
            f"With      {g.provider_name_en}",
            f"When      {when(g.start, self.tz)}",
            f"Seats     {g.seats_left} left",
        ]
        self.app.push_screen(ConfirmScreen("Join this group session?", lines), self._confirmed)

    def _confirmed(self, yes: bool | None) -> None:
        g = self.pending
        if not yes or g is None:
            return
        join = partial(
            self.session.book,
            self.patient.id,
            g.service_id,
            g.provider_id,
            g.start,
            group_session_id=g.id,
            request_id=uuid.uuid4(),  # a re-send after an outage takes one seat
        )
        self.write("join", join, self.joined, self.not_joined, resend=True)

    def joined(self, appointment: AppointmentView) -> None:
        self.notify(f"Joined the group on {when(appointment.start, self.tz)}", timeout=8)
        self.dismiss(appointment)

    def not_joined(self, error: DeskError) -> None:
        self.notify(str(error), severity="error", timeout=8)
        if isinstance(error, GroupFull | SlotTaken):
            self.look_ahead = 0
            self.load()

    def offer_waitlist(self, g: GroupSessionView) -> None:
        """A full group: the patient may wait for a seat (a cancel offers it to them)."""
        lines = [
            f"{g.service_name_en} on {when(g.start, self.tz)} is full ({g.capacity} seats).",
            f"Put {self.patient.name_en} on its waitlist?",
        ]
        local_start, local_end = g.start.astimezone(self.tz), g.end.astimezone(self.tz)

        def add(yes: bool | None) -> None:
            if yes:
                wait = partial(
                    self.session.waitlist_add,
                    self.patient.id,
                    g.service_id,
                    clinic_id=g.clinic_id,
                    provider_id=g.provider_id,
                    earliest=local_start.time(),
                    latest=local_end.time(),
                    weekdays=[local_start.weekday()],
                )
                self.write("waitlist", wait, self.waiting)

        self.app.push_screen(ConfirmScreen("The group is full", lines), add)

    def waiting(self, entry: WaitlistView) -> None:
        self.notify(f"{entry.patient_name_en} is on the waitlist for {entry.service_name_en}.")

    def action_cancel(self) -> None:
        self.dismiss(None)


def seats_text(g: GroupSessionView) -> str:
    if g.seats_left <= 0:
        return f"full ({g.taken}/{g.capacity})"
    return f"{g.seats_left} of {g.capacity} left"
