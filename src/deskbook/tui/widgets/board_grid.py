"""The board's grid: one column per provider, one row per slot step, a cell cursor.

The times stay put at the left and the providers' names at the top while the rest scrolls.
Column widths share out the terminal's width (at least MIN_WIDTH each): at 80 columns two or
three providers show and →/← past the edge scroll the others into view. The grid holds a window
of the clinic's providers (Board.first ..); → or ← past the window's edge asks the screen for
the next window (PastEdge), so a 200-provider clinic is built a screenful at a time.

Drawn with Textual's line API: each screen line is cut from the cells that are visible, so a
55-provider clinic costs no more to paint than a 3-provider one (a DataTable renders every
column of every visible row through Rich, which took most of a second per board).
"""

from __future__ import annotations

import uuid
from datetime import datetime, tzinfo
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskbook.results_day import Board, BoardCell

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


def cell_text(cell: BoardCell, line: int = 0, rows: int = 1) -> Text:
    """What a cell says: words first, so it reads the same in 16 colours and without colour.
    A visit that spans rows is told over them (line: rows since it began): the patient, then
    the service, then the status; one that fits one row (rows) says all three there."""
    if cell.state == VISIT and cell.visit is not None:
        v = cell.visit
        status = STATUS_WORDS.get(v.status, v.status.lower())
        session = f" {v.session_number}/{v.session_total}" if v.session_number else ""
        if line == 0:
            if rows <= 1:
                return Text(f"{v.patient_short_name} · {v.service_name_en}{session} · {status}")
            return Text(v.patient_short_name, style="bold")
        told = {1: f"┆ {v.service_name_en}", 2: f"┆ {status}{session}"}
        return Text(told.get(line, "┆"), style="dim" if line > 2 else "")
    if cell.state == GROUP and cell.group is not None:
        g = cell.group
        full = " full" if g.taken >= g.capacity else ""
        text = f"{g.service_name_en} {g.taken}/{g.capacity}{full}"
        return Text("┆", style="dim") if cell.continues else Text(text, style="bold")
    if cell.state == FREE:
        return Text("free", style="green")
    return Text("off", style="dim")


def columns_that_fit(width: int) -> int:
    """How many provider columns of the narrowest width a terminal this wide shows at once."""
    return max(1, (width - LABEL_WIDTH - 2) // (MIN_WIDTH + 2))


def visit_lines(cells: tuple[BoardCell, ...]) -> list[tuple[int, int]]:
    """For each cell of a column: (rows since its visit or group began, rows it spans)."""
    placed: list[tuple[int, int]] = []
    begun = 0
    for row, cell in enumerate(cells):
        if not cell.continues:
            begun = row
        placed.append((row - begun, 1))
    spans: dict[int, int] = {}
    for row, (line, _) in enumerate(placed):
        spans[row - line] = line + 1
    return [(line, spans[row - line]) for row, (line, _) in enumerate(placed)]


class BoardGrid(ScrollView, can_focus=True):
    # Moving about inside the grid, as in any table (not actions of the desk's registry).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1, 0)", show=False),
        Binding("down", "move(1, 0)", show=False),
        Binding("left", "move(0, -1)", show=False),
        Binding("right", "move(0, 1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "move(-100000, 0)", show=False),
        Binding("end", "move(100000, 0)", show=False),
    ]
    DEFAULT_CSS = """
    BoardGrid { background: $surface; overflow: scroll scroll; }
    """
    HEADER_STYLE = Style(bold=True, underline=True)
    LABEL_STYLE = Style(dim=True)
    CURSOR_STYLE = Style(reverse=True, bold=True)

    class PastEdge(Message):
        """The cursor went past the window's first or last provider: the screen loads the
        window holding `provider` (counted in the clinic's order) and the grid puts the cursor
        on it, on the same row."""

        def __init__(self, provider: int) -> None:
            super().__init__()
            self.provider = provider

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.board: Board | None = None
        self.cursor_coordinate = Coordinate(0, 0)
        self.wanted: int | None = None  # the provider a PastEdge asked for, until it shows
        self.cell_width = MIN_WIDTH
        self.labels: list[str] = []
        self.names: list[str] = []
        self.cells: list[list[tuple[str, Style]]] = []  # [row][column]
        self._laid_out: tuple[Size, Size] | None = None  # the size the last layout gave

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # Textual's ScrollView compares the virtual size the layout gives it (its region less
        # the scrollbars) with the board's, never equal here, so it repainted both scrollbars
        # after every layout: a frame of their own 17-30 ms after the board's, on every F5,
        # [, ] and → past the window, which the receptionist waited for as well. show() tells
        # the scrollbars the board's size and the layout their place; they need more only
        # when the grid's own size changes (the terminal resized).
        if (size, container_size) == self._laid_out:
            return False
        self._laid_out = (size, container_size)
        return super()._size_updated(size, virtual_size, container_size, layout)

    # -- filling --------------------------------------------------------------------------

    def show(self, board: Board, tz: tzinfo, width: int) -> None:
        """Fill the grid, keeping the cursor on the same visit if it is still there (another
        desk's change may have moved it), else on the same provider and time."""
        keep_visit = self.visit_id_under_cursor() if self.wanted is None else None
        keep = self.cursor_coordinate
        # The cursor stays on its provider when the window moves (counted in the clinic).
        wanted = self.wanted
        if wanted is None or board.first <= wanted < board.first + len(board.columns):
            self.wanted = None
        else:
            # Not in this board: the same board shown again (the terminal resized) while the
            # window holding it is on its way keeps the ask; any other board ends it.
            wanted = None
            if board is not self.board:
                self.wanted = None
        provider = wanted if wanted is not None else self.provider_index()
        keep = Coordinate(keep.row, provider - board.first)
        moved = 0 if self.board is None else board.first - self.board.first
        self.board = board
        columns = len(board.columns) or 1
        # Widths from the clinic's provider count, so they do not change as windows move.
        share = (width - LABEL_WIDTH - 2) // max(columns, board.provider_count) - 2
        self.cell_width = max(MIN_WIDTH, min(MAX_WIDTH, share)) + 2
        self.names = [c.provider_name_en for c in board.columns]
        self.labels = [t.astimezone(tz).strftime("%H:%M") for t in board.times]
        lines = [visit_lines(column.cells) for column in board.columns]
        self.cells = [
            [
                self._cut(cell_text(column.cells[row], *lines[at][row]))
                for at, column in enumerate(board.columns)
            ]
            for row in range(len(board.times))
        ]
        self.virtual_size = Size(
            LABEL_WIDTH + self.cell_width * len(self.names), len(self.labels) + 1
        )
        # The scrollbars are told the board's size here, before the layout this asks for:
        # told during it (as Textual does), they are repainted in a frame after the board's.
        self.vertical_scrollbar.window_virtual_size = self.virtual_size.height
        self.horizontal_scrollbar.window_virtual_size = self.virtual_size.width
        found = self.find_visit(keep_visit) if keep_visit is not None else None
        target = found or Coordinate(
            min(keep.row, max(0, len(self.labels) - 1)),
            max(0, min(keep.column, columns - 1)),
        )
        if moved:
            # From the window's far side, so the cursor's provider comes in at the edge it
            # was walked towards and the ones just seen stay beside it.
            far = 0 if moved > 0 else self.virtual_size.width
            self.scroll_to(x=far, animate=False, immediate=True)
        self.move_cursor(row=target.row, column=target.column)
        self.refresh()

    def _cut(self, text: Text) -> tuple[str, Style]:
        room = self.cell_width - 2
        plain = text.plain if len(text.plain) <= room else text.plain[: room - 1] + "…"
        style = text.style if isinstance(text.style, Style) else Style.parse(text.style or "")
        return f" {plain:<{room}} ", style

    # -- drawing --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        if y == 0:
            label = Segment(" " * LABEL_WIDTH)
            names = [Segment(f" {n[: self.cell_width - 2]:<{self.cell_width - 2}} ",
                             self.HEADER_STYLE) for n in self.names]  # fmt: skip
            return self._line(label, names, scroll_x, width)
        row = scroll_y + y - 1
        if row >= len(self.labels):
            return Strip.blank(width)
        label = Segment(f" {self.labels[row]:<{LABEL_WIDTH - 1}}", self.LABEL_STYLE)
        cursor_row, cursor_column = self.cursor_coordinate
        cells = [
            Segment(text, style + self.CURSOR_STYLE if (row, at) == (cursor_row, cursor_column)
                    and self.has_focus else style)
            for at, (text, style) in enumerate(self.cells[row])
        ]  # fmt: skip
        return self._line(label, cells, scroll_x, width)

    def _line(self, label: Segment, cells: list[Segment], scroll_x: int, width: int) -> Strip:
        body_width = max(0, width - LABEL_WIDTH)
        body = Strip(cells).crop(scroll_x, scroll_x + body_width)
        return Strip([label, *body]).adjust_cell_length(width).apply_style(self.rich_style)

    def on_focus(self, _event: events.Focus) -> None:
        self.refresh()

    def on_blur(self, _event: events.Blur) -> None:
        self.refresh()

    # -- the cursor -----------------------------------------------------------------------

    @property
    def cursor_row(self) -> int:
        return self.cursor_coordinate.row

    @property
    def cursor_column(self) -> int:
        return self.cursor_coordinate.column

    def move_cursor(self, *, row: int | None = None, column: int | None = None) -> None:
        rows, columns = len(self.labels), len(self.names)
        if not rows or not columns:
            self.cursor_coordinate = Coordinate(0, 0)
            self.scroll_to(0, 0, animate=False, immediate=True)  # the last board's offset
            return
        row = self.cursor_row if row is None else row
        column = self.cursor_column if column is None else column
        self.cursor_coordinate = Coordinate(
            max(0, min(row, rows - 1)), max(0, min(column, columns - 1))
        )
        self._show_cursor()
        self.refresh()

    def _show_cursor(self) -> None:
        # Scroll just enough for the cursor's cell to be seen (→ past the edge scrolls).
        body_width = max(1, self.size.width - LABEL_WIDTH)
        body_height = max(1, self.size.height - 1)
        left = self.cursor_column * self.cell_width
        scroll_x, scroll_y = self.scroll_offset
        x = min(max(scroll_x, left + self.cell_width - body_width), left)
        y = min(max(scroll_y, self.cursor_row - body_height + 1), self.cursor_row)
        self.scroll_to(x=x, y=y, animate=False, immediate=True)

    def provider_index(self) -> int:
        """The cursor's provider, counted in the clinic's order (not the window's)."""
        return (self.board.first if self.board is not None else 0) + self.cursor_column

    def action_move(self, rows: int, columns: int) -> None:
        column = self.cursor_column + columns
        board = self.board
        if board is not None and columns and not 0 <= column < len(board.columns):
            target = board.first + column
            if 0 <= target < board.provider_count:
                self.wanted = target
                self.post_message(self.PastEdge(target))
                return
        self.move_cursor(row=self.cursor_row + rows, column=column)

    def action_page(self, pages: int) -> None:
        self.action_move(pages * max(1, self.size.height - 2), 0)

    def on_resize(self, _event: events.Resize) -> None:
        self._show_cursor()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0 or offset.x < LABEL_WIDTH:
            return
        scroll_x, scroll_y = self.scroll_offset
        self.move_cursor(
            row=scroll_y + offset.y - 1,
            column=(scroll_x + offset.x - LABEL_WIDTH) // self.cell_width,
        )

    # -- what is under the cursor ---------------------------------------------------------

    def get_cell_at(self, coordinate: tuple[int, int]) -> str:
        """The words of a cell (what a test or a capture reads)."""
        row, column = coordinate
        return self.cells[row][column][0].strip()

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
            self.move_cursor(row=rows[-1])
