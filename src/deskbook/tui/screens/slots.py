"""Pick a free slot, confirm, book (or reschedule).

The grid shows a few days of one provider's times (Desk.slot_grid): free ones, and greyed the
ones this patient cannot take, with the Desk's reason; with "first available" the screen first
asks the Desk for the earliest slot across the clinic and opens on it. For a package no day
after its expiry is offered. The confirm's "Session N of M" is the Desk's
(next_session_number), never counted here; a single paid session for a patient who holds a
usable package for the service is warned about, not refused. The database has the last word: if
another desk took the slot meanwhile, the booking is refused with SlotTaken, the grid reloads
and the user picks again right here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Static

from deskbook.errors import DeskError, SlotTaken
from deskbook.results import (
    AppointmentView,
    ClinicView,
    PatientSummary,
    ProviderView,
    PurchaseView,
    ServiceView,
    SessionPreview,
    SlotView,
)
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, mrn_label, when
from deskbook.tui.screens.pickers import ConfirmScreen
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader
from deskbook.tui.widgets.slot_grid import GRID_KEYS, SlotGrid

if TYPE_CHECKING:
    from deskbook.desk import DeskSession

DAYS_SHOWN = 5
LOOK_AHEAD_DAYS = 92  # how far "n" looks for the next free slot
Slots = tuple[list[date], dict[date, list[SlotView]]]
# What the confirm says beyond the choice: the Desk's session number, the packages to warn of.
ConfirmFacts = tuple[SessionPreview | None, list[PurchaseView]]


@dataclass
class Draft:
    """What the slot step books: chosen by the booking flow, or the appointment being moved."""

    patient: PatientSummary
    service: ServiceView
    clinic: ClinicView
    provider: ProviderView | None = None  # None: first available across the clinic
    purchase: PurchaseView | None = None
    appointment: AppointmentView | None = None  # set when rescheduling
    patient_appointments: list[AppointmentView] = field(default_factory=list)

    @property
    def last_day(self) -> date | None:
        return self.purchase.expiry_date if self.purchase is not None else None


def confirm_facts(session: DeskSession, draft: Draft, slot: datetime) -> ConfirmFacts:
    """In a worker thread: what the confirm tells beyond the choice, from the Desk: the session
    number the visit will get (never counted in a screen), and for a single paid session the
    patient's usable packages for the service (warned of, not refused)."""
    d = draft
    preview = None
    if d.purchase is not None and d.appointment is None:
        preview = session.next_session_number(d.purchase.id, d.service.id, slot)
    holding: list[PurchaseView] = []
    if d.purchase is None and d.appointment is None:
        holding = session.usable_purchases_for(d.patient.id, d.service.id)
    return preview, holding


def confirm_lines(
    draft: Draft, provider: ProviderView, slot: datetime, tz: tzinfo, facts: ConfirmFacts
) -> list[str]:
    """What the confirmation shows before a booking is written, wherever it was started."""
    d = draft
    preview, holding = facts
    lines = [
        f"Patient   {d.patient.name_en}  ({mrn_label(d.patient.mrn)})",
        f"Service   {d.service.name_en}",
        f"With      {provider.name_en} at {d.clinic.name_en}",
        f"When      {when(slot, tz)}",
    ]
    if d.appointment is not None:
        lines[-1] = f"Move      {when(d.appointment.start, tz)} → {when(slot, tz)}"
    if d.purchase is not None:
        lines.append(f"Package   {d.purchase.name_en}")
    if preview is not None:
        lines.append(f"          Session {preview.number} of {preview.total}")
    for purchase in holding[:2]:
        # A warning, not a refusal: the patient may want to pay this one apart.
        lines.append(
            f"⚠ Holds {purchase.name_en} ({purchase.remaining} left) for this service: "
            "this visit is paid apart (Esc, then b p uses the package)."
        )
    return lines


class SlotScreen(DeskScreen[AppointmentView | None]):
    SCOPE = "slots"
    BINDINGS = bindings("slots", but=GRID_KEYS)

    def __init__(self, draft: Draft) -> None:
        super().__init__()
        self.draft = draft
        self.today = date.today()
        self.start_day = self.today
        self.want: datetime | None = None

    def compose(self) -> ComposeResult:
        d = self.draft
        yield DeskHeader()
        verb = "Reschedule" if d.appointment is not None else "Book"
        yield Static(
            f"{verb} {d.patient.name_en} · {d.service.name_en} · {d.clinic.name_en}",
            classes="title",
            markup=False,
        )
        yield Static("", id="slot-info", classes="hint", markup=False)
        yield SlotGrid(id="grid")
        yield Static("", id="slot-hint", classes="hint", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.today = datetime.now(UTC).astimezone(self.tz).date()
        self.start_day = self.today
        if self.draft.appointment is not None:
            # A move opens on the visit's own day, its slot marked.
            self.start_day = max(
                self.today, self.draft.appointment.start.astimezone(self.tz).date()
            )
        self.query_one(SlotGrid).focus()
        if self.draft.provider is None:
            first = partial(
                self.session.first_available,
                self.draft.clinic.id,
                self.draft.service.id,
                datetime.now(UTC),
                purchase_id=self.purchase_id,
            )
            self.read("first", first, self.show_first)
        else:
            self.load()

    def show_first(self, found: tuple[ProviderView, datetime] | None) -> None:
        if found is None:
            self._info("No free slot with any provider in the coming weeks.")
            return
        provider, start = found
        if self.draft.last_day and start.astimezone(self.tz).date() > self.draft.last_day:
            self._info(f"No free slot before the package expires on {self.draft.last_day}.")
            return
        self.draft.provider = provider
        self.start_day = start.astimezone(self.tz).date()
        self.want = start
        self.load()

    @property
    def purchase_id(self) -> uuid.UUID | None:
        return self.draft.purchase.id if self.draft.purchase is not None else None

    def days(self) -> list[date]:
        days = [self.start_day + timedelta(days=i) for i in range(DAYS_SHOWN)]
        if self.draft.last_day is not None:
            days = [d for d in days if d <= self.draft.last_day]
        return days

    def load(self) -> None:
        days = self.days()
        provider = self.draft.provider
        if provider is None:
            return
        self._info(f"{provider.name_en} · {self.draft.service.name_en}" + self._expiry_note())
        self.read(
            "slots",
            partial(self._free_slots, provider.id, self.draft.service.id, days),
            self.show_slots,
            self.no_slots,
        )

    def no_slots(self, error: DeskError) -> None:
        # Refused up front (a group seat cannot be moved): said here, never after a confirm.
        self.notify(str(error), severity="error", timeout=8)
        self.dismiss(None)

    def _grid(self, provider_id: uuid.UUID, service_id: uuid.UUID, day: date) -> list[SlotView]:
        # In the worker thread: the Desk's times of the day, free or with the reason they are
        # not for this patient (a move's own time counts as free there).
        d = self.draft
        return self.session.slot_grid(
            provider_id,
            service_id,
            day,
            purchase_id=self.purchase_id,
            patient_id=d.patient.id,
            appointment_id=d.appointment.id if d.appointment is not None else None,
        )

    def _free_slots(self, provider_id: uuid.UUID, service_id: uuid.UUID, days: list[date]) -> Slots:
        # In the worker thread: the Desk only, no widget. Times gone by are not offered at all;
        # the others say why they cannot be taken.
        slots = {
            day: [s for s in self._grid(provider_id, service_id, day) if s.reason != "passed"]
            for day in days
        }
        return days, slots

    def show_slots(self, value: Slots) -> None:
        days, slots = value
        grid = self.query_one(SlotGrid)
        moving = self.draft.appointment
        grid.show(days, slots, self.tz, moving.start if moving is not None else None)
        if self.want is not None:
            grid.select(self.want)
            self.want = None
        elif grid.chosen is None:
            grid.first_free()
        self.say_slot()

    def say_slot(self) -> None:
        grid = self.query_one(SlotGrid)
        count = len(grid.free_starts)
        slot = grid.under_cursor
        if slot is not None and not slot.free:
            text = f"{when(slot.start, self.tz)} cannot be taken: {slot.reason}"
        elif count:
            text = f"{count} free slots · ←→ days · ↑↓ times · Enter books"
        else:
            text = "No free slot on these days · → later days"
        self.query_one("#slot-hint", Static).update(text)

    def on_data_table_cell_highlighted(self, event: SlotGrid.CellHighlighted) -> None:
        event.stop()
        self.say_slot()

    def _expiry_note(self) -> str:
        last = self.draft.last_day
        return f" · package valid until {last}" if last else ""

    def _info(self, text: str) -> None:
        self.query_one("#slot-info", Static).update(text)

    def on_slot_grid_shift_days(self, message: SlotGrid.ShiftDays) -> None:
        message.stop()
        new_start = self.start_day + timedelta(days=message.delta)
        if new_start < self.today:
            return
        if (
            self.draft.last_day is not None
            and new_start + timedelta(days=DAYS_SHOWN - 1) > self.draft.last_day
            and message.delta > 0
        ):
            self.notify(f"The package expires on {self.draft.last_day}.", severity="warning")
            return
        self.start_day = new_start
        self.load()

    def action_next_free(self) -> None:
        provider = self.draft.provider
        if provider is None:
            return
        after = self.query_one(SlotGrid).chosen or datetime.now(UTC)
        find = partial(self._next_free, provider.id, self.draft.service.id, after)
        self.read("next-free", find, self.show_next_free)

    def _next_free(
        self, provider_id: uuid.UUID, service_id: uuid.UUID, after: datetime
    ) -> datetime | None:
        # In the worker thread: day by day from the cursor's day, within the package's life.
        day = max(after.astimezone(self.tz).date(), self.today)
        last = self.draft.last_day
        for _ in range(LOOK_AHEAD_DAYS):
            if last is not None and day > last:
                return None
            # Free for this patient too (not only for the provider), and not where it is now.
            moving = self.draft.appointment
            later = [
                s.start
                for s in self._grid(provider_id, service_id, day)
                if s.free
                and s.start > after
                and s.start > datetime.now(UTC)
                and (moving is None or s.start != moving.start)
            ]
            if later:
                return min(later)
            day += timedelta(days=1)
        return None

    def show_next_free(self, slot: datetime | None) -> None:
        if slot is None:
            self.notify("No free slot in the coming months.", severity="warning")
            return
        self.want = slot
        self.start_day = slot.astimezone(self.tz).date()
        self.load()

    def action_go_to_date(self) -> None:
        from deskbook.tui.screens.finders import DateScreen

        def go(day: date | None) -> None:
            if day is not None:
                self.start_day = max(day, self.today)
                self.load()

        self.app.push_screen(DateScreen(self.today), go)

    # -- choose, confirm, write -----------------------------------------------------------

    def on_data_table_cell_selected(self, event: SlotGrid.CellSelected) -> None:
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        grid = self.query_one(SlotGrid)
        slot, d = grid.chosen, self.draft
        if slot is None or d.provider is None:
            taken = grid.under_cursor
            why = f": {taken.reason}" if taken is not None and taken.reason else ""
            self.notify(f"That time cannot be taken{why} — pick a free time.", severity="warning")
            return
        self.read(
            "confirm", partial(confirm_facts, self.session, d, slot), partial(self._ask, slot)
        )

    def _ask(self, slot: datetime, facts: ConfirmFacts) -> None:
        d = self.draft
        if d.provider is None:
            return
        lines = confirm_lines(d, d.provider, slot, self.tz, facts)
        title = "Move the appointment?" if d.appointment is not None else "Book this slot?"
        # Notes go with a new visit; a move keeps the visit's own.
        confirm = ConfirmScreen(title, lines, notes=d.appointment is None)
        self.app.push_screen(confirm, partial(self._confirmed, slot, d.provider, confirm))

    def _confirmed(
        self, slot: datetime, provider: ProviderView, confirm: ConfirmScreen, yes: bool | None
    ) -> None:
        d = self.draft
        if not yes:
            return
        notes = confirm.notes
        if d.appointment is not None:
            move = partial(
                self.session.reschedule,
                d.appointment.id,
                slot,
                provider_id=provider.id,
                request_id=uuid.uuid4(),  # a re-send after an outage moves it once
            )
            self.write("book", move, self.booked, self.not_booked, resend=True)
            return
        book = partial(
            self.session.book,
            d.patient.id,
            d.service.id,
            provider.id,
            slot,
            purchase_id=self.purchase_id,
            notes=notes or None,
            request_id=uuid.uuid4(),  # one per confirm: a re-send after an outage books once
        )
        self.write("book", book, self.booked, self.not_booked, resend=True)

    def booked(self, appointment: AppointmentView) -> None:
        number, total = appointment.session_number, appointment.session_total
        session = f" — Session {number} of {total}" if number and total else ""
        verb = "Moved to" if self.draft.appointment is not None else "Booked"
        self.notify(f"{verb} {when(appointment.start, self.tz)}{session}", timeout=8)
        self.dismiss(appointment)

    def not_booked(self, error: DeskError) -> None:
        self.notify(str(error), severity="error", timeout=8)
        if isinstance(error, SlotTaken):
            self.load()

    def action_cancel(self) -> None:
        self.dismiss(None)
