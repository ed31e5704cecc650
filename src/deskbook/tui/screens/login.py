"""Sign in: staff username and password. `--user NAME` fills the name and starts in the
password field."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from deskbook.display import CHECK_WORD, BidiMode, parse_mode, visual
from deskbook.errors import DeskError
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen
from deskbook.tui.widgets.desk_footer import DeskFooter
from deskbook.tui.widgets.desk_header import DeskHeader

if TYPE_CHECKING:
    from deskbook.desk import DeskSession


SAID = {
    BidiMode.APP: "deskbook joins and orders it.",
    BidiMode.TERMINAL: "the terminal joins and orders it.",
}


class LoginScreen(DeskScreen[None]):
    SCOPE = "login"
    BINDINGS = bindings("login")

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        super().__init__()
        self.username = username or ""
        self.password = password or ""

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with Vertical(id="login-box"):
            yield Static("Sign in to the front desk", classes="title")
            yield Label("Username")
            yield Input(self.username, placeholder="username", id="username")
            yield Label("Password")
            yield Input(self.password, placeholder="password", password=True, id="password")
            yield Static("", id="login-error", classes="error")
        yield DeskFooter()

    def on_mount(self) -> None:
        target = "#password" if self.username else "#username"
        self.query_one(target, Input).focus()
        if self.username and self.password:
            self.action_submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "username" and not self.query_one("#password", Input).value:
            self.query_one("#password", Input).focus()
            return
        self.action_submit()

    def action_submit(self) -> None:
        name = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        if not name:
            self.query_one("#username", Input).focus()
            return
        self.query_one("#login-error", Static).update("Signing in…")
        # A write: a sign-in counts failed attempts, so it is never made again by itself.
        self.write("login", partial(self.app.login, name, password), self.signed_in, self.refused)

    def action_arabic_check(self) -> None:
        self.app.push_screen(ArabicCheck(), self.checked)

    def checked(self, mode: BidiMode | None) -> None:
        if mode is not None:
            self.app.use_bidi(mode)
            self.notify(f"Arabic: {SAID[mode]} Kept for your login.", timeout=6)

    def signed_in(self, session: DeskSession) -> None:
        self.app.signed_in(session)

    def refused(self, error: DeskError) -> None:
        self.query_one("#login-error", Static).update(str(error))
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()


class ArabicCheck(ModalScreen[BidiMode | None]):
    """Over ssh the app cannot know what the terminal does with Arabic: the receptionist
    sees one word painted two ways and says which one reads right."""

    SCOPE = "check"
    BINDINGS = bindings("check")

    def compose(self) -> ComposeResult:
        with Vertical(id="arabic-check"):
            yield Static("Which line shows the Arabic word for clinic,", classes="title")
            yield Static("letters joined, read from right to left?")
            # Each sample is one field, as every name on screen is.
            yield Static(f"  1   {visual(CHECK_WORD)}", id="sample-app", markup=False)
            yield Static(f"  2   {CHECK_WORD}", id="sample-terminal", markup=False)
            yield Static("Press 1 or 2 · Esc keeps it as it is", classes="hint")

    def action_answer(self, mode: str) -> None:
        self.dismiss(parse_mode(mode) if mode else None)
