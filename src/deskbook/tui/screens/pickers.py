"""The small dialogs: the appointment type, a pick from a short list (service, clinic,
provider), the confirmation (with the visit's notes), the question before a costly step and the
cancel reason. Each hands its answer back with dismiss(); Escape hands back None (False for a
question), which the booking flow reads as "go back"."""

from __future__ import annotations

from enum import Enum
from typing import Generic, TypeVar

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from deskbook.statuses import AppointmentKind
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskModal
from deskbook.tui.widgets.desk_footer import DeskFooter

T = TypeVar("T")
MAX_OPTIONS = 200


class AnyProvider(Enum):
    """The provider pick's top row: the earliest free slot in the clinic, whoever gives it."""

    FIRST_AVAILABLE = "first-available"


FIRST_AVAILABLE = AnyProvider.FIRST_AVAILABLE


class BookingTypeScreen(DeskModal[AppointmentKind | None]):
    SCOPE = "type"
    BINDINGS = bindings("type")

    def __init__(self, patient_name: str) -> None:
        super().__init__()
        self.patient_name = patient_name

    def compose(self) -> ComposeResult:
        with Vertical(id="type-box", classes="dialog"):
            yield Static(f"Book for {self.patient_name}", classes="title", markup=False)
            options = OptionList(
                Option("s  Single session", id=AppointmentKind.SINGLE),
                Option("p  Use package", id=AppointmentKind.PACKAGE),
                Option("g  Join group session", id=AppointmentKind.GROUP),
                id="types",
            )
            yield options
        yield DeskFooter()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_choose(event.option.id or "")

    def action_choose(self, kind: str) -> None:
        self.dismiss(AppointmentKind(kind))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickScreen(DeskModal[T | None], Generic[T]):
    """Choose one of a short list. With `top` a row is put above the list that "f" picks too
    (the provider pick's "first available")."""

    SCOPE = "pick"
    BINDINGS = bindings("pick")

    def __init__(
        self, title: str, options: list[tuple[str, T]], *, top: tuple[str, T] | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.options = ([top] if top is not None else []) + options[:MAX_OPTIONS]
        self.top = top

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box", classes="dialog"):
            yield Static(self.title_text, classes="title", markup=False)
            items = [Option(label) for label, _ in self.options]
            yield OptionList(*items, id="pick-list", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "first_available":
            return self.top is not None
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.options[event.option_index][1])

    def action_choose(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None:
            self.dismiss(self.options[highlighted][1])

    def action_first_available(self) -> None:
        if self.top is not None:
            self.dismiss(self.top[1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(DeskModal[bool]):
    """The last look before writing: every line names what will be booked. With `notes` a
    field takes the visit's notes (read from `notes` once confirmed); Enter confirms."""

    SCOPE = "confirm"
    BINDINGS = bindings("confirm")

    def __init__(self, title: str, lines: list[str], *, notes: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.with_notes = notes
        self.notes = ""  # what the notes field held when the booking was confirmed

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(self.title_text, classes="title", markup=False)
            yield Static("\n".join(self.lines), id="confirm-text", markup=False)
            if self.with_notes:
                yield Input(placeholder="Notes for the visit (optional)", id="notes", compact=True)
            yield Static("Enter confirms · Esc goes back", classes="hint")
        yield DeskFooter()

    def on_mount(self) -> None:
        if self.with_notes:
            self.query_one("#notes", Input).focus()

    def _typed(self) -> str:
        return self.query_one("#notes", Input).value.strip() if self.with_notes else ""

    def unsaved(self) -> str | None:
        return "The visit's notes" if self._typed() else None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def on_click(self, event: events.Click) -> None:
        if event.chain >= 2:
            self.action_confirm()

    def action_confirm(self) -> None:
        self.notes = self._typed()
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class DangerConfirm(DeskModal[bool]):
    """The one question before a costly step (selling a package, a void, a no-show, extending,
    transferring or cancelling a package, cancelling a course's visits, quitting with a form half
    filled). Every line names what it will do; the focus starts on "Back", so a hurried Enter
    changes nothing: Tab (or →) then Enter does it, Esc backs out."""

    SCOPE = "danger"
    BINDINGS = bindings("danger")

    def __init__(self, title: str, lines: list[str], yes: str) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="danger-box", classes="dialog"):
            yield Static(self.title_text, classes="title", markup=False)
            yield Static("\n".join(self.lines), id="danger-text", markup=False)
            with Horizontal(id="danger-buttons"):
                yield Button("Back", id="back", variant="primary", compact=True)
                yield Button(self.yes, id="yes", variant="error", compact=True)
            yield Static(
                f"Enter on Back changes nothing · Tab, Enter: {self.yes}",
                classes="hint",
                markup=False,
            )
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one("#back", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_cancel(self) -> None:
        self.dismiss(False)


class ReasonScreen(DeskModal[str | None]):
    """Ask why an appointment is cancelled, naming the visit it cancels; the reason is kept."""

    SCOPE = "reason"
    BINDINGS = bindings("reason")

    def __init__(self, visit: list[str]) -> None:
        super().__init__()
        self.visit = visit

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-box", classes="dialog"):
            yield Static("Cancel this appointment?", classes="title")
            yield Static("\n".join(self.visit), id="reason-visit", markup=False)
            yield Input(placeholder="Reason (e.g. patient called)", id="reason")
            yield Static("Enter cancels it · Esc keeps it", classes="hint")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def unsaved(self) -> str | None:
        return "The cancel reason" if self.query_one(Input).value.strip() else None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        self.dismiss(self.query_one(Input).value.strip() or "cancelled at the desk")

    def action_cancel(self) -> None:
        self.dismiss(None)
