"""Small dialogs the board and the grids share: go to a date, find a patient to book."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import partial

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from deskbook.results import PatientSummary
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskModal
from deskbook.tui.widgets.desk_footer import DeskFooter

FOUND_SHOWN = 20


def parse_day(text: str, today: date) -> date:
    """2026-12-03, 3/12 (this year), 3/12/2026, +7 or -2 (days from today), or a weekday name
    (the next one)."""
    text = text.strip().lower()
    if re.fullmatch(r"[+-]\d{1,3}", text):
        return today + timedelta(days=int(text))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text)
    parts = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}))?", text)
    if parts:
        day, month, year = parts.groups()
        return date(int(year or today.year), int(month), int(day))
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    if text[:3] in names and text:
        ahead = (names.index(text[:3]) - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    raise ValueError(f"Not a date: {text!r} (write 2026-12-03, 3/12, +7 or sun).")


class DateScreen(DeskModal[date | None]):
    SCOPE = "date"
    BINDINGS = bindings("date")

    def __init__(self, today: date) -> None:
        super().__init__()
        self.today = today

    def compose(self) -> ComposeResult:
        with Vertical(id="date-box", classes="dialog"):
            yield Static("Go to date", classes="title")
            yield Input(placeholder="2026-12-03, 3/12, +7 or sun", id="date")
            yield Static("", id="date-error", classes="error", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_go()

    def action_go(self) -> None:
        try:
            day = parse_day(self.query_one(Input).value, self.today)
        except ValueError as error:
            self.query_one("#date-error", Static).update(str(error))
            return
        self.dismiss(day)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PatientFinder(DeskModal[PatientSummary | None]):
    """Type a name, phone or MRN; ↓ to the list; Enter takes the patient."""

    SCOPE = "finder"
    BINDINGS = bindings("finder")

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title
        self.found: list[PatientSummary] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="finder-box", classes="dialog"):
            yield Static(self.title_text, classes="title", markup=False)
            yield Input(placeholder="Name, phone or MRN", id="finder-query")
            yield OptionList(id="finder-list", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value.strip()
        if len(text) < 2:
            self.show([])
            return
        self.read("find", partial(self.session.search_patients, text, FOUND_SHOWN), self.show)

    def show(self, found: list[PatientSummary]) -> None:
        self.found = found
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(Option(f"{p.name_en}  {p.mrn}  ☎ {p.phone}") for p in found)
        if found:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_take()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_take()

    def action_down(self) -> None:
        self.query_one(OptionList).focus()

    def action_take(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None and index < len(self.found):
            self.dismiss(self.found[index])

    def action_cancel(self) -> None:
        self.dismiss(None)
