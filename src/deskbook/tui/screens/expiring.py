"""The desk's list of packages about to lapse with sessions left, for the staff's clinic
(every clinic when the staff has none): soonest first, the warning of the highlighted one
under the table, Enter opens the patient to book or call."""

from __future__ import annotations

from functools import partial

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from deskbook.results_course import ExpiringPurchase
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader
from deskbook.tui.widgets.desk_table import DeskTable

WITHIN_DAYS = 14


class ExpiringScreen(DeskScreen[None]):
    SCOPE = "expiring"
    BINDINGS = bindings("expiring")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ExpiringPurchase] = []

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static(
            f"Packages expiring within {WITHIN_DAYS} days with sessions left",
            classes="title",
        )
        table: DataTable[str] = DeskTable(id="expiring", cursor_type="row")
        for label, width in (
            ("Expires", 11),
            ("Days", 4),
            ("Left", 4),
            ("Patient", 18),
            ("Phone", 12),
            ("Package", 16),
        ):
            table.add_column(label, width=width)
        yield table
        yield Static("Loading…", id="expiring-warning", classes="hint", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        clinic = self.session.staff.home_clinic_id
        self.read(
            "expiring", partial(self.session.expiring_purchases, WITHIN_DAYS, clinic), self.show
        )

    def show(self, rows: list[ExpiringPurchase]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            table.add_row(
                r.expiry_date.strftime("%d %b %Y"),
                str(r.days_left),
                str(r.remaining),
                r.patient_name_en,
                r.patient_phone,
                r.package_name_en,
                key=str(r.purchase_id),
            )
        self._say(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._say(event.cursor_row)

    def _say(self, index: int) -> None:
        line = self.query_one("#expiring-warning", Static)
        if not self.rows:
            line.update("No package expires soon with sessions left.")
        elif 0 <= index < len(self.rows):
            r = self.rows[index]
            line.update(f"{r.patient_name_en} ({r.patient_mrn}): {r.warning}")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        from deskbook.tui.screens.patient import PatientScreen

        index = self.query_one(DataTable).cursor_row
        if 0 <= index < len(self.rows):
            self.app.push_screen(PatientScreen(self.rows[index].patient_id))

    def action_back(self) -> None:
        self.app.pop_screen()
