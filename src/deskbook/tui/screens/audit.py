"""The audit log, for an administrator: who did what, when, and what it changed."""

from __future__ import annotations

import json
from functools import partial

from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from deskbook.errors import DeskError
from deskbook.results import AuditView
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen, when

# The newest events; the Desk pages in the database, the table never holds more than this.
MAX_EVENTS = 200


def _change(before: str | None, after: str | None) -> str:
    """The fields a write changed, as 'field: old → new', one per line."""
    if not before and not after:
        return ""
    old = json.loads(before) if before else {}
    new = json.loads(after) if after else {}
    if not isinstance(old, dict) or not isinstance(new, dict):
        return f"{before or '—'} → {after or '—'}"
    lines = [
        f"{key}: {old.get(key, '—')} → {new.get(key, '—')}"
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]
    return "\n".join(lines) or "no field changed"


class AuditScreen(DeskScreen[None]):
    SCOPE = "audit"
    BINDINGS = bindings("audit")

    def __init__(self) -> None:
        super().__init__()
        self.events: dict[str, AuditView] = {}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True, time_format="%H:%M", icon="")
        yield Static("Audit log · newest first", classes="title")
        table: DataTable[str] = DataTable(id="audit", cursor_type="row", zebra_stripes=True)
        for label, width in (("When", 21), ("Who", 12), ("Action", 18), ("What", 16)):
            table.add_column(label, width=width)
        yield table
        yield Static("", id="audit-change")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.read("audit", partial(self.session.audit_log, MAX_EVENTS), self.show, self.refused)

    def show(self, events: list[AuditView]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.events = {}
        for event in events[:MAX_EVENTS]:
            key = str(event.id)
            self.events[key] = event
            table.add_row(
                when(event.at, self.tz),
                event.staff_username or "—",
                event.action,
                event.entity,
                key=key,
            )
        if not self.events:
            self.query_one("#audit-change", Static).update("Nothing has been written yet.")

    def refused(self, error: DeskError) -> None:
        self.app.notify(str(error), severity="error")
        self.app.pop_screen()

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        event = self.events.get(str(message.row_key.value))
        if event is not None:
            self.query_one("#audit-change", Static).update(_change(event.before, event.after))

    def action_back(self) -> None:
        self.app.pop_screen()
