"""The day sheet: a day's appointments by clinic and provider, and what happens to them —
arrived, completed, no-show, cancelled, moved."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial

from textual.app import ComposeResult
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Footer, Header, Static

from deskbook.results import AppointmentView
from deskbook.statuses import OPEN_STATUSES
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, day_label, hm
from deskbook.tui.screens.pickers import ReasonScreen
from deskbook.tui.screens.slots import Draft, SlotScreen

MAX_ROWS = 500


class DaySheetScreen(DeskScreen[None]):
    SCOPE = "day"
    BINDINGS = bindings("day")

    def __init__(self) -> None:
        super().__init__()
        self.day = date.today()
        self.rows: dict[str, AppointmentView] = {}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True, time_format="%H:%M", icon="")
        yield Static("", id="day-title", classes="title")
        table: DataTable[str] = DataTable(id="sheet", cursor_type="row", zebra_stripes=True)
        columns = (("Time", 5), ("Clinic", 11), ("Provider", 14), ("Patient", 16),
                   ("Service", 11), ("Status", 9))  # fmt: skip
        for label, width in columns:
            table.add_column(label, width=width)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.day = datetime.now(UTC).astimezone(self.tz).date()
        self.query_one(DataTable).focus()
        self.load()

    def load(self) -> None:
        self.query_one("#day-title", Static).update(f"Day sheet · {day_label(self.day)}")
        self.read("sheet", partial(self.session.day_sheet, self.day), self.show)

    def show(self, appointments: list[AppointmentView]) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        self.rows = {}
        ordered = sorted(
            appointments,
            key=lambda a: (a.clinic_name_en, a.provider_name_en, a.start),
        )
        for a in ordered[:MAX_ROWS]:
            key = str(a.id)
            self.rows[key] = a
            what = a.service_name_en
            if a.session_number:
                what += f" {a.session_number}/{a.session_total or '?'}"
            table.add_row(
                hm(a.start, self.tz),
                self.app.fit(a.clinic_name_en, 11),
                self.app.fit(a.provider_name_en, 14),
                self.app.fit(a.patient_name_en, 16),
                what,
                a.status.replace("_", "-").lower(),
                key=key,
            )
        if table.row_count:
            table.move_cursor(row=min(keep, table.row_count - 1))
        count = len(self.rows)
        title = f"Day sheet · {day_label(self.day)} · {count} appointment{'s' * (count != 1)}"
        if len(appointments) > MAX_ROWS:
            title += f" (first {MAX_ROWS})"
        self.query_one("#day-title", Static).update(title)

    def current(self) -> AppointmentView | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            self.notify("No appointment on this day.", severity="warning")
            return None
        key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        return self.rows.get(str(key.value))

    def action_day(self, delta: int) -> None:
        self.day += timedelta(days=delta)
        self.load()

    def action_status(self, change: str) -> None:
        a = self.current()
        if a is None:
            return
        s = self.session
        changes: dict[str, tuple[Callable[[uuid.UUID], AppointmentView], str]] = {
            "check_in": (s.check_in, "arrived"),
            "complete": (s.complete, "completed"),
            "no_show": (s.no_show, "marked no-show"),
        }
        mark, verb = changes[change]
        self.write("status", partial(mark, a.id), partial(self.marked, verb))

    def marked(self, verb: str, appointment: AppointmentView) -> None:
        self.notify(f"{appointment.patient_name_en or 'Appointment'} {verb}.")
        self.load()

    def action_cancel_appointment(self) -> None:
        a = self.current()
        if a is None:
            return

        def cancel(reason: str | None) -> None:
            if reason is not None:
                self.write("cancel", partial(self.session.cancel, a.id, reason), self.cancelled)

        self.app.push_screen(ReasonScreen(), cancel)

    def cancelled(self, _: AppointmentView) -> None:
        self.notify("Appointment cancelled.")
        self.load()

    def action_reschedule(self) -> None:
        a = self.current()
        if a is None or a.status not in OPEN_STATUSES:
            if a is not None:
                self.notify("Only a live appointment can be moved.", severity="warning")
            return
        self.read("move", partial(self._draft_for, a), self.move)

    def _draft_for(self, a: AppointmentView) -> Draft:
        # In the worker thread: every read the slot step needs, none on the main thread.
        s = self.session
        patient = s.get_patient(a.patient_id)
        service = next(v for v in s.services_for(clinic_id=a.clinic_id) if v.id == a.service_id)
        clinic = next(c for c in s.clinics_for(service_id=a.service_id) if c.id == a.clinic_id)
        provider = next(p for p in s.providers_for(a.clinic_id, a.service_id)
                        if p.id == a.provider_id)  # fmt: skip
        purchase = None
        if a.purchase_id is not None:
            assigned = s.packages_for_patient(a.patient_id).assigned
            purchase = next((p for p in assigned if p.id == a.purchase_id), None)
        return Draft(
            patient=patient,
            service=service,
            clinic=clinic,
            provider=provider,
            purchase=purchase,
            appointment=a,
            patient_appointments=[x for x in s.appointments_of(a.patient_id) if x.id != a.id],
        )

    def move(self, draft: Draft) -> None:
        def moved(result: AppointmentView | None) -> None:
            if result is not None:
                self.load()

        self.app.push_screen(SlotScreen(draft), moved)

    def action_back(self) -> None:
        self.app.pop_screen()
