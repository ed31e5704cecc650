"""The keys: every action of the registry with the key it has now (after DESKBOOK_KEYMAP)."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from deskbook.tui.actions import KEYMAP_ENV, SCOPE_TITLES, describe_keys
from deskbook.tui.widgets.desk_table import DeskTable


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1", "dismiss_help", "Close", id="help.close")]  # noqa: RUF012

    def __init__(self, scope: str, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.scope = scope
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Static("Keys — this screen first", classes="title")
            table: DataTable[str] = DeskTable(id="keys", cursor_type="row")
            table.add_columns("Where", "Key", "Does")
            scopes = [self.scope, "app"] + [s for s in SCOPE_TITLES if s not in (self.scope, "app")]
            for where, key, does in describe_keys(scopes, self.keymap):
                table.add_row(where, key, does)
            yield table
            yield Static(
                f"Ctrl+P finds any action by name · Move a key: {KEYMAP_ENV}='patient.book=f5;…'"
                " · Esc closes",
                classes="hint",
            )

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
