"""Records that may be the same person, shown before a new record is made (or an edit makes
two alike). The safe choice is focused: opening the record that exists; making another one
takes a Tab first. An ADMIN may merge from here (ctrl+g, the merge of the patient screen): the
record on the cursor is kept; on an edit the record being edited is merged into it, on a
registration the finder asks which record is the other one. The kept record then opens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.widgets import Button, DataTable, Static

from deskbook.results import PatientCandidate, PatientSummary
from deskbook.statuses import Role
from deskbook.tui.actions import bindings, display_of
from deskbook.tui.screens.base import DIALOG_WORKERS, DeskModal
from deskbook.tui.screens.patient_form import desk_date
from deskbook.tui.widgets.desk_footer import DeskFooter

COLUMNS = (("MRN", 10), ("Name", 18), ("Phone", 12), ("Born", 10), ("Why", 12))
SHORT_REASON = {
    "same phone": "phone",
    "same national id": "national id",
    "same name and date of birth": "name+birth",
}


@dataclass(frozen=True)
class DuplicateChoice:
    """open: the existing record chosen instead; go_on: save all the same; neither: back to
    the form."""

    open: PatientSummary | None = None
    go_on: bool = False


def why(candidate: PatientCandidate) -> str:
    return ", ".join(SHORT_REASON.get(r, r) for r in candidate.reasons)


class DuplicatesScreen(DeskModal[DuplicateChoice]):
    SCOPE = "dupes"
    BINDINGS = bindings("dupes")
    DEFAULT_CSS: ClassVar[str] = """
    DuplicatesScreen #dupes-box { width: 78; }
    DuplicatesScreen #dupes-table { height: auto; max-height: 8; margin: 1 0; }
    DuplicatesScreen #dupes-buttons { height: 1; margin: 0 0 1 0; }
    DuplicatesScreen #dupes-buttons Button { margin: 0 2 0 0; }
    """

    def __init__(
        self,
        candidates: list[PatientCandidate],
        anyway: str,
        editing: PatientSummary | None = None,
    ) -> None:
        super().__init__()
        self.candidates = candidates
        self.anyway = anyway
        self.editing = editing

    def compose(self) -> ComposeResult:
        many = len(self.candidates) > 1
        with Vertical(id="dupes-box", classes="dialog"):
            yield Static(
                f"{len(self.candidates)} records may be this patient"
                if many
                else "This patient may be registered already",
                classes="title",
            )
            table: DataTable[str] = DataTable(id="dupes-table", cursor_type="row")
            for label, width in COLUMNS:
                table.add_column(label, width=width)
            yield table
            with Horizontal(id="dupes-buttons"):
                yield Button("Open", id="open", variant="primary", compact=True)
                yield Button(self.anyway, id="anyway", variant="warning", compact=True)
            hint = "↑↓ choose · " if many else ""
            merge = ""
            if self.session.staff.role == Role.ADMIN:
                key = display_of("dupes.merge", "ctrl+g", self.app.keymap)
                merge = f" · {key} merge"
            yield Static(
                f"{hint}Tab to the other button · Esc back to the form{merge}", classes="hint"
            )
        yield DeskFooter()

    def on_mount(self) -> None:
        table = self.query_one("#dupes-table", DataTable)
        for c in self.candidates:
            p = c.patient
            name = self.app.fit(p.name_en or p.name_ar or "", COLUMNS[1][1])
            table.add_row(p.mrn, name, p.phone, desk_date(p.date_of_birth), why(c))
        self.label_open()
        self.query_one("#open", Button).focus()

    @property
    def chosen(self) -> PatientSummary:
        table = self.query_one("#dupes-table", DataTable)
        return self.candidates[min(table.cursor_row, len(self.candidates) - 1)].patient

    def label_open(self) -> None:
        p = self.chosen
        self.query_one("#open", Button).label = f"Open {p.mrn} {p.name_en or p.name_ar}"[:40]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.label_open()

    def action_move(self, delta: int) -> None:
        table = self.query_one("#dupes-table", DataTable)
        row = max(0, min(table.row_count - 1, table.cursor_row + delta))
        table.cursor_coordinate = Coordinate(row, 0)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "open":
            self.dismiss(DuplicateChoice(open=self.chosen))
        else:
            self.dismiss(DuplicateChoice(go_on=True))

    def action_cancel(self) -> None:
        self.dismiss(DuplicateChoice())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "merge":
            return self.session.staff.role == Role.ADMIN
        return True

    def action_merge(self) -> None:
        self.merge(self.chosen)

    @work(exclusive=True, group=DIALOG_WORKERS, exit_on_error=False)
    async def merge(self, keep: PatientSummary) -> None:
        from deskbook.tui.screens.merge import merge_into

        if await merge_into(self, keep, self.editing):
            self.dismiss(DuplicateChoice(open=keep))
