"""Join a group session: the day's group sessions with the seats left, day by day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial

from textual.app import ComposeResult
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Footer, Header, Static

from deskbook.errors import DeskError, GroupFull, SlotTaken
from deskbook.results import AppointmentView, GroupSessionView, PatientSummary
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, day_label, hm, when
from deskbook.tui.screens.pickers import ConfirmScreen

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
        # On opening, look ahead up to two weeks for the first day that has a group session.
        self.look_ahead = 14

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True, time_format="%H:%M", icon="")
        yield Static(f"Group sessions for {self.patient.name_en}", classes="title", markup=False)
        yield Static("", id="group-day")
        table: DataTable[str] = DataTable(id="groups", cursor_type="row")
        table.add_columns("Time", "Service", "Provider", "Seats left")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.today = datetime.now(UTC).astimezone(self.tz).date()
        self.day = self.today
        self.query_one(DataTable).focus()
        self.load()

    def load(self) -> None:
        self.query_one("#group-day", Static).update(f"{day_label(self.day)}  (←→ other days)")
        self.read("groups", partial(self.session.group_sessions, self.day), self.show)

    def show(self, sessions: list[GroupSessionView]) -> None:
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
                str(g.seats_left) if g.seats_left else "full",
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
        if g.seats_left <= 0:
            self.notify("That group session is full.", severity="warning")
            return
        self.pending = g
        lines = [
            f"Patient   {self.patient.name_en}  (MRN {self.patient.mrn})",
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
        )
        self.write("join", join, self.joined, self.not_joined)

    def joined(self, appointment: AppointmentView) -> None:
        self.notify(f"Joined the group on {when(appointment.start, self.tz)}", timeout=8)
        self.dismiss(appointment)

    def not_joined(self, error: DeskError) -> None:
        self.notify(str(error), severity="error", timeout=8)
        if isinstance(error, GroupFull | SlotTaken):
            self.look_ahead = 0
            self.load()

    def action_cancel(self) -> None:
        self.dismiss(None)
