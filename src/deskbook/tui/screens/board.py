"""The board: one clinic's day as providers by time, the view a branch's desk lives in.

Opens on the staff member's home clinic and today. Enter on a free cell books there (who, then
which service if the provider gives several, then the usual confirmation); Enter on a visit opens
the patient; a/c/n/u/x/r act on the visit under the cursor exactly as on the day sheet.

The screen asks the Desk for a window of the clinic's providers, about two screenfuls wide, and
for the next one when the cursor goes past its edge: building a column costs about a
millisecond, and a busy clinic has two hundred of them.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import ComposeResult
from textual.widgets import Static

from deskbook.errors import DeskError
from deskbook.results import (
    AppointmentView,
    ClinicView,
    PatientSummary,
    ProviderView,
    PurchaseView,
    ServiceView,
)
from deskbook.results_day import Board
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import (
    DIALOG_WORKERS,
    DeskFailed,
    DeskScreen,
    day_label,
    hm,
    when,
)
from deskbook.tui.screens.finders import DateScreen, PatientFinder
from deskbook.tui.screens.live import LiveRefresh
from deskbook.tui.screens.pickers import ConfirmScreen, PickScreen
from deskbook.tui.screens.slots import Draft, confirm_facts, confirm_lines
from deskbook.tui.screens.visit_actions import Visit, VisitActions
from deskbook.tui.widgets.board_grid import FREE, GROUP, VISIT, BoardGrid, columns_that_fit
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader

if TYPE_CHECKING:
    from deskbook.desk import DeskSession

# The services that can start at the cell for this patient, the providers, the patient's
# packages, and why the time cannot be taken when no service can (the patient's other visit).
Preset = tuple[list[ServiceView], list[ProviderView], tuple[PurchaseView, ...], str | None]
# What the screen opens with: the tenant's change counter read first (live refresh starts
# from it), the clinics to switch between, the one shown, and its board.
Opening = tuple[int, list[ClinicView], ClinicView | None, Board | None]


MIN_WINDOW = 8  # providers per read at least: a few → presses before the next read
# How long F5 holds the screen's first frames back for its board (below); a read slower than
# this (a server under load, an outage and its banner) shows the empty board meanwhile.
HOLD_SECONDS = 0.3


def window_size(width: int) -> int:
    """Providers per read: two screenfuls, so → and ← mostly scroll what is already here."""
    return max(MIN_WINDOW, 2 * columns_that_fit(width))


def home_clinic(clinics: list[ClinicView], home: uuid.UUID | None) -> ClinicView | None:
    """The staff member's home clinic, else the first one."""
    return next((c for c in clinics if c.id == home), clinics[0] if clinics else None)


def read_opening(
    session: DeskSession, chosen: ClinicView | None, day: date, first: int, width: int
) -> Opening:
    """The tenant's change counter, the clinics and the first board, in one trip to a worker
    thread: read one after the other, each answer waited for its turn on the main thread while
    it drew the screen (about 40 ms of the first F5). The counter is read first, so a change
    made while the rest is read is seen at the live refresh's first poll."""
    token, _ = session.changes_since(None)
    clinics = session.clinics_for()
    clinic = chosen or home_clinic(clinics, session.staff.home_clinic_id)
    limit = window_size(width)
    board = None if clinic is None else session.board(day, clinic.id, first, limit)
    return token, clinics, clinic, board


def usable_purchase(
    purchases: tuple[PurchaseView, ...], service_id: uuid.UUID, day: date
) -> PurchaseView | None:
    """The patient's package that would pay for the service on that day, if any: the one that
    expires first, so sessions are not left to lapse."""
    fitting = [
        p
        for p in purchases
        if p.usable
        and p.expiry_date >= day
        and any(q.service_id == service_id and q.remaining > 0 for q in p.services)
    ]
    return min(fitting, key=lambda p: p.expiry_date, default=None)


class BoardScreen(DeskScreen[None]):
    SCOPE = "board"
    BINDINGS = bindings("board")

    def __init__(self, clinic: ClinicView | None = None, day: date | None = None) -> None:
        super().__init__()
        self.clinic = clinic
        self.day = day or date.today()
        self.clinics: list[ClinicView] = []
        self.board: Board | None = None
        self.first = 0  # the window's first provider, in the clinic's name order
        self.visits = VisitActions(self, self.load)
        self.live = LiveRefresh(self, self.load)
        self.painted = 0  # boards shown so far: the benchmark waits for the next one
        self.asked = 0  # boards asked for since the first: only the last one's answer shows
        self.held: ExitStack | None = None  # the frames held back for the first read
        # The first read is asked for here, as F5 makes the screen: it is most of what F5
        # waits for, and its thread starts only when the event loop next gets a turn, which
        # from compose was after the screen's widgets were mounted and laid out (30 ms).
        self.today = datetime.now(UTC).astimezone(self.tz).date()
        if self.day == date.today():
            self.day = self.today
        width = self.app.size.width  # a screen is as wide as the app
        read = partial(read_opening, self.session, self.clinic, self.day, self.first, width)
        self.read("board", read, self.opened)

    def compose(self) -> ComposeResult:
        # The frames of an empty board are held back until the first read comes: laid out
        # and drawn three times over while it was read, they took the main thread's share of
        # the interpreter from the read (which took three times as long), and showed a blank
        # board for a moment.
        self.held = ExitStack()
        self.held.enter_context(self.app.batch_update())
        self.set_timer(HOLD_SECONDS, self.release)
        yield DeskHeader()
        yield Static("Board", id="board-title", classes="title", markup=False)
        yield BoardGrid(id="board")
        yield Static("", id="board-hint", classes="hint", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(BoardGrid).focus()

    def on_unmount(self) -> None:
        if self.held is not None:
            self.held.close()

    def release(self) -> None:
        """Let the screen's frames be drawn: the board is in, or its read is slow or failed."""
        if self.held is None:
            return
        self.held.close()
        self.held = None
        # What was drawn while held was thrown away, and from a timer nothing else would
        # ask for the frame until the next message to the screen.
        self.refresh()

    def on_desk_failed(self, _message: DeskFailed) -> None:
        # The first read refused (a login that may not see the board) or stopped by an
        # outage: the screen shows at once, with its notification or the banner (DeskScreen
        # handles the message after this).
        self.release()

    def opened(self, opening: Opening) -> None:
        token, self.clinics, clinic, board = opening
        self.live.start(token)
        # Unless a key asked for another board before this one came (only a screen opened on
        # a clinic it was given can ask before its first read): that one shows.
        if not self.asked:
            self.clinic = clinic
            if board is None:
                self.query_one("#board-title", Static).update("Board · no clinic to show")
            elif board.day != self.day:
                self.load()  # [ or ] while an outage held the first read: the day asked for
            else:
                self.show(board)
        self.release()

    def load(self) -> None:
        if self.clinic is None:
            return
        limit = window_size(self.size.width)
        read = partial(self.session.board, self.day, self.clinic.id, self.first, limit)
        self.asked += 1
        self.read("board", read, partial(self.answered, self.asked))

    def answered(self, asked: int, board: Board) -> None:
        # An older read's answer, posted before a newer one was asked for (a live refresh
        # just before → past the edge, [ or ]), is not shown: it would put back the window,
        # day or clinic the key has just left, and the cursor with it.
        if asked == self.asked:
            self.show(board)

    def show(self, board: Board) -> None:
        if not board.columns and board.first and board.provider_count:
            # Another day with fewer providers than the window's start: its last window.
            self.first = max(0, board.provider_count - window_size(self.size.width))
            self.load()
            return
        grid = self.query_one(BoardGrid)
        first = self.board is None or self.board.day != board.day
        self.board = board
        self.first = board.first
        grid.show(board, self.tz, self.size.width)
        if first and board.day == self.today:
            grid.focus_time(datetime.now(UTC))
        visits, count = board.visit_count, board.provider_count
        shown = f"{count} providers"
        if len(board.columns) < count:
            shown = f"providers {board.first + 1}–{board.first + len(board.columns)} of {count}"
        self.query_one("#board-title", Static).update(
            f"{board.clinic_name_en} · {day_label(board.day)} · {shown}"
            f" · {visits} visit{'s' * (visits != 1)}"
        )
        self.query_one("#board-hint", Static).update(
            "Enter book/open · a c n u x r visit · [ ] day · t today · g date · k clinic"
            if board.columns
            # A day nobody works (a weekend, a holiday) must not read as an empty clinic.
            else f"Nobody works here on {day_label(board.day)} · ] next day · k another clinic"
        )
        self.painted += 1

    def on_resize(self, _event: events.Resize) -> None:
        if self.board is not None:
            self.query_one(BoardGrid).show(self.board, self.tz, self.size.width)

    def on_board_grid_past_edge(self, message: BoardGrid.PastEdge) -> None:
        """The next window of providers: the one asked for comes in beside the ones seen, at
        the right edge going right and the left edge going left."""
        message.stop()
        limit, fit = window_size(self.size.width), columns_that_fit(self.size.width)
        if message.provider >= self.first:
            self.first = max(0, message.provider - fit + 1)
        else:
            self.first = max(0, message.provider - limit + fit)
        self.load()

    # -- moving about ---------------------------------------------------------------------

    def action_day(self, delta: int) -> None:
        self.day += timedelta(days=delta)
        self.load()

    def action_today(self) -> None:
        self.day = self.today
        self.load()

    def action_go_to_date(self) -> None:
        def go(day: date | None) -> None:
            if day is not None:
                self.day = day
                self.load()

        self.app.push_screen(DateScreen(self.today), go)

    def action_switch_clinic(self) -> None:
        def switch(clinic: ClinicView | None) -> None:
            if clinic is not None:
                self.clinic = clinic
                self.board = None
                self.first = 0
                self.load()

        pick: PickScreen[ClinicView] = PickScreen(
            "Which clinic?", [(c.name_en, c) for c in self.clinics]
        )
        self.app.push_screen(pick, switch)

    # -- the cell under the cursor --------------------------------------------------------

    def action_open(self) -> None:
        grid = self.query_one(BoardGrid)
        cell, slot = grid.cell(), grid.slot()
        if cell is None or slot is None:
            return
        if cell.state == VISIT and cell.visit is not None:
            from deskbook.tui.screens.patient import PatientScreen

            self.app.push_screen(PatientScreen(cell.visit.patient_id))
        elif cell.state == FREE:
            self.book_here(*slot)
        elif cell.state == GROUP and cell.group is not None:
            g = cell.group
            self.notify(f"{g.service_name_en}: {g.taken} of {g.capacity} seats taken.")
        else:
            self.notify("The provider is not working then.", severity="warning")

    def action_status(self, change: str) -> None:
        visit = self._visit()
        if visit is not None:
            self.visits.status(visit, change)

    def action_undo_status(self) -> None:
        visit = self._visit()
        if visit is not None:
            self.visits.undo(visit)

    def action_cancel_appointment(self) -> None:
        visit = self._visit()
        if visit is not None:
            self.visits.cancel(visit)

    def action_reschedule(self) -> None:
        visit = self._visit()
        if visit is not None:
            self.visits.reschedule(visit)

    def _visit(self) -> Visit | None:
        cell = self.query_one(BoardGrid).cell()
        if cell is None or cell.visit is None:
            self.notify("No visit here.", severity="warning")
            return None
        return cell.visit

    # -- booking a free cell --------------------------------------------------------------

    @work(exclusive=True, group=DIALOG_WORKERS, exit_on_error=False)
    async def book_here(self, provider_id: uuid.UUID, start: datetime) -> None:
        clinic = self.clinic
        if clinic is None:
            return
        patient = await self.app.push_screen_wait(
            PatientFinder(f"Book at {when(start, self.tz)} — which patient?")
        )
        if patient is None:
            return
        try:
            services, providers, purchases, why = await self.fetch(
                partial(self._preset, clinic.id, provider_id, start, patient.id)
            )
        except DeskError as error:
            self.notify(str(error), severity="error")
            return
        provider = next((p for p in providers if p.id == provider_id), None)
        if why is not None and not services:
            # Said before any confirm, as the slot grid greys it (issue 10 #5).
            self.notify(f"{when(start, self.tz)} cannot be taken: {why}.", severity="warning")
            return
        if provider is None or not services:
            self.notify(
                f"No service fits at {hm(start, self.tz)} with this provider: the time to the"
                " next visit is too short, or the service's slots start at other times.",
                severity="warning",
            )
            return
        service: ServiceView | None = services[0]
        if len(services) > 1:
            service = await self.app.push_screen_wait(
                PickScreen("Which service?", [(s.name_en, s) for s in services])
            )
        if service is not None:
            await self._confirm_and_book(patient, service, clinic, provider, start, purchases)

    async def _confirm_and_book(
        self,
        patient: PatientSummary,
        service: ServiceView,
        clinic: ClinicView,
        provider: ProviderView,
        start: datetime,
        purchases: tuple[PurchaseView, ...],
    ) -> None:
        purchase = usable_purchase(purchases, service.id, start.astimezone(self.tz).date())
        draft = Draft(patient, service, clinic, provider, purchase)
        try:
            facts = await self.fetch(partial(confirm_facts, self.session, draft, start))
        except DeskError as error:
            self.notify(str(error), severity="error")
            return
        lines = confirm_lines(draft, provider, start, self.tz, facts)
        confirm = ConfirmScreen("Book this slot?", lines, notes=True)
        if not await self.app.push_screen_wait(confirm):
            return
        book = partial(
            self.session.book,
            patient.id,
            service.id,
            provider.id,
            start,
            purchase_id=purchase.id if purchase else None,
            notes=confirm.notes or None,
            request_id=uuid.uuid4(),  # one per confirm: a re-send after an outage books once
        )
        self.write("book", book, self.booked, resend=True)

    def _preset(
        self,
        clinic_id: uuid.UUID,
        provider_id: uuid.UUID,
        start: datetime,
        patient_id: uuid.UUID,
    ) -> Preset:
        # In a worker thread: the services this provider gives at the clinic (group sessions are
        # scheduled, not booked into a cell), and the patient's packages.
        s = self.session
        day = start.astimezone(self.tz).date()
        # Only a service that can start here: a free row may be too short for a long service
        # (the next visit begins before it would end), or off its slot grid; and free for this
        # patient too (the Desk's slot grid says why not).
        services: list[ServiceView] = []
        reasons: list[str] = []
        for v in s.services_for(clinic_id=clinic_id):
            if v.group_capable or not any(
                p.id == provider_id for p in s.providers_for(clinic_id, v.id)
            ):
                continue
            here = [g for g in s.slot_grid(provider_id, v.id, day, patient_id=patient_id)
                    if g.start == start]  # fmt: skip
            if any(g.free for g in here):
                services.append(v)
            reasons += [g.reason for g in here if g.reason]
        providers = s.providers_for(clinic_id)
        why = reasons[0] if reasons else None
        return services, providers, s.packages_for_patient(patient_id).assigned, why

    def booked(self, appointment: AppointmentView) -> None:
        self.notify(f"Booked {appointment.patient_name_en} {when(appointment.start, self.tz)}.")
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
