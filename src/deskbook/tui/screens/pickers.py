"""Small steps of the booking flow: the appointment type, a pick from a short list (service,
clinic, provider), and the confirmation. Each returns its answer with dismiss(); Escape
returns None, which the flow reads as "go back"."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskModal

FIRST_AVAILABLE = "first-available"
MAX_OPTIONS = 200


class BookingTypeScreen(DeskModal):
    SCOPE = "type"
    BINDINGS = bindings("type")

    def __init__(self, patient_name: str) -> None:
        super().__init__()
        self.patient_name = patient_name

    def compose(self) -> ComposeResult:
        with Vertical(id="type-box", classes="dialog"):
            yield Static(f"Book for {self.patient_name}", classes="title", markup=False)
            options = OptionList(
                Option("s  Single session", id="single"),
                Option("p  Use package", id="package"),
                Option("g  Join group session", id="group"),
                id="types",
            )
            yield options
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_choose(self, kind: str) -> None:
        self.dismiss(kind)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickScreen(DeskModal):
    """Choose one of a short list; with `first_available`, "f" (or the top row) asks for the
    earliest free slot across the list instead."""

    SCOPE = "pick"
    BINDINGS = bindings("pick")

    def __init__(
        self, title: str, options: list[tuple[str, Any]], *, first_available: bool = False
    ) -> None:
        super().__init__()
        self.title_text = title
        self.values: list[Any] = [value for _, value in options[:MAX_OPTIONS]]
        self.labels = [label for label, _ in options[:MAX_OPTIONS]]
        self.first_available = first_available

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box", classes="dialog"):
            yield Static(self.title_text, classes="title", markup=False)
            items = [Option(label) for label in self.labels]
            if self.first_available:
                items.insert(0, Option("» First available (any provider)"))
            yield OptionList(*items, id="pick-list", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "first_available":
            return self.first_available
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_index)

    def action_choose(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None:
            self._pick(highlighted)

    def _pick(self, index: int) -> None:
        if self.first_available:
            if index == 0:
                self.dismiss(FIRST_AVAILABLE)
                return
            index -= 1
        self.dismiss(self.values[index])

    def action_first_available(self) -> None:
        self.dismiss(FIRST_AVAILABLE)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(DeskModal):
    """The last look before writing: every line names what will be booked."""

    SCOPE = "confirm"
    BINDINGS = bindings("confirm")

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(self.title_text, classes="title", markup=False)
            yield Static("\n".join(self.lines), id="confirm-text", markup=False)
            yield Static("Enter confirms · Esc goes back", classes="hint")
        yield Footer()

    def on_click(self, event: events.Click) -> None:
        if event.chain >= 2:
            self.dismiss(True)

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
