"""The day sheet: a day's visits in time order, filtered to a clinic (the home clinic first), a
provider, a status or the next hour, and what happens to them — arrived, completed, no-show,
cancelled, moved (the rules are VisitActions', shared with the board).

Pages of PAGE rows are read on demand as the cursor nears the end of what is loaded, so a
network day of thousands of visits opens at once and scrolls without a pause; the title says
how many the filter has in all. The sheet follows other desks' changes (LiveRefresh), reloading
what is loaded and keeping the cursor on the same visit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import partial

from textual import events
from textual.app import ComposeResult
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Static

from deskbook.results import AppointmentView, ClinicView, ProviderView
from deskbook.results_day import DaySheetPage
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, day_label, hm
from deskbook.tui.screens.board import home_clinic
from deskbook.tui.screens.live import LiveRefresh
from deskbook.tui.screens.pickers import PickScreen
from deskbook.tui.screens.visit_actions import VisitActions
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader
from deskbook.tui.widgets.desk_table import DeskTable

PAGE = 100
MOST_PER_READ = 1000  # the Desk's largest page: a reload of more is read in several
NEAR_END = 20  # rows before the end of what is loaded at which the next page is read
# Status filters in the order "s" steps through them; None is every live visit.
STATUS_FILTERS: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("all", None),
    ("to come", ("BOOKED", "CONFIRMED")),
    ("arrived", ("ARRIVED",)),
    ("completed", ("COMPLETED",)),
    ("no-show", ("NO_SHOW",)),
    ("cancelled", ("CANCELLED",)),
)
# Fixed widths; the name columns share what the terminal has left, in these proportions.
FIXED = {"Time": 5, "MRN": 10, "Session": 7, "Status": 9}
SHARED = {"Clinic": 1, "Provider": 2, "Patient": 4, "Service": 2}
COLUMNS = ("Time", "Clinic", "Provider", "Patient", "MRN", "Service", "Session", "Status")


def column_widths(width: int) -> dict[str, int]:
    """Every column's width for a terminal `width` wide (two cells of padding each)."""
    spare = width - 2 * len(COLUMNS) - sum(FIXED.values()) - 2
    parts = sum(SHARED.values())
    shared = {name: max(6, spare * share // parts) for name, share in SHARED.items()}
    return {name: FIXED.get(name) or shared[name] for name in COLUMNS}


def row_cells(
    a: AppointmentView, tz: tzinfo, widths: dict[str, int], fit: Callable[[str, int], str]
) -> tuple[str, ...]:
    """A visit's cells; names cut to their column as the app paints them (Arabic too)."""
    session = f"{a.session_number}/{a.session_total or '?'}" if a.session_number else ""
    return (
        hm(a.start, tz),
        fit(a.clinic_name_en, widths["Clinic"]),
        fit(a.provider_name_en, widths["Provider"]),
        fit(a.patient_name_en, widths["Patient"]),
        a.patient_mrn,
        a.service_name_en,
        session,
        a.status.replace("_", "-").lower(),
    )


@dataclass
class Filters:
    clinic: ClinicView | None = None
    provider: ProviderView | None = None
    status: int = 0  # index into STATUS_FILTERS
    next_hour: bool = False
    find: str = ""

    def words(self) -> str:
        said = [self.clinic.name_en if self.clinic else "all clinics"]
        if self.provider:
            said.append(self.provider.name_en)
        if self.status:
            said.append(STATUS_FILTERS[self.status][0])
        if self.next_hour:
            said.append("next hour")
        if self.find:
            said.append(f"“{self.find}”")
        return " · ".join(said)


class DaySheetScreen(DeskScreen[None]):
    SCOPE = "day"
    BINDINGS = bindings("day")

    def __init__(self) -> None:
        super().__init__()
        self.day = date.today()
        self.filters = Filters()
        self.clinics: list[ClinicView] = []
        self.rows: dict[str, AppointmentView] = {}
        self.total = 0
        self.reading_more = False
        self.widths = column_widths(80)
        self.visits = VisitActions(self, self.reload)
        self.live = LiveRefresh(self, self.reload)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="day-title", classes="title", markup=False)
        yield Input(placeholder="Find a patient on the sheet: name or MRN", id="day-find")
        yield DeskTable(id="sheet", cursor_type="row", zebra_stripes=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.day = datetime.now(UTC).astimezone(self.tz).date()
        table = self.query_one(DataTable)
        self.widths = column_widths(self.app.size.width)
        for name in COLUMNS:
            table.add_column(name, width=self.widths[name], key=name)
        table.focus()
        self.read("clinics", self.session.clinics_for, self.got_clinics, lambda _e: self.load())
        self.live.start()

    def got_clinics(self, clinics: list[ClinicView]) -> None:
        self.clinics = clinics
        home = self.session.staff.home_clinic_id
        self.filters.clinic = home_clinic(clinics, home) if home else None
        self.load()

    def on_resize(self, _event: events.Resize) -> None:
        widths = column_widths(self.size.width)
        if widths == self.widths:
            return
        self.widths = widths
        table = self.query_one(DataTable)
        for key, column in table.columns.items():
            column.width = widths[str(key.value)]
        if self.rows:
            self.reload()  # the names are cut anew to the new widths

    # -- reading pages --------------------------------------------------------------------

    def _page(self, offset: int, limit: int, total: bool) -> DaySheetPage:
        f = self.filters
        start_from = start_until = None
        if f.next_hour:
            start_from = datetime.now(UTC)
            start_until = start_from + timedelta(hours=1)
        return self.session.day_sheet_page(
            self.day,
            clinic_id=f.clinic.id if f.clinic else None,
            provider_id=f.provider.id if f.provider else None,
            status=STATUS_FILTERS[f.status][1],
            offset=offset,
            limit=limit,
            total=total,
            find=f.find or None,
            start_from=start_from,
            start_until=start_until,
        )

    def _pages(self, limit: int) -> DaySheetPage:
        """The first `limit` rows, in reads the Desk allows (a sheet scrolled past its
        thousandth row is reloaded whole when another desk changes something)."""
        first = self._page(0, min(limit, MOST_PER_READ), True)
        rows = list(first.rows)
        while len(rows) < min(limit, first.total):
            more = self._page(len(rows), min(limit - len(rows), MOST_PER_READ), False)
            if not more.rows:
                break
            rows += more.rows
        return DaySheetPage(rows=tuple(rows), total=first.total, offset=0, limit=limit)

    def load(self) -> None:
        """From the top: the first page and the count."""
        self.reading_more = False
        self.read("sheet", partial(self._page, 0, PAGE, True), self.show)

    def reload(self) -> None:
        """Again what is loaded (another desk changed something): the cursor stays put."""
        limit = max(PAGE, len(self.rows))
        self.reading_more = False
        self.read("sheet", partial(self._pages, limit), self.show)

    def show(self, page: DaySheetPage) -> None:
        table = self.query_one(DataTable)
        keep = self.current_key()
        table.clear()
        self.rows = {}
        self.total = page.total
        self._append(page)
        if keep in self.rows:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        self._title()

    def _append(self, page: DaySheetPage) -> None:
        table = self.query_one(DataTable)
        for a in page.rows:
            key = str(a.id)
            if key not in self.rows:
                self.rows[key] = a
                table.add_row(*row_cells(a, self.tz, self.widths, self.app.fit), key=key)

    def more(self, page: DaySheetPage) -> None:
        self.reading_more = False
        self._append(page)
        self._title()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        loaded = len(self.rows)
        if not self.reading_more and loaded < self.total and event.cursor_row >= loaded - NEAR_END:
            self.reading_more = True
            self.read("more", partial(self._page, loaded, PAGE, False), self.more)

    def _title(self) -> None:
        shown, total = len(self.rows), self.total
        count = f"{total} visit{'s' * (total != 1)}"
        if shown < total:
            count += f" ({shown} loaded)"
        self.query_one("#day-title", Static).update(
            f"Day sheet · {day_label(self.day)} · {self.filters.words()} · {count}"
        )

    # -- the row under the cursor ---------------------------------------------------------

    def current_key(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        return str(key.value)

    def current(self) -> AppointmentView | None:
        key = self.current_key()
        if key is None:
            self.notify("No appointment on this day.", severity="warning")
            return None
        return self.rows.get(key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        from deskbook.tui.screens.patient import PatientScreen

        a = self.current()
        if a is not None:
            self.app.push_screen(PatientScreen(a.patient_id))

    def action_status(self, change: str) -> None:
        a = self.current()
        if a is not None:
            self.visits.status(a, change)

    def action_undo_status(self) -> None:
        a = self.current()
        if a is not None:
            self.visits.undo(a)

    def action_cancel_appointment(self) -> None:
        a = self.current()
        if a is not None:
            self.visits.cancel(a)

    def action_reschedule(self) -> None:
        a = self.current()
        if a is not None:
            self.visits.reschedule(a)

    # -- day and filters ------------------------------------------------------------------

    def action_day(self, delta: int) -> None:
        self.day += timedelta(days=delta)
        self.load()

    def action_switch_clinic(self) -> None:
        def switch(choice: ClinicView | AllClinics | None) -> None:
            if choice is None:
                return
            self.filters.clinic = choice if isinstance(choice, ClinicView) else None
            self.filters.provider = None
            self.load()

        pick: PickScreen[ClinicView | AllClinics] = PickScreen(
            "Which clinic?",
            [(c.name_en, c) for c in self.clinics],
            top=("» All clinics", ALL_CLINICS),
        )
        self.app.push_screen(pick, switch)

    def action_pick_provider(self) -> None:
        clinic = self.filters.clinic
        if clinic is None:
            self.notify("Choose a clinic first (k).", severity="warning")
            return
        self.read("providers", partial(self.session.providers_for, clinic.id), self._providers)

    def _providers(self, providers: list[ProviderView]) -> None:
        def pick(choice: ProviderView | AllClinics | None) -> None:
            if choice is not None:
                self.filters.provider = choice if isinstance(choice, ProviderView) else None
                self.load()

        screen: PickScreen[ProviderView | AllClinics] = PickScreen(
            "Which provider?",
            [(p.name_en, p) for p in providers],
            top=("» Every provider", ALL_CLINICS),
        )
        self.app.push_screen(screen, pick)

    def action_next_status(self) -> None:
        self.filters.status = (self.filters.status + 1) % len(STATUS_FILTERS)
        self.load()

    def action_next_hour(self) -> None:
        self.filters.next_hour = not self.filters.next_hour
        self.load()

    def action_find(self) -> None:
        self.query_one("#day-find", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filters.find = event.value.strip()
        self.load()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()

    def action_export(self) -> None:
        from deskbook.tui.screens.export import ExportScreen

        clinic = self.filters.clinic
        if clinic is None:
            self.notify("Choose a clinic to export (k).", severity="warning")
            return
        self.app.push_screen(ExportScreen(self.day, clinic))

    def action_calls(self) -> None:
        from deskbook.tui.screens.calls import CallsScreen

        self.app.push_screen(CallsScreen(self.day + timedelta(days=1), self.filters.clinic))

    def action_back(self) -> None:
        if self.focused is self.query_one("#day-find", Input):
            self.query_one(DataTable).focus()
            return
        self.app.pop_screen()


class AllClinics:
    """The picker's top row: no clinic (or provider) filter."""


ALL_CLINICS = AllClinics()
