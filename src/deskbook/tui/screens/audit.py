"""The audit log, for an administrator: who did what or looked at whom, when, from which desk.

Names instead of ids (the staff member's name, the patient's name and MRN), the clinic's local
time instead of UTC, filters by patient MRN, staff, action and days, and a page at a time.
"""

from __future__ import annotations

import json
from datetime import date
from functools import partial

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Static

from deskbook.errors import DeskError, InvalidInput
from deskbook.results import AuditView
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader
from deskbook.tui.widgets.desk_table import DeskTable

# One page of events; the Desk pages in the database, the table never holds more than this.
MAX_EVENTS = 200
FILTERS = (
    ("audit-patient", "Patient MRN"),
    ("audit-staff", "Staff"),
    ("audit-action", "Action"),
    ("audit-from", "From YYYY-MM-DD"),
    ("audit-to", "To YYYY-MM-DD"),
)


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


def _about(event: AuditView) -> str:
    """What the event is about, as the desk knows it: a patient by name and MRN."""
    if event.patient_name is not None:
        return f"{event.patient_name} · {event.patient_mrn}"
    return event.entity


def _day(text: str, what: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        sentence = f"The {what} day '{text}' is not a date: write it as 2026-11-27."
        raise InvalidInput(sentence) from None


class AuditScreen(DeskScreen[None]):
    SCOPE = "audit"
    BINDINGS = bindings("audit")

    def __init__(self) -> None:
        super().__init__()
        self.events: dict[str, AuditView] = {}
        self.page_start = 0
        self.has_older = False

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("Audit log · newest first", id="audit-title", classes="title")
        with Horizontal(id="audit-filters"):
            for widget_id, placeholder in FILTERS:
                yield Input(placeholder=placeholder, id=widget_id, compact=True)
        table: DataTable[str] = DeskTable(id="audit", cursor_type="row", zebra_stripes=True)
        for label, width in (("When", 17), ("Who", 14), ("Action", 14), ("About", 24)):
            table.add_column(label, width=width)
        yield table
        yield Static("", id="audit-change")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.load()

    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def load(self) -> None:
        try:
            since = _day(self._text("audit-from"), "first")
            until = _day(self._text("audit-to"), "last")
        except DeskError as error:
            self.app.notify(str(error), severity="error")
            return
        action = self._text("audit-action").lower().replace(" ", "_")
        ask = partial(
            self.session.audit_log,
            MAX_EVENTS + 1,  # one more than a page: is there an older page?
            offset=self.page_start,
            patient_mrn=self._text("audit-patient") or None,
            staff=self._text("audit-staff") or None,
            action=action or None,
            since=since,
            until=until,
        )
        self.read("audit", ask, self.show, self.refused)

    def show(self, events: list[AuditView]) -> None:
        self.has_older = len(events) > MAX_EVENTS
        table = self.query_one(DataTable)
        table.clear()
        self.events = {}
        for event in events[:MAX_EVENTS]:
            key = str(event.id)
            self.events[key] = event
            table.add_row(
                event.at.astimezone(self.tz).strftime("%d %b %Y %H:%M"),
                event.staff_name or event.staff_username or "—",
                event.action,
                _about(event),
                key=key,
            )
        shown = len(self.events)
        span = f"events {self.page_start + 1}–{self.page_start + shown}" if shown else "no events"
        more = " · PgDn older" if self.has_older else ""
        newer = " · PgUp newer" if self.page_start else ""
        self.query_one("#audit-title", Static).update(
            f"Audit log · newest first · {span}{newer}{more}"
        )
        if not self.events:
            filtered = any(self._text(widget_id) for widget_id, _ in FILTERS)
            self.query_one("#audit-change", Static).update(
                "No event matches these filters." if filtered else "Nothing has been written yet."
            )

    def refused(self, error: DeskError) -> None:
        self.app.notify(str(error), severity="error")
        self.app.pop_screen()

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        event = self.events.get(str(message.row_key.value))
        if event is None:
            return
        who = event.staff_name or "—"
        if event.staff_username:
            who += f" ({event.staff_username})"
        head = f"{who} · {event.at.astimezone(self.tz):%a %d %b %Y %H:%M:%S}"
        if event.desk:
            head += f" · desk {event.desk}"
        change = _change(event.before, event.after)
        self.query_one("#audit-change", Static).update(f"{head}\n{change}" if change else head)

    def on_input_submitted(self, _message: Input.Submitted) -> None:
        # Enter in any filter applies them all, from the newest event.
        self.page_start = 0
        self.load()
        self.query_one(DataTable).focus()

    def action_filter(self) -> None:
        self.query_one("#audit-patient", Input).focus()

    def action_page(self, step: int) -> None:
        if step > 0 and not self.has_older:
            return
        if step < 0 and self.page_start == 0:
            return
        self.page_start = max(0, self.page_start + step * MAX_EVENTS)
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
