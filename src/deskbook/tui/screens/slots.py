"""Pick a free slot, confirm, book (or reschedule).

The grid shows a few days of one provider's free slots; with "first available" the screen
first asks the Desk for the earliest slot across the clinic and opens on it. For a package
no day after its expiry is offered. The database has the last word: if another desk took the
slot meanwhile, the booking is refused with SlotTaken, the grid reloads and the user picks
again right here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import partial

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from deskbook.errors import DeskError, SlotTaken
from deskbook.results import (
    AppointmentView,
    ClinicView,
    PatientSummary,
    ProviderView,
    PurchaseView,
    ServiceView,
)
from deskbook.statuses import AppointmentStatus
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, when
from deskbook.tui.screens.pickers import ConfirmScreen
from deskbook.tui.widgets.slot_grid import GRID_KEYS, SlotGrid

DAYS_SHOWN = 5
LOOK_AHEAD_DAYS = 92  # how far "n" looks for the next free slot
Slots = tuple[list[date], dict[date, list[datetime]]]


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


def session_number_of(draft: Draft, start: datetime) -> tuple[int, int] | None:
    """The session number the new appointment will get: its place by start time among the
    purchase's live appointments for the service (the Desk numbers them the same way)."""
    purchase = draft.purchase
    if purchase is None:
        return None
    service_id = draft.service.id
    earlier = [
        a
        for a in draft.patient_appointments
        if a.purchase_id == purchase.id
        and a.service_id == service_id
        and a.status != AppointmentStatus.CANCELLED
        and a.start < start
    ]
    quota = next((q.quota for q in purchase.services if q.service_id == service_id), 0)
    return len(earlier) + 1, quota


def confirm_lines(draft: Draft, provider: ProviderView, slot: datetime, tz: tzinfo) -> list[str]:
    """What the confirmation shows before a booking is written, wherever it was started."""
    d = draft
    lines = [
        f"Patient   {d.patient.name_en}  (MRN {d.patient.mrn})",
        f"Service   {d.service.name_en}",
        f"With      {provider.name_en} at {d.clinic.name_en}",
        f"When      {when(slot, tz)}",
    ]
    if d.appointment is not None:
        lines[-1] = f"Move      {when(d.appointment.start, tz)} → {when(slot, tz)}"
    number = session_number_of(d, slot)
    if d.purchase is not None and number is not None:
        lines.append(f"Package   {d.purchase.name_en}")
        lines.append(f"          Session {number[0]} of {number[1]}")
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
        yield Header(show_clock=True, time_format="%H:%M", icon="")
        verb = "Reschedule" if d.appointment is not None else "Book"
        yield Static(
            f"{verb} {d.patient.name_en} · {d.service.name_en} · {d.clinic.name_en}",
            classes="title",
            markup=False,
        )
        yield Static("", id="slot-info", classes="hint", markup=False)
        yield SlotGrid(id="grid")
        yield Static("", id="slot-hint", classes="hint", markup=False)
        yield Footer()

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
        )

    def _free_slots(self, provider_id: uuid.UUID, service_id: uuid.UUID, days: list[date]) -> Slots:
        # In the worker thread: the Desk only, no widget.
        now = datetime.now(UTC)
        purchase_id = self.purchase_id
        slots = {d: self.session.free_slots(provider_id, service_id, d, purchase_id) for d in days}
        last = self.draft.last_day
        for d in days:
            slots[d] = [
                s
                for s in slots[d]
                if s > now and (last is None or s.astimezone(self.tz).date() <= last)
            ]
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
        count = sum(len(v) for v in slots.values())
        self.query_one("#slot-hint", Static).update(
            f"{count} free slots · ←→ days · ↑↓ times · Enter books"
            if count
            else "No free slot on these days · → later days"
        )

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
            free = self.session.free_slots(provider_id, service_id, day, self.purchase_id)
            later = [s for s in free if s > after and s > datetime.now(UTC)]
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
        slot = self.query_one(SlotGrid).chosen
        d = self.draft
        if slot is None or d.provider is None:
            self.notify("That time is not free — pick a time shown in the grid.")
            return
        lines = confirm_lines(d, d.provider, slot, self.tz)
        title = "Move the appointment?" if d.appointment is not None else "Book this slot?"
        self.app.push_screen(
            ConfirmScreen(title, lines), partial(self._confirmed, slot, d.provider)
        )

    def _confirmed(self, slot: datetime, provider: ProviderView, yes: bool | None) -> None:
        d = self.draft
        if not yes:
            return
        if d.appointment is not None:
            move = partial(self.session.reschedule, d.appointment.id, slot, provider_id=provider.id)
            self.write("book", move, self.booked, self.not_booked)
            return
        book = partial(
            self.session.book,
            d.patient.id,
            d.service.id,
            provider.id,
            slot,
            purchase_id=self.purchase_id,
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
