"""The day sheet: a day's appointments by clinic and provider, and what happens to them —
arrived, completed, no-show, cancelled, moved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Input, Static

from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskModal, DeskScreen, day_label, hm

MAX_ROWS = 500
DONE = ("CANCELLED", "COMPLETED", "NO_SHOW")
VERBS = {"check_in": "arrived", "complete": "completed", "no_show": "marked no-show"}


def _text(obj: Any, *names: str) -> str:
    return next((str(getattr(obj, n)) for n in names if getattr(obj, n, None)), "")


class DaySheetScreen(DeskScreen):
    SCOPE = "day"
    BINDINGS = bindings("day")

    def __init__(self) -> None:
        super().__init__()
        self.day = date.today()
        self.rows: dict[str, Any] = {}

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
        self.call_desk("sheet", self.session.day_sheet, self.day)

    def loaded_sheet(self, appointments: Any) -> None:
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        self.rows = {}
        ordered = sorted(
            appointments,
            key=lambda a: (_text(a, "clinic_name"), _text(a, "provider_name"), a.start),
        )
        for a in ordered[:MAX_ROWS]:
            key = str(a.id)
            self.rows[key] = a
            what = _text(a, "service_name")
            if getattr(a, "session_number", None):
                what += f" {a.session_number}/{getattr(a, 'session_total', '') or '?'}"
            table.add_row(
                hm(a.start, self.tz),
                _text(a, "clinic_name"),
                _text(a, "provider_name"),
                _text(a, "patient_name"),
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

    def current(self) -> Any:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            self.notify("No appointment on this day.", severity="warning")
            return None
        key, _ = table.coordinate_to_cell_key((table.cursor_row, 0))
        return self.rows.get(str(key.value))

    def action_day(self, delta: int) -> None:
        self.day += timedelta(days=delta)
        self.load()

    def action_status(self, change: str) -> None:
        a = self.current()
        if a is not None:
            self.call_desk("status", getattr(self.session, change), a.id)
            self._verb = VERBS[change]

    def loaded_status(self, appointment: Any) -> None:
        self.notify(f"{_text(appointment, 'patient_name') or 'Appointment'} {self._verb}.")
        self.load()

    def action_cancel_appointment(self) -> None:
        a = self.current()
        if a is None:
            return

        def cancel(reason: str | None) -> None:
            if reason is not None:
                self.call_desk("cancel", self.session.cancel, a.id, reason)

        self.app.push_screen(ReasonScreen(), cancel)

    def loaded_cancel(self, _: Any) -> None:
        self.notify("Appointment cancelled.")
        self.load()

    def action_reschedule(self) -> None:
        a = self.current()
        if a is None or a.status in DONE:
            if a is not None:
                self.notify("Only a live appointment can be moved.", severity="warning")
            return
        self.call_desk("move", self._draft_for, a)

    def _draft_for(self, a: Any) -> Any:
        from deskbook.tui.screens.slots import Draft

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

    def loaded_move(self, draft: Any) -> None:
        from deskbook.tui.screens.slots import SlotScreen

        def moved(result: Any) -> None:
            if result is not None:
                self.load()

        self.app.push_screen(SlotScreen(draft), moved)

    def action_back(self) -> None:
        self.app.pop_screen()


class ReasonScreen(DeskModal):
    """Ask why an appointment is cancelled; the reason is kept with it."""

    SCOPE = "reason"
    BINDINGS = bindings("reason")

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-box", classes="dialog"):
            yield Static("Cancel the appointment?", classes="title")
            yield Input(placeholder="Reason (e.g. patient called)", id="reason")
            yield Static("Enter cancels it · Esc keeps it", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        self.dismiss(self.query_one(Input).value.strip() or "cancelled at the desk")

    def action_cancel(self) -> None:
        self.dismiss(None)
