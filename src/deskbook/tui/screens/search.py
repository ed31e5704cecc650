"""Patient search: one input, results while typing, at most 50 rows.

Typing is debounced (a key after a pause searches at once, a burst of keys searches once when
it pauses) and the query runs in an exclusive thread worker, so a newer query supersedes an
older one and the keyboard never waits for the database. Up/down move through the results
without leaving the input; Enter opens the highlighted patient, or offers to register one when
nobody matches.
"""

from __future__ import annotations

from time import monotonic

from textual import work
from textual.app import ComposeResult
from textual.coordinate import Coordinate
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from deskbook.errors import DatabaseError, DeskError
from deskbook.results import PatientMatches, PatientSummary
from deskbook.tui.actions import bindings, display_of
from deskbook.tui.screens.base import DeskScreen
from deskbook.tui.screens.patient_form import desk_date
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader
from deskbook.tui.widgets.desk_table import DeskTable

SEARCH_LIMIT = 50
HINT = "Name (English or Arabic), phone, MRN or national id"
# Fixed widths: MRN, both names, phone and birth date fit 80 columns without scrolling.
COLUMNS = (("MRN", 10), ("Name", 20), ("الاسم", 16), ("Phone", 12), ("Born", 10))
NAME_WIDTH, NAME_AR_WIDTH = COLUMNS[1][1], COLUMNS[2][1]


class SearchScreen(DeskScreen[None]):
    SCOPE = "search"
    BINDINGS = bindings("search")
    DEBOUNCE_SECONDS = 0.06

    class Results(Message):
        """What a search found; near: nobody, and these are the near misses."""

        def __init__(self, query: str, found: PatientMatches, near: bool = False) -> None:
            super().__init__()
            self.query = query
            self.found = found
            self.near = near

    class SearchFailed(Message):
        def __init__(self, query: str, error: DeskError) -> None:
            super().__init__()
            self.query = query
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.patients: dict[str, PatientSummary] = {}
        self.shown_query = ""
        self.asked_query = ""
        self.open_when_ready = False
        self._timer: Timer | None = None
        self._last_search = 0.0
        self.search_waiting = False

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Input(placeholder=HINT, id="search", compact=True)
        yield Static(HINT, id="search-hint", classes="hint")
        table: DataTable[str] = DeskTable(id="results", cursor_type="row", zebra_stripes=True)
        for label, width in COLUMNS:
            table.add_column(self.app.paint(label), width=width)
        yield table
        yield DeskFooter()

    def on_mount(self) -> None:
        self.focus_search()

    def focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#results", DataTable)

    # -- typing and searching -------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.open_when_ready = False
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        # Leading and trailing edge: a key after a pause searches at once; keys that follow
        # each other quickly are gathered and searched once the typing pauses.
        if monotonic() - self._last_search >= self.DEBOUNCE_SECONDS:
            self._search_now()
            return
        self._timer = self.set_timer(self.DEBOUNCE_SECONDS, self._search_now)

    def _search_now(self) -> None:
        self._timer = None
        self._last_search = monotonic()
        query = self.query_one("#search", Input).value.strip()
        self.asked_query = query
        if not query:
            self.show(PatientMatches((), 0, more=False), "")
            return
        self.run_search(query)

    @work(thread=True, exclusive=True, exit_on_error=False, group="search")
    def run_search(self, query: str) -> None:
        worker = get_current_worker()
        try:
            found = self.session.find_patients(query, limit=SEARCH_LIMIT)
            # Nobody: who the caller may have meant (a digit off, a name spelled apart),
            # shown before the offer to register.
            near = () if found.patients else tuple(self.session.near_misses(query))
        except DeskError as exc:
            if not worker.is_cancelled:
                self.post_message(self.SearchFailed(query, exc))
            return
        if worker.is_cancelled:
            return
        if near:
            self.post_message(self.Results(query, PatientMatches(near, 0, more=False), near=True))
        else:
            self.post_message(self.Results(query, found))

    def on_search_screen_results(self, message: Results) -> None:
        message.stop()
        if message.query != self.asked_query:
            return  # an older answer overtaken by newer typing
        self.show(message.found, message.query, message.near)
        if self.open_when_ready:
            self.open_when_ready = False
            self.action_open()

    def on_search_screen_search_failed(self, message: SearchFailed) -> None:
        message.stop()
        self.open_when_ready = False
        if isinstance(message.error, DatabaseError):
            self.search_waiting = True
            if self.shown_query:
                # The rows below answer an older query: say so rather than let them pass.
                self.query_one("#search-hint", Static).update(
                    f"Still showing “{self.shown_query}” — searches again when the database is back"
                )
            self.app.lost_database()
            return
        self.notify(str(message.error), severity="error")

    def database_back(self) -> None:
        # Whatever is in the box now is searched, so results appear without retyping.
        super().database_back()
        if self.search_waiting:
            self.search_waiting = False
            self._search_now()

    def show(self, found: PatientMatches, query: str, near: bool = False) -> None:
        # Ranked by the Desk (exact identifier, exact name, name start, word start, fragment):
        # shown in its order, so Enter opens the exact match.
        patients = found.patients[:SEARCH_LIMIT]
        table = self.table
        table.clear()
        self.patients = {}
        self.shown_query = query
        for p in patients:
            key = str(p.id)
            self.patients[key] = p
            table.add_row(
                p.mrn,
                self.app.fit(p.name_en, NAME_WIDTH),
                self.app.fit(p.name_ar or "", NAME_AR_WIDTH),
                p.phone,
                desk_date(p.date_of_birth),
                key=key,
            )
        hint = self.query_one("#search-hint", Static)
        if not query:
            hint.update(HINT)
        elif not patients:
            register = display_of("search.register", "", self.app.keymap)
            hint.update(f"Nobody matches “{query}” — Enter (or {register}) registers a new patient")
        elif near:
            register = display_of("search.register", "", self.app.keymap)
            hint.update(f"No match for “{query}” — close ones below · {register} new patient")
        elif found.more or found.total > len(patients):
            total = f"More than {found.total:,}" if found.more else f"{found.total:,}"
            hint.update(f"{total} matches, first {len(patients)} — type more to narrow")
        else:
            found_text = "1 patient found" if len(patients) == 1 else f"{len(patients)} found"
            hint.update(f"{found_text} — ↑↓ choose, Enter opens")
        self.refresh_bindings()

    # -- actions --------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        query = event.value.strip()
        if self._timer is not None or query != self.shown_query:
            # Enter before the debounce fired: search now, open as soon as the answer is in.
            if self._timer is not None:
                self._timer.stop()
            self.open_when_ready = True
            self._search_now()
            return
        self.action_open()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.open_key(event.row_key.value)

    def action_open(self) -> None:
        table = self.table
        if table.row_count == 0:
            if self.shown_query:
                self.action_new_patient()
            return
        row_key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        self.open_key(row_key.value)

    def open_key(self, key: str | None) -> None:
        from deskbook.tui.screens.patient import PatientScreen

        patient = self.patients.get(key or "")
        if patient is not None:
            self.app.push_screen(PatientScreen(patient.id))

    def action_move(self, delta: int) -> None:
        table = self.table
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    def action_page(self, pages: int) -> None:
        table = self.table
        rows = max(1, table.scrollable_content_region.height - 1)
        self.action_move(pages * rows)

    def action_focus_search(self) -> None:
        self.focus_search()

    def action_clear(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "n" is a letter: in the input it types, so there ctrl+n registers instead; the footer
        # shows whichever of the two works where the cursor is.
        if action == "new_patient":
            return not isinstance(self.focused, Input)
        if action == "register":
            return isinstance(self.focused, Input)
        return True

    def action_register(self) -> None:
        self.action_new_patient()

    def action_new_patient(self) -> None:
        from deskbook.tui.screens.register import RegisterScreen

        self.app.push_screen(RegisterScreen(self.shown_query), self._registered)

    def _registered(self, patient: PatientSummary | None) -> None:
        from deskbook.tui.screens.patient import PatientScreen

        if patient is not None:
            self.app.push_screen(PatientScreen(patient.id))

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()
