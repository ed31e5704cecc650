"""One patient: who they are, upcoming and past appointments, purchases with progress.

"b" starts the booking flow (deskbook.tui.screens.flow); when it ends the screen reloads, so what
is shown is what the database now holds. "v" voids a package assigned by mistake (nothing of it
used or booked), asked first.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, tzinfo
from functools import partial

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from deskbook.results import AppointmentView, PatientSummary, PurchaseView
from deskbook.statuses import OPEN_STATUSES, AppointmentKind, PurchaseStatus, Role
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import (
    DIALOG_WORKERS,
    DeskScreen,
    age,
    bilingual,
    mrn_label,
)
from deskbook.tui.screens.patient_form import header_lines
from deskbook.tui.screens.pickers import DangerConfirm, PickScreen
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader
from deskbook.tui.widgets.desk_table import DeskTable
from deskbook.tui.widgets.money import balance_text, money
from deskbook.tui.widgets.package_card import progress_text

MAX_ROWS = 50
PatientFile = tuple[PatientSummary, list[AppointmentView], tuple[PurchaseView, ...]]


def appointment_cells(a: AppointmentView, tz: tzinfo) -> tuple[str, ...]:
    session = ""
    if a.kind == AppointmentKind.PACKAGE and a.session_number:
        total = a.session_total
        session = f"{a.session_number}/{total}" if total else f"#{a.session_number}"
    elif a.kind == AppointmentKind.GROUP:
        session = "group"
    return (
        a.start.astimezone(tz).strftime("%d %b %Y %H:%M"),
        a.service_name_en,
        session,
        a.provider_name_en,
        a.status.replace("_", "-").lower(),
    )


def purchase_lines(p: PurchaseView, currency: str, width: int = 76) -> list[str]:
    """A purchase in a line, what is owed first ("unpaid SAR 3,200"), then its expiry warning.
    The progress bar gives way when the line would not fit."""
    state = f"{p.remaining} left, exp {p.expiry_date:%d %b %Y}" if p.usable else p.reason or ""
    owed = balance_text(p, currency)
    head = f"{p.name_en} · {owed}" if owed else p.name_en
    line = f"{head}  {progress_text(p, 10)}  {state}"
    if len(line) > width:
        line = f"{head}  {state}"
    return [line, f"  ⚠ {p.warning}"] if p.warning else [line]


class PatientScreen(DeskScreen[None]):
    SCOPE = "patient"
    BINDINGS = bindings("patient")

    def __init__(self, patient_id: uuid.UUID) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.patient: PatientSummary | None = None
        self.appointments: list[AppointmentView] = []
        self.purchases: tuple[PurchaseView, ...] = ()
        self.shown: dict[str, AppointmentView] = {}

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("Loading…", id="patient-line", classes="title", markup=False)
        yield Static("", id="patient-details", classes="hint", markup=False)
        yield Static("", id="patient-alerts", classes="error", markup=False)
        yield Static("Upcoming", classes="section")
        yield self._table("upcoming")
        yield Static("Past", classes="section")
        yield self._table("past")
        yield Static("", id="visit-notes", classes="hint", markup=False)
        yield Static("Packages", classes="section")
        with VerticalScroll(id="purchases"):
            yield Static("", id="purchases-text", markup=False)
        yield DeskFooter()

    @staticmethod
    def _table(name: str) -> DataTable[str]:
        table: DataTable[str] = DeskTable(id=name, cursor_type="row")
        columns = (("When", 17), ("Service", 19), ("#", 5), ("Provider", 15), ("Status", 9))
        for label, width in columns:
            table.add_column(label, width=width)
        return table

    def on_mount(self) -> None:
        self.query_one("#upcoming", DataTable).focus()
        self.reload()

    def reload(self) -> None:
        self.read("patient", partial(self._load, self.patient_id), self.show)

    def _load(self, patient_id: uuid.UUID) -> PatientFile:
        # One worker, three reads: the screen fills once, consistently.
        s = self.session
        return (
            s.get_patient(patient_id),
            s.appointments_of(patient_id),
            s.packages_for_patient(patient_id).assigned,
        )

    def show(self, patient_file: PatientFile) -> None:
        self.patient, self.appointments, self.purchases = patient_file
        p = self.patient
        years_text = str(p.age) if p.age is not None else age(p.date_of_birth, date.today())
        self.query_one("#patient-line", Static).update(
            f"{bilingual(p.name_en, p.name_ar, self.app.paint)}   {mrn_label(p.mrn)}   ☎ {p.phone}"
            + (f"   age {years_text}" if years_text else "")
        )
        for selector, line in zip(
            ("#patient-details", "#patient-alerts"), header_lines(p, self.app.paint), strict=True
        ):
            shown = self.query_one(selector, Static)
            shown.update(line)
            shown.display = bool(line)
        now = datetime.now(UTC)
        upcoming = [a for a in self.appointments if a.start >= now and a.status in OPEN_STATUSES]
        past = [a for a in self.appointments if a not in upcoming]
        past.reverse()
        self._fill("#upcoming", upcoming[:MAX_ROWS])
        self._fill("#past", past[:MAX_ROWS])
        lines = [line for pv in self.purchases for line in purchase_lines(pv, self.currency)]
        self.query_one("#purchases-text", Static).update(
            "\n".join(lines) or "No packages — b then p to assign one."
        )

    def _fill(self, selector: str, rows: list[AppointmentView]) -> None:
        table = self.query_one(selector, DataTable)
        table.clear()
        for a in rows:
            self.shown[str(a.id)] = a
            when, service, session, provider, status = appointment_cells(a, self.tz)
            # Names cut to their columns with …, as the display module paints them.
            service, provider = self.app.fit(service, 19), self.app.fit(provider, 15)
            table.add_row(when, service, session, provider, status, key=str(a.id))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The table has no room for notes: the visit under the cursor shows its own.
        visit = self.shown.get(str(event.row_key.value))
        notes = visit.notes if visit is not None else None
        self.query_one("#visit-notes", Static).update(f"Notes: {notes}" if notes else "")

    def action_book(self) -> None:
        if self.patient is not None:
            self.book(self.patient)

    @work(exclusive=True, group=DIALOG_WORKERS, exit_on_error=False)
    async def book(self, patient: PatientSummary) -> None:
        from deskbook.tui.screens.flow import BookingFlow

        booked = await BookingFlow(self, patient, self.appointments).run()
        if booked is not None:
            self.reload()

    def action_course(self) -> None:
        if self.patient is not None:
            self.course(self.patient)

    @work(exclusive=True, group=DIALOG_WORKERS, exit_on_error=False)
    async def course(self, patient: PatientSummary) -> None:
        from deskbook.tui.screens.course import book_course, pick_purchase

        purchase = await pick_purchase(self, self.purchases, "Course of which package?")
        booked = purchase and await book_course(self, patient, purchase, self.appointments)
        if booked:
            self.reload()

    def action_change_course(self) -> None:
        table = self.query_one("#upcoming", DataTable)
        if table.row_count == 0:
            self.notify("No upcoming visit: choose a visit of the course.", severity="warning")
            return
        key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        self.change_course(self.shown[str(key.value)])

    @work(exclusive=True, group=DIALOG_WORKERS, exit_on_error=False)
    async def change_course(self, visit: AppointmentView) -> None:
        from deskbook.tui.screens.course_change import change_course

        if await change_course(self, visit):
            self.reload()

    @property
    def currency(self) -> str:
        return self.session.staff.currency

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("package_admin", "merge"):
            return self.session.staff.role == Role.ADMIN
        return True

    def action_pay(self) -> None:
        self.pay()

    @work(exclusive=True, group=DIALOG_WORKERS, exit_on_error=False)
    async def pay(self) -> None:
        from deskbook.tui.screens.money import choose_purchase, take_payment

        owing = tuple(p for p in self.purchases if p.balance > 0) or self.purchases
        purchase = await choose_purchase(self, owing, "Payment for which package?")
        if purchase is not None and await take_payment(self, purchase) is not None:
            self.reload()

    def action_package_admin(self) -> None:
        self.package_admin()

    @work(exclusive=True, group=DIALOG_WORKERS, exit_on_error=False)
    async def package_admin(self) -> None:
        from deskbook.tui.screens.money import choose_purchase, package_admin

        purchase = await choose_purchase(self, self.purchases, "Which package?")
        if purchase is not None and await package_admin(self, purchase):
            self.reload()

    def action_cancel_appointment(self) -> None:
        from deskbook.tui.screens.visit_actions import VisitActions

        table = self.query_one("#upcoming", DataTable)
        if table.row_count == 0:
            self.notify("No upcoming appointment to cancel.", severity="warning")
            return
        key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        # The day sheet's and the board's cancel: the reason, a re-send that cancels once, then
        # whoever waits for the freed time.
        VisitActions(self, self.reload).cancel(self.shown[str(key.value)])

    def action_void_purchase(self) -> None:
        voidable = [
            p for p in self.purchases
            if p.status == PurchaseStatus.ACTIVE and p.used == 0 and p.scheduled == 0
        ]  # fmt: skip
        if not voidable:
            self.notify(
                "Only a package with nothing used or booked can be voided.", severity="warning"
            )
            return
        self.void(voidable)

    @work(exclusive=True, group=DIALOG_WORKERS, exit_on_error=False)
    async def void(self, voidable: list[PurchaseView]) -> None:
        purchase: PurchaseView | None = voidable[0]
        if len(voidable) > 1:
            labels = [(f"{p.name_en} · assigned {p.purchase_date}", p) for p in voidable]
            purchase = await self.app.push_screen_wait(PickScreen("Void which package?", labels))
        if purchase is None:
            return
        lines = [
            f"Patient   {self.patient.name_en if self.patient else ''}",
            f"Package   {purchase.name_en}",
            f"Price     {money(purchase.price_paid, self.session.staff.currency)}",
            f"Assigned  {purchase.purchase_date:%a %d %b %Y} · nothing used or booked",
            "The sale is taken back and kept in the audit log.",
        ]
        if await self.app.push_screen_wait(DangerConfirm("Void this package?", lines, "Void")):
            void = partial(self.session.void_purchase, purchase.id, "assigned by mistake")
            self.write("void", void, self.voided)

    def voided(self, purchase: PurchaseView) -> None:
        self.notify(f"{purchase.name_en} voided.")
        self.reload()

    def action_reschedule(self) -> None:
        from deskbook.tui.screens.visit_actions import VisitActions

        table = self.query_one("#upcoming", DataTable)
        if table.row_count == 0:
            self.notify("No upcoming appointment to move.", severity="warning")
            return
        key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        VisitActions(self, self.reload).reschedule(self.shown[str(key.value)])

    def action_waitlist(self) -> None:
        from deskbook.tui.screens.waitlist import add_to_waitlist

        if self.patient is not None:
            add_to_waitlist(self, self.patient)

    def action_edit(self) -> None:
        from deskbook.tui.screens.edit_patient import EditPatientScreen

        if self.patient is not None:
            self.app.push_screen(EditPatientScreen(self.patient), self.edited)

    def edited(self, patient: PatientSummary | None) -> None:
        # The record saved, or another one the user chose from the duplicates: that one takes
        # this screen's place, as this record may have just been merged into it and be gone.
        if patient is not None and patient.id != self.patient_id:
            self.app.switch_screen(PatientScreen(patient.id))
        elif patient is not None:
            self.reload()

    def action_merge(self) -> None:
        if self.patient is not None:
            self.merge(self.patient)

    @work(exclusive=True, group=DIALOG_WORKERS, exit_on_error=False)
    async def merge(self, keep: PatientSummary) -> None:
        from deskbook.tui.screens.merge import merge_into

        if await merge_into(self, keep):
            self.reload()

    def action_back(self) -> None:
        self.app.pop_screen()
