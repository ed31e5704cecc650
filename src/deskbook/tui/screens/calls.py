"""Confirmation calls: tomorrow's booked visits not yet confirmed, with the phone to ring.
"y" marks the one under the cursor CONFIRMED and takes it off the list."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from textual.app import ComposeResult
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from deskbook.results import AppointmentView, ClinicView
from deskbook.results_day import CallView
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, day_label, hm
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader
from deskbook.tui.widgets.desk_table import DeskTable


class CallsScreen(DeskScreen[None]):
    SCOPE = "calls"
    BINDINGS = bindings("calls")

    def __init__(self, day: date, clinic: ClinicView | None) -> None:
        super().__init__()
        self.day = day
        self.clinic = clinic
        self.calls: dict[str, CallView] = {}

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="calls-title", classes="title", markup=False)
        table: DataTable[str] = DeskTable(id="calls", cursor_type="row", zebra_stripes=True)
        for label, width in (("Time", 5), ("Patient", 22), ("Phone", 16), ("Provider", 18),
                             ("Service", 14)):  # fmt: skip
            table.add_column(label, width=width)
        yield table
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.load()

    def load(self) -> None:
        clinic_id = self.clinic.id if self.clinic else None
        self.read("calls", partial(self.session.to_call, self.day, clinic_id), self.show)

    def show(self, calls: list[CallView]) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        self.calls = {}
        for call in calls:
            a = call.appointment
            self.calls[str(a.id)] = call
            table.add_row(
                hm(a.start, self.tz),
                a.patient_name_en,
                call.phone,
                a.provider_name_en,
                a.service_name_en,
                key=str(a.id),
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        where = self.clinic.name_en if self.clinic else "all clinics"
        self.query_one("#calls-title", Static).update(
            f"To call · {day_label(self.day)} · {where} · {len(calls)} to confirm"
        )

    def current(self) -> CallView | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            self.notify("Nobody left to call.", severity="warning")
            return None
        key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        return self.calls.get(str(key.value))

    def action_confirm(self) -> None:
        call = self.current()
        if call is not None:
            confirm = partial(self.session.confirm, call.appointment.id)
            self.write("confirm", confirm, self.confirmed)

    def confirmed(self, appointment: AppointmentView) -> None:
        self.notify(f"{appointment.patient_name_en} confirmed.")
        self.load()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        from deskbook.tui.screens.patient import PatientScreen

        call = self.current()
        if call is not None:
            self.app.push_screen(PatientScreen(call.appointment.patient_id))

    def action_day(self, delta: int) -> None:
        self.day += timedelta(days=delta)
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
