"""The board's grid: one column per provider, one row per slot step, a cell cursor.

Times are row labels, so they stay put while the providers scroll sideways; the cursor never
sits on them. Column widths share out the terminal's width (at least MIN_WIDTH each): at 80
columns two or three providers show and →/← past the edge scroll the others into view.
"""

from __future__ import annotations

import uuid
from datetime import datetime, tzinfo

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from deskbook.results import Board, BoardCell

FREE, OFF, VISIT, GROUP = "FREE", "OFF", "VISIT", "GROUP"
MIN_WIDTH = 22
MAX_WIDTH = 44
LABEL_WIDTH = 7  # "08:15" and the label column's padding
STATUS_WORDS = {
    "BOOKED": "booked",
    "CONFIRMED": "confirmed",
    "ARRIVED": "arrived",
    "COMPLETED": "done",
    "NO_SHOW": "no-show",
    "CANCELLED": "cancelled",
}


def cell_text(cell: BoardCell) -> Text:
    """What a cell says: words first, so it reads the same in 16 colours and without colour."""
    if cell.state == VISIT and cell.visit is not None:
        v = cell.visit
        status = STATUS_WORDS.get(v.status, v.status.lower())
        if cell.continues:
            return Text(f"┆ {v.patient_short_name}", style="dim")
        session = f" {v.session_number}/{v.session_total}" if v.session_number else ""
        return Text(f"{v.patient_short_name} · {v.service_name_en}{session} · {status}")
    if cell.state == GROUP and cell.group is not None:
        g = cell.group
        full = " full" if g.taken >= g.capacity else ""
        text = f"{g.service_name_en} {g.taken}/{g.capacity}{full}"
        return Text(f"┆ {text}", style="dim") if cell.continues else Text(text, style="bold")
    if cell.state == FREE:
        return Text("free", style="green")
    return Text("off", style="dim")


class BoardGrid(DataTable[Text]):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=False, id=id)
        self.show_row_labels = True
        self.board: Board | None = None

    def show(self, board: Board, tz: tzinfo, width: int) -> None:
        """Fill the grid, keeping the cursor on the same visit if it is still there (another
        desk's change may have moved it), else on the same provider and time."""
        keep_visit = self.visit_id_under_cursor()
        keep = self.cursor_coordinate
        self.clear(columns=True)
        self.board = board
        columns = len(board.columns) or 1
        share = (width - LABEL_WIDTH - 2) // columns - 2
        cell_width = max(MIN_WIDTH, min(MAX_WIDTH, share))
        for column in board.columns:
            self.add_column(column.provider_name_en, width=cell_width, key=str(column.provider_id))
        for row, start in enumerate(board.times):
            cells = [cell_text(column.cells[row]) for column in board.columns]
            self.add_row(*cells, label=start.astimezone(tz).strftime("%H:%M"))
        if not board.times or not board.columns:
            return
        found = self.find_visit(keep_visit) if keep_visit is not None else None
        target = found or Coordinate(
            min(keep.row, len(board.times) - 1), min(keep.column, len(board.columns) - 1)
        )
        self.move_cursor(row=target.row, column=target.column, animate=False)

    def cell(self) -> BoardCell | None:
        """The board cell under the cursor."""
        if self.board is None or not self.board.columns or not self.board.times:
            return None
        row, column = self.cursor_coordinate
        if column >= len(self.board.columns) or row >= len(self.board.times):
            return None
        return self.board.columns[column].cells[row]

    def visit_id_under_cursor(self) -> uuid.UUID | None:
        cell = self.cell()
        return cell.visit.id if cell is not None and cell.visit is not None else None

    def find_visit(self, visit_id: uuid.UUID) -> Coordinate | None:
        """Where the visit begins on the board, if it is on it."""
        if self.board is None:
            return None
        for column_at, column in enumerate(self.board.columns):
            for row, cell in enumerate(column.cells):
                if cell.visit is not None and cell.visit.id == visit_id and not cell.continues:
                    return Coordinate(row, column_at)
        return None

    def slot(self) -> tuple[uuid.UUID, datetime] | None:
        """The provider and start time under the cursor."""
        if self.board is None or self.cell() is None:
            return None
        row, column = self.cursor_coordinate
        return self.board.columns[column].provider_id, self.board.times[row]

    def focus_time(self, moment: datetime) -> None:
        """Put the cursor on the row of the time (the current hour on today's board)."""
        if self.board is None:
            return
        rows = [i for i, t in enumerate(self.board.times) if t <= moment]
        if rows:
            self.move_cursor(row=rows[-1], animate=False)
