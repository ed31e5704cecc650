"""Small forms and the costly-action confirmation for the money and package screens.

FormDialog asks a few fields and hands back what was typed (Escape: None); the last look before
something that cannot be taken back is pickers.DangerConfirm, the desk's one such question.
`write_now` makes a write from a coroutine (the
package and payment dialogs run as one, like the booking flow): never made again by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label, Select, Static
from textual.worker import Worker

from deskbook.errors import DatabaseError, DeskError
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import FETCH_WORKERS, DeskModal, DeskScreen
from deskbook.tui.widgets.desk_footer import DeskFooter

T = TypeVar("T")


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    value: str = ""
    placeholder: str = ""
    choices: tuple[str, ...] = ()  # a Select of these instead of an Input


class FormDialog(DeskModal[dict[str, str] | None]):
    SCOPE = "form"
    BINDINGS = bindings("form")

    def __init__(self, title: str, info: str, fields: list[Field]) -> None:
        super().__init__()
        self.title_text = title
        self.info = info
        self.fields = fields

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-box"):
            yield Static(self.title_text, classes="title", markup=False)
            if self.info:
                yield Static(self.info, classes="hint form-info", markup=False)
            with Grid(classes="form-grid"):
                for f in self.fields:
                    yield Label(f.label)
                    if f.choices:
                        yield Select(
                            [(c, c) for c in f.choices],
                            value=f.value or f.choices[0],
                            allow_blank=False,
                            id=f"field-{f.id}",
                            compact=True,
                        )
                    else:
                        yield Input(
                            f.value, placeholder=f.placeholder, id=f"field-{f.id}", compact=True
                        )
            yield Static("Enter goes on · Esc goes back", classes="hint")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one(f"#field-{self.fields[0].id}").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        values: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.id}")
            if isinstance(widget, Input):
                values[f.id] = widget.value.strip()
            elif isinstance(widget, Select):
                values[f.id] = str(widget.value)
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


async def write_now(host: DeskScreen[Any], change: Callable[[], T]) -> T:
    """A write made in a thread for a coroutine; a DeskError is raised. A lost database starts
    the banner and the probe, and the error says the change may not have been made."""

    def attempt() -> T | DeskError:
        try:
            return change()
        except DeskError as error:
            return error

    worker: Worker[T | DeskError] = host.run_worker(
        attempt, group=FETCH_WORKERS, thread=True, exit_on_error=False
    )
    answer = await worker.wait()
    if isinstance(answer, DatabaseError):
        host.app.lost_database()
    if isinstance(answer, DeskError):
        raise answer
    return answer
