"""Pick a free slot, confirm, book (or reschedule).

The grid shows a few days of one provider's free slots; with "first available" the screen
first asks the Desk for the earliest slot across the clinic and opens on it. For a package
no day after its expiry is offered. The database has the last word: if another desk took the
slot meanwhile, the booking is refused with SlotTaken, the grid reloads and the user picks
again right here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from deskbook.errors import DeskError, SlotTaken
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, when
from deskbook.tui.screens.pickers import ConfirmScreen
from deskbook.tui.widgets.slot_grid import SlotGrid

DAYS_SHOWN = 5


@dataclass
class Draft:
    """What the booking flow has chosen so far (attributes down to each step)."""

    patient: Any
    kind: str = "single"
    service: Any = None
    clinic: Any = None
    provider: Any = None  # None: first available across the clinic
    purchase: Any = None
    appointment: Any = None  # set when rescheduling
    patient_appointments: list[Any] = field(default_factory=list)

    @property
    def last_day(self) -> date | None:
        return self.purchase.expiry_date if self.purchase is not None else None


def _name(obj: Any, fallback: str = "") -> str:
    return str(getattr(obj, "name_en", None) or getattr(obj, "display_name", None) or fallback)


def session_number_of(draft: Draft, start: datetime) -> tuple[int, int] | None:
    """The session number the new appointment will get: its place by start time among the
    purchase's live appointments for the service (the Desk numbers them the same way)."""
    if draft.purchase is None or draft.service is None:
        return None
    service_id = draft.service.id
    earlier = [
        a
        for a in draft.patient_appointments
        if a.purchase_id == draft.purchase.id
        and a.service_id == service_id
        and a.status != "CANCELLED"
        and a.start < start
    ]
    quota = next((q.quota for q in draft.purchase.services if q.service_id == service_id), 0)
    return len(earlier) + 1, quota


class SlotScreen(DeskScreen):
    SCOPE = "slots"
    BINDINGS = bindings("slots")[2:]

    def __init__(self, draft: Draft) -> None:
        super().__init__()
        self.draft = draft
        self.today = date.today()
        self.start_day = self.today
        self.pending: datetime | None = None
        self.want: datetime | None = None

    def compose(self) -> ComposeResult:
        d = self.draft
        yield Header(show_clock=True, time_format="%H:%M", icon="")
        verb = "Reschedule" if d.appointment is not None else "Book"
        yield Static(
            f"{verb} {_name(d.patient)} · {_name(d.service)} · {_name(d.clinic)}",
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
        self.query_one(SlotGrid).focus()
        if self.draft.provider is None:
            self.call_desk(
                "first",
                self.session.first_available,
                self.draft.clinic.id,
                self.draft.service.id,
                datetime.now(UTC),
                purchase_id=self.purchase_id,
            )
        else:
            self.load()

    def loaded_first(self, found: Any) -> None:
        if not found:
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
    def purchase_id(self) -> Any:
        return self.draft.purchase.id if self.draft.purchase is not None else None

    def days(self) -> list[date]:
        days = [self.start_day + timedelta(days=i) for i in range(DAYS_SHOWN)]
        if self.draft.last_day is not None:
            days = [d for d in days if d <= self.draft.last_day]
        return days

    def load(self) -> None:
        days = self.days()
        provider = self.draft.provider
        self._info(f"{_name(provider)} · {_name(self.draft.service)}" + self._expiry_note())
        self.call_desk("slots", self._free_slots, provider.id, self.draft.service.id, days)

    def _free_slots(self, provider_id: Any, service_id: Any, days: list[date]) -> Any:
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

    def loaded_slots(self, value: Any) -> None:
        days, slots = value
        grid = self.query_one(SlotGrid)
        grid.show(days, slots, self.tz)
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

    # -- choose, confirm, write -----------------------------------------------------------

    def on_data_table_cell_selected(self, event: SlotGrid.CellSelected) -> None:
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        slot = self.query_one(SlotGrid).chosen
        if slot is None:
            self.notify("That time is not free — pick a time shown in the grid.")
            return
        d = self.draft
        lines = [
            f"Patient   {_name(d.patient)}  (MRN {getattr(d.patient, 'mrn', '')})",
            f"Service   {_name(d.service)}",
            f"With      {_name(d.provider)} at {_name(d.clinic)}",
            f"When      {when(slot, self.tz)}",
        ]
        number = session_number_of(d, slot)
        if number is not None:
            lines.append(f"Package   {_name(d.purchase)}")
            lines.append(f"          Session {number[0]} of {number[1]}")
        title = "Move the appointment?" if d.appointment is not None else "Book this slot?"
        self.pending = slot
        self.app.push_screen(ConfirmScreen(title, lines), self._confirmed)

    def _confirmed(self, yes: bool | None) -> None:
        slot, d = self.pending, self.draft
        if not yes or slot is None:
            return
        if d.appointment is not None:
            self.call_desk(
                "book", self.session.reschedule, d.appointment.id, slot, provider_id=d.provider.id
            )
            return
        self.call_desk(
            "book",
            self.session.book,
            d.patient.id,
            d.service.id,
            d.provider.id,
            slot,
            purchase_id=d.purchase.id if d.purchase is not None else None,
        )

    def loaded_book(self, appointment: Any) -> None:
        number = getattr(appointment, "session_number", None)
        total = getattr(appointment, "session_total", None)
        session = f" — Session {number} of {total}" if number and total else ""
        verb = "Moved to" if self.draft.appointment is not None else "Booked"
        self.notify(f"{verb} {when(appointment.start, self.tz)}{session}", timeout=8)
        self.dismiss(appointment)

    def failed_book(self, error: DeskError) -> None:
        self.notify(str(error), severity="error", timeout=8)
        if isinstance(error, SlotTaken):
            self.load()

    def action_cancel(self) -> None:
        self.dismiss(None)
