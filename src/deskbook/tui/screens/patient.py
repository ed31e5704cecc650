"""One patient: who they are, upcoming and past appointments, purchases with progress.

"b" starts the booking flow (deskbook.tui.screens.flow); when it ends the screen reloads, so what
is shown is what the database now holds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from deskbook.errors import DeskError
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, age, bilingual
from deskbook.tui.widgets.package_card import progress_text

LIVE = ("BOOKED", "CONFIRMED", "ARRIVED")
MAX_ROWS = 50


def _text(obj: Any, *names: str) -> str:
    for name in names:
        value = getattr(obj, name, None)
        if value:
            return str(value)
    return ""


def appointment_cells(a: Any, tz: Any) -> tuple[str, ...]:
    session = ""
    if a.kind == "PACKAGE" and a.session_number:
        total = getattr(a, "session_total", None)
        session = f"{a.session_number}/{total}" if total else f"#{a.session_number}"
    elif a.kind == "GROUP":
        session = "group"
    return (
        a.start.astimezone(tz).strftime("%d %b %Y %H:%M"),
        _text(a, "service_name", "service_name_en"),
        session,
        _text(a, "provider_name", "provider_name_en"),
        a.status.replace("_", "-").lower(),
    )


class PatientScreen(DeskScreen):
    SCOPE = "patient"
    BINDINGS = bindings("patient")

    def __init__(self, patient_id: Any) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.patient: Any = None
        self.appointments: list[Any] = []
        self.purchases: list[Any] = []
        self.flow: Any = None
        self.shown: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True, time_format="%H:%M", icon="")
        yield Static("Loading…", id="patient-line", classes="title", markup=False)
        yield Static("Upcoming", classes="section")
        yield self._table("upcoming")
        yield Static("Past", classes="section")
        yield self._table("past")
        yield Static("Packages", classes="section")
        with VerticalScroll(id="purchases"):
            yield Static("", id="purchases-text", markup=False)
        yield Footer()

    @staticmethod
    def _table(name: str) -> DataTable[str]:
        table: DataTable[str] = DataTable(id=name, cursor_type="row")
        columns = (("When", 17), ("Service", 19), ("#", 5), ("Provider", 15), ("Status", 9))
        for label, width in columns:
            table.add_column(label, width=width)
        return table

    def on_mount(self) -> None:
        self.query_one("#upcoming", DataTable).focus()
        self.reload()

    def reload(self) -> None:
        self.call_desk("patient", self._load, self.patient_id)

    def _load(self, patient_id: Any) -> tuple[Any, list[Any], list[Any]]:
        # One worker, three reads: the screen fills once, consistently.
        s = self.session
        return (
            s.get_patient(patient_id),
            list(s.appointments_of(patient_id)),
            list(s.packages_for_patient(patient_id).assigned),
        )

    def loaded_patient(self, value: tuple[Any, list[Any], list[Any]]) -> None:
        self.patient, self.appointments, self.purchases = value
        p = self.patient
        born = getattr(p, "date_of_birth", None)
        years = getattr(p, "age", None)
        years_text = str(years) if years is not None else age(born, date.today())
        self.query_one("#patient-line", Static).update(
            f"{bilingual(p.name_en, p.name_ar)}   MRN {p.mrn}   ☎ {p.phone}"
            + (f"   age {years_text}" if years_text else "")
        )
        now = datetime.now(UTC)
        upcoming = [a for a in self.appointments if a.start >= now and a.status in LIVE]
        past = [a for a in self.appointments if a not in upcoming]
        past.reverse()
        self._fill("#upcoming", upcoming[:MAX_ROWS])
        self._fill("#past", past[:MAX_ROWS])
        lines = [
            f"{pv.name_en}  {progress_text(pv, 20)}  "
            + (f"{pv.remaining} left, expires {pv.expiry_date}" if pv.usable else pv.reason)
            for pv in self.purchases
        ]
        self.query_one("#purchases-text", Static).update(
            "\n".join(lines) or "No packages — b then p to assign one."
        )

    def _fill(self, selector: str, rows: list[Any]) -> None:
        table = self.query_one(selector, DataTable)
        table.clear()
        for a in rows:
            self.shown[str(a.id)] = a
            table.add_row(*appointment_cells(a, self.tz), key=str(a.id))

    def action_book(self) -> None:
        from deskbook.tui.screens.flow import BookingFlow

        if self.patient is not None:
            self.flow = BookingFlow(self, self.patient, self.appointments, self._booked)
            self.flow.start()

    def _booked(self, appointment: Any) -> None:
        self.flow = None
        if appointment is not None:
            self.reload()

    def loaded_flow(self, value: Any) -> None:
        if self.flow is not None:
            self.flow.loaded(value)

    def failed_flow(self, error: DeskError) -> None:
        if self.flow is not None:
            self.flow.failed(error)

    def action_cancel_appointment(self) -> None:
        from deskbook.tui.screens.daysheet import ReasonScreen

        table = self.query_one("#upcoming", DataTable)
        if table.row_count == 0:
            self.notify("No upcoming appointment to cancel.", severity="warning")
            return
        key, _ = table.coordinate_to_cell_key((table.cursor_row, 0))
        appointment = self.shown[str(key.value)]

        def cancel(reason: str | None) -> None:
            if reason is not None:
                self.call_desk("cancel", self.session.cancel, appointment.id, reason)

        self.app.push_screen(ReasonScreen(), cancel)

    def loaded_cancel(self, _: Any) -> None:
        self.notify("Appointment cancelled.")
        self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()
