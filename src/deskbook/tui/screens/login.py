"""Sign in: staff username and password. `--user NAME` fills the name and starts in the
password field."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Header, Input, Label, Static

from deskbook.errors import DeskError
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen

if TYPE_CHECKING:
    from deskbook.desk import DeskSession


class LoginScreen(DeskScreen[None]):
    SCOPE = "login"
    BINDINGS = bindings("login")

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        super().__init__()
        self.username = username or ""
        self.password = password or ""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True, time_format="%H:%M", icon="")
        with Vertical(id="login-box"):
            yield Static("Sign in to the front desk", classes="title")
            yield Label("Username")
            yield Input(self.username, placeholder="username", id="username")
            yield Label("Password")
            yield Input(self.password, placeholder="password", password=True, id="password")
            yield Static("", id="login-error", classes="error")
        yield Footer()

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

    def signed_in(self, session: DeskSession) -> None:
        self.app.signed_in(session)

    def refused(self, error: DeskError) -> None:
        self.query_one("#login-error", Static).update(str(error))
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()
