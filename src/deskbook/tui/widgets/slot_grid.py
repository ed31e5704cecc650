"""The slot grid: one column per day, one row per time of day, free slots only.

Left/right move between days; past the window's edge they ask the screen to shift the window
(ShiftDays), which reloads it. A cell that is not free shows "·" and cannot be booked.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from textual.message import Message
from textual.widgets import DataTable

from deskbook.tui.actions import bindings

MAX_TIMES = 96  # a day in quarter hours: the grid never grows without bound
NOT_FREE = "  ·  "


class SlotGrid(DataTable[str]):
    BINDINGS = bindings("slots")[:2]

    class ShiftDays(Message):
        def __init__(self, delta: int) -> None:
            super().__init__()
            self.delta = delta

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=False, id=id)
        self.days: list[date] = []
        self.cells: dict[tuple[int, int], datetime] = {}

    def show(self, days: list[date], slots: dict[date, list[datetime]], tz: tzinfo) -> None:
        """Fill the grid; keep the cursor's day column where it was when possible."""
        keep_row, keep_col = self.cursor_row, self.cursor_column
        self.clear(columns=True)
        self.days = days
        self.cells = {}
        for day in days:
            self.add_column(day.strftime("%a %d %b"), width=10)
        times = sorted({s.astimezone(tz).strftime("%H:%M") for d in days for s in slots[d]})
        times = times[:MAX_TIMES]
        row_of = {t: i for i, t in enumerate(times)}
        grid = [[NOT_FREE] * len(days) for _ in times]
        for col, day in enumerate(days):
            for slot in slots[day]:
                label = slot.astimezone(tz).strftime("%H:%M")
                row = row_of.get(label)
                if row is not None:
                    grid[row][col] = label
                    self.cells[(row, col)] = slot
        for cells in grid:
            self.add_row(*cells)
        if times:
            self.move_cursor(row=min(keep_row, len(times) - 1), column=min(keep_col, len(days) - 1))

    def select(self, slot: datetime) -> None:
        for (row, col), value in self.cells.items():
            if value == slot:
                self.move_cursor(row=row, column=col)
                return

    def first_free(self) -> None:
        """Put the cursor on the earliest free slot shown."""
        if self.cells:
            row, column = min(self.cells, key=lambda cell: self.cells[cell])
            self.move_cursor(row=row, column=column)

    @property
    def chosen(self) -> datetime | None:
        return self.cells.get((self.cursor_row, self.cursor_column))

    def action_day(self, delta: int) -> None:
        column = self.cursor_column + delta
        if 0 <= column < len(self.days):
            self.move_cursor(column=column)
        else:
            self.post_message(self.ShiftDays(delta))
