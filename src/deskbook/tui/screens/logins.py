"""Logins, for administrators (issue 11): unlock a staff member the lockout stopped, or give
them a new password, which unlocks them too. The Desk checks the role, applies the one
password rule and writes the audit event; this screen only asks.

Enter with the password fields empty unlocks the login; with a new password typed twice it
resets the password."""

from __future__ import annotations

from functools import partial

from textual.app import ComposeResult
from textual.widgets import Header, Input, Static

from deskbook.errors import DeskError
from deskbook.results import StaffView
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskScreen
from deskbook.tui.widgets.desk_footer import DeskFooter

HINT = (
    "Enter with no password unlocks the login; with a new password typed twice it sets the "
    "password (and unlocks it)."
)


class LoginsScreen(DeskScreen[None]):
    SCOPE = "logins"
    BINDINGS = bindings("logins")

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True, time_format="%H:%M", icon="")
        yield Static("Unlock a login or reset its password", classes="title")
        yield Input(placeholder="Username", id="logins-username")
        yield Input(placeholder="New password (only to reset)", password=True, id="logins-new")
        yield Input(placeholder="New password again", password=True, id="logins-again")
        yield Static(HINT, id="logins-result", classes="hint")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one("#logins-username", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        username = self.query_one("#logins-username", Input).value.strip()
        new = self.query_one("#logins-new", Input).value
        again = self.query_one("#logins-again", Input).value
        if not username:
            self._say("Type the username first.")
            return
        if not new and not again:
            unlock = partial(self.session.unlock_login, username)
            self.write("unlock", unlock, partial(self._done, "unlocked"), self._refused)
            return
        if new != again:
            self._say("The two new passwords differ; type the same one twice.")
            return
        reset = partial(self.session.reset_password, username, new)
        self.write("reset", reset, partial(self._done, "has a new password"), self._refused)

    def _done(self, what: str, staff: StaffView) -> None:
        for field in ("#logins-new", "#logins-again"):
            self.query_one(field, Input).value = ""
        self._say(f"{staff.display_name} ({staff.username}) {what}; they can sign in now.")
        self.notify(f"{staff.username} {what}.", timeout=6)

    def _refused(self, error: DeskError) -> None:
        self._say(str(error))

    def _say(self, text: str) -> None:
        self.query_one("#logins-result", Static).update(text)

    def action_back(self) -> None:
        self.dismiss(None)
