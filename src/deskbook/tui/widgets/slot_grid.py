"""The slot grid: one column per day, one row per time of day (the times as row labels).

A free slot shows its time; a time the patient cannot take shows greyed with a ✗ and the Desk's
reason (booked, provider off, the patient's other visit, after the package expires), which the
screen names when the cursor is on it; the slot of a visit being moved shows "now". Left/right
move between days; past the window's edge, or at once when no day shown has a free slot, they
ask the screen to shift the window (ShiftDays), which reloads it; PgUp/PgDn shift it a week.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from rich.text import Text
from textual.message import Message

from deskbook.results import SlotView
from deskbook.tui.actions import bindings
from deskbook.tui.widgets.desk_table import DeskTable

MAX_TIMES = 96  # a day in quarter hours: the grid never grows without bound
NOT_OFFERED = "  ·  "
GRID_KEYS = ("slots.prev_day", "slots.next_day", "slots.prev_week", "slots.next_week")


class SlotGrid(DeskTable[str | Text]):
    BINDINGS = bindings("slots", only=GRID_KEYS)

    class ShiftDays(Message):
        def __init__(self, delta: int) -> None:
            super().__init__()
            self.delta = delta

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=False, id=id)
        self.show_row_labels = True
        self.days: list[date] = []
        self.cells: dict[tuple[int, int], SlotView] = {}

    def show(
        self,
        days: list[date],
        slots: dict[date, list[SlotView]],
        tz: tzinfo,
        current: datetime | None = None,
    ) -> None:
        """Fill the grid; keep the cursor's day column where it was when possible. current: the
        slot of the visit being moved, marked "now" (not free, so not choosable)."""
        keep_row, keep_col = self.cursor_row, self.cursor_column
        self.clear(columns=True)
        self.days = days
        self.cells = {}
        for day in days:
            self.add_column(day.strftime("%a %d %b"), width=10)
        here = current.astimezone(tz) if current is not None else None
        shown_here = here is not None and here.date() in days
        times = sorted(
            {s.start.astimezone(tz).strftime("%H:%M") for d in days for s in slots[d]}
            | ({here.strftime("%H:%M")} if here is not None and shown_here else set())
        )
        times = times[:MAX_TIMES]
        row_of = {t: i for i, t in enumerate(times)}
        grid: list[list[str | Text]] = [[NOT_OFFERED] * len(days) for _ in times]
        for col, day in enumerate(days):
            for slot in slots[day]:
                label = slot.start.astimezone(tz).strftime("%H:%M")
                row = row_of.get(label)
                if row is not None:
                    # Greyed and marked: the ✗ reads without colour too.
                    grid[row][col] = label if slot.free else Text(f"{label} ✗", style="dim")
                    self.cells[(row, col)] = slot
        if here is not None and shown_here:
            label = here.strftime("%H:%M")
            if label in row_of:
                cell = (row_of[label], days.index(here.date()))
                grid[cell[0]][cell[1]] = f"{label} now"
                # The Desk counts the visit's own time as free for a move; here it is not a move.
                self.cells[cell] = SlotView(here, False, "the visit is at this time now")
        for time_label, cells in zip(times, grid, strict=True):
            self.add_row(*cells, label=time_label)
        if times:
            self.move_cursor(row=min(keep_row, len(times) - 1), column=min(keep_col, len(days) - 1))

    def select(self, start: datetime) -> None:
        for (row, col), slot in self.cells.items():
            if slot.start == start:
                self.move_cursor(row=row, column=col)
                return

    def first_free(self) -> None:
        """Put the cursor on the earliest free slot shown."""
        free = [cell for cell, slot in self.cells.items() if slot.free]
        if free:
            row, column = min(free, key=lambda cell: self.cells[cell].start)
            self.move_cursor(row=row, column=column)

    @property
    def under_cursor(self) -> SlotView | None:
        return self.cells.get((self.cursor_row, self.cursor_column))

    @property
    def chosen(self) -> datetime | None:
        """The free slot under the cursor (None on a time that cannot be taken)."""
        slot = self.under_cursor
        return slot.start if slot is not None and slot.free else None

    @property
    def free_starts(self) -> list[datetime]:
        return [slot.start for slot in self.cells.values() if slot.free]

    def action_day(self, delta: int) -> None:
        column = self.cursor_column + delta
        if not self.free_starts:
            # Nothing free on any day shown: walking across empty columns helps nobody.
            self.post_message(self.ShiftDays(delta * max(1, len(self.days))))
        elif 0 <= column < len(self.days):
            self.move_cursor(column=column)
        else:
            self.post_message(self.ShiftDays(delta))

    def action_week(self, delta: int) -> None:
        self.post_message(self.ShiftDays(7 * delta))
