"""The tables of the desk: Home/End go to the first/last row, PgUp/PgDn a page.

Textual's DataTable scrolls sideways on Home/End when its cursor selects rows; at the desk a
row cursor is the only cursor, so they move it.
"""

from __future__ import annotations

from typing import TypeVar

from textual.widgets import DataTable

CellType = TypeVar("CellType")


class DeskTable(DataTable[CellType]):
    def action_scroll_home(self) -> None:
        if self.cursor_type == "row":
            self.action_scroll_top()
        else:
            super().action_scroll_home()

    def action_scroll_end(self) -> None:
        if self.cursor_type == "row":
            self.action_scroll_bottom()
        else:
            super().action_scroll_end()
