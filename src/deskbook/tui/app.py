"""The Textual App: signs a receptionist in and holds the staff-scoped Desk session.

Everything the desk does lives in the screens (deskbook.tui.screens); this file only wires the
keymap, the theme, the global actions and a clean exit when the terminal goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.filter import LineFilter, Monochrome, NoColor
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES, Theme
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from deskbook.config import Settings
from deskbook.display import BidiMode
from deskbook.errors import DeskError
from deskbook.statuses import Role
from deskbook.tui.actions import (
    ACTIONS,
    actions_of,
    bindings,
    display_of,
    key_display,
    key_of,
    keymap_from_env,
)
from deskbook.tui.bidi import BidiState
from deskbook.tui.navigation import Navigation
from deskbook.tui.navigation import scope_of as _scope
from deskbook.tui.widgets.db_banner import database_answers, show_banner
from deskbook.tui.widgets.desk_header import tenant_tz

if TYPE_CHECKING:
    from deskbook.desk import Desk, DeskSession


HANGUP_GRACE_SECONDS = 2.0
DAY_SCREENS = (
    "deskbook.tui.screens.board",
    "deskbook.tui.screens.daysheet",
    "deskbook.tui.screens.patient",
)
QUIT = "Quit"

# 16 colours and NO_COLOR: the terminal's own colours, and every cursor (a table's row, a list's
# option, focused or not) in reverse video, which every terminal shows, colours or none.
_ANSI_DARK = BUILTIN_THEMES["ansi-dark"]
ANSI_THEME = Theme(
    name="deskbook-ansi",
    primary=_ANSI_DARK.primary,
    secondary=_ANSI_DARK.secondary,
    warning=_ANSI_DARK.warning,
    error=_ANSI_DARK.error,
    success=_ANSI_DARK.success,
    accent=_ANSI_DARK.accent,
    foreground=_ANSI_DARK.foreground,
    background=_ANSI_DARK.background,
    surface=_ANSI_DARK.surface,
    panel=_ANSI_DARK.panel,
    boost=_ANSI_DARK.boost,
    dark=True,
    ansi=True,
    variables={
        **_ANSI_DARK.variables,
        "block-cursor-foreground": "ansi_default",
        "block-cursor-background": "ansi_default",
        "block-cursor-text-style": "bold reverse",
        "block-cursor-blurred-foreground": "ansi_default",
        "block-cursor-blurred-background": "ansi_default",
        "block-cursor-blurred-text-style": "reverse",
    },
)


class DeskApp(Navigation):
    CSS_PATH = "app.tcss"
    TITLE = "deskbook"
    BINDINGS = bindings("app")
    # How often to look for a database that went away.
    PROBE_SECONDS = 2.0

    def __init__(
        self,
        desk: Desk | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        url: str | None = None,
        bidi: BidiMode | None = None,
    ):
        super().__init__()
        # How Arabic is painted: DESKBOOK_BIDI (bidi), else the login's or the terminal's.
        self.arabic = BidiState(bidi, os.environ)
        self.desk = desk
        self.url = url
        # The database opens in a thread while the login screen is already up: the domain
        # imports (SQLAlchemy models, Alembic, argon2) then overlap with typing the password.
        self.desk_ready = threading.Event()
        if desk is not None:
            self.desk_ready.set()
        self.open_error: DeskError | None = None
        self.username = username
        # Only for tests and the benchmark: sign in without typing.
        self.password = password
        self.session: DeskSession | None = None
        # Set while the database answers; cleared by an outage until the probe finds it again.
        self.database_up = asyncio.Event()
        self.database_up.set()
        self.keymap, self.refused_keys = keymap_from_env()
        # Receptionists over ssh: nothing slides, nothing fades.
        self.animation_level = "none"
        self._probe_timer: Timer | None = None
        self._probe: Worker[bool] | None = None
        self.register_theme(ANSI_THEME)
        # Textual picks its NO_COLOR filter by the theme of the moment (textual-dark, so
        # Monochrome, which turns the terminal's own colours to black); the theme is ANSI by
        # the time anything is drawn, and NoColor keeps it readable.
        self._no_color_filter = NoColor()

    def get_line_filters(self) -> list[LineFilter]:
        return [
            self._no_color_filter if isinstance(f, Monochrome) and self.native_ansi_color else f
            for f in super().get_line_filters()
        ]

    @property
    def _background_screens(self) -> list[Screen[object]]:
        # Textual counts the screen under the top one as seen through it even when the top one
        # is opaque, so it keeps laying out and drawing a screen nobody sees, and repaints the
        # whole screen on top for any change there: a clock or a cursor blinking, another
        # desk's change reloading the day sheet under a patient. Only a dialog lets the
        # screens under it be seen.
        stack = self._screen_stack  # not the copy screen_stack makes: asked on every update
        if stack and stack[-1].styles.background.a == 1:
            return []
        return super()._background_screens

    def on_mount(self) -> None:
        from deskbook.tui.screens.login import LoginScreen

        self.push_screen(LoginScreen(self.username, self.password))
        if self.desk is None:
            self.run_worker(self._open_desk, thread=True, exit_on_error=False, name="open")
        if self.keymap:
            self.set_keymap(self.keymap)
        if self.refused_keys:
            self.notify(
                "Ignored in DESKBOOK_KEYMAP: " + "; ".join(self.refused_keys), severity="warning"
            )
        self.theme = _theme_for(self.console.color_system)
        self._to_terminal(self.arabic.start())
        # The terminal went away (ssh dropped, window closed): leave, do not spin.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._terminal_gone)

    def _terminal_gone(self) -> None:
        # Textual's shutdown writes to the terminal and can wedge on a pty that is gone (seen
        # under tmux kill-server: the writer queue never drains). Every write is one
        # transaction, so nothing is lost by not waiting: leave for sure after a grace period.
        watchdog = threading.Timer(HANGUP_GRACE_SECONDS, os._exit, args=(129,))
        watchdog.daemon = True
        watchdog.start()
        self.exit(return_code=129)

    def _open_desk(self) -> None:
        from deskbook.desk import Desk

        try:
            self.desk = Desk.open(self.url or "")
        except DeskError as exc:
            self.open_error = exc
            self.call_from_thread(self.exit, None, 1)
        finally:
            self.desk_ready.set()

    def login(self, username: str, password: str) -> DeskSession:
        """Sign in (in a worker thread): waits for the database if it is still opening."""
        self.desk_ready.wait()
        if self.desk is None:
            raise self.open_error or DeskError("The database could not be opened.")
        return self.desk.login(username, password)

    def signed_in(self, session: DeskSession) -> None:
        from deskbook.tui.screens.search import SearchScreen

        self.session = session
        staff = session.staff
        self._keep_bidi(session)
        self.title = staff.tenant_name or "deskbook"
        self.sub_title = f"{staff.display_name} ({staff.role.replace('_', ' ').lower()})"
        self.switch_screen(SearchScreen())
        self.warm_day_screens(session, self.size.width)

    @work(thread=True, exclusive=True, exit_on_error=False, group="warm-up")
    def warm_day_screens(self, session: DeskSession, width: int) -> None:
        """Import the day's screens while the desk looks at the search box: their imports
        (board, day sheet, patient, and the dialogs they share) were ~50-90 ms of the first
        F5 or F3, paid again by nothing after. Then read the board F5 would open once, its
        answer thrown away: building its statements for the first time and the database's
        first look at the day were another ~50-200 ms of the first F5."""
        for module in DAY_SCREENS:
            importlib.import_module(module)
        from deskbook.tui.screens.board import read_opening

        today = datetime.now(UTC).astimezone(tenant_tz(session.staff)).date()
        # A login that may not see the board, or a database gone: F5 itself says so.
        with contextlib.suppress(DeskError):
            read_opening(session, None, today, 0, width)

    # -- Arabic ---------------------------------------------------------------------------

    def paint(self, text: str) -> str:
        """One field's text as it is to be painted (deskbook.display)."""
        return self.arabic.paint(text)

    def fit(self, text: str, width: int) -> str:
        """One field cut to width cells, with …, as it is to be painted."""
        return self.arabic.fit(text, width)

    def use_bidi(self, mode: BidiMode) -> None:
        """The answer of the check on the login screen: paint so from now on, and keep it
        for the login that signs in."""
        self.arabic.answered = mode
        self._to_terminal(self.arabic.choose(mode))

    def _keep_bidi(self, session: DeskSession) -> None:
        answered = self.arabic.answered
        if answered is not None and answered.value != session.staff.display_mode:
            self.run_worker(
                partial(session.set_display_mode, answered.value),
                name="display-mode",
                thread=True,
                exit_on_error=False,
            )
        stored = self.arabic.after_sign_in(session.staff.display_mode)
        if stored is not None:
            self._to_terminal(self.arabic.choose(stored))

    def _to_terminal(self, escape: str) -> None:
        # In order with Textual's own output: through its driver (no public writer exists).
        if escape and self._driver is not None and not self.is_web:
            self._driver.write(escape)

    # -- database trouble -----------------------------------------------------------------

    @property
    def database_down(self) -> bool:
        return self._probe_timer is not None

    def lost_database(self) -> None:
        """A Desk call could not reach the database. Nothing moves or clears: the screens
        keep what was typed, a banner says so, and a probe looks for the server until it
        answers. Every failing call lands here; only the first one starts the probe."""
        show_banner(self.screen, True)
        self.database_up.clear()
        if self._probe_timer is None:
            self._probe_timer = self.set_interval(self.PROBE_SECONDS, self._start_probe)

    def _start_probe(self) -> None:
        # A silent server takes the connect timeout to give up: one probe at a time.
        if self.session is None or (self._probe is not None and self._probe.is_running):
            return
        self._probe = self.run_worker(
            partial(database_answers, self.session),
            name="db-probe",
            group="db-probe",
            thread=True,
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        from deskbook.tui.screens.base import DeskScreen

        worker = event.worker
        if worker.name == "display-mode" and event.state == WorkerState.ERROR:
            self.notify(f"The Arabic display choice was not kept: {worker.error}", timeout=8)
        if worker is not self._probe or event.state != WorkerState.SUCCESS:
            return
        if worker.result and self._probe_timer is not None:
            self._probe_timer.stop()
            self._probe_timer = None
            self._probe = None
            self.notify("Database is back.", timeout=5)
            self.database_up.set()
            for screen in self.screen_stack:
                show_banner(screen, False)
                if isinstance(screen, DeskScreen):
                    screen.database_back()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self._screen_owns_key_of(action):
            return False  # the screen's binding of that key runs instead
        if action in ("audit", "reports", "logins"):
            # Only an administrator sees the key at all; the Desk refuses the others anyway.
            return self.session is not None and self.session.staff.role == Role.ADMIN
        return not (action in ("search", "day_sheet", "expiring", "board") and self.session is None)

    def _screen_owns_key_of(self, action: str) -> bool:
        """Whether the screen binds the key of this app action to an action of its own (the
        login's F5, or a key a DESKBOOK_KEYMAP moved there). The function keys are bound with
        priority so that they work in dialogs too; a screen's own use of the key still wins,
        as it would without the priority."""
        mine = next((a for a in actions_of("app") if a.action == action and a.priority), None)
        scope = _scope(self.screen)
        if mine is None or not scope or scope == "app":
            return False
        key = key_of(mine, self.keymap)
        return any(key_of(a, self.keymap) == key for a in actions_of(scope))

    async def action_quit(self) -> None:
        """Quit, but ask first when a form holds what someone typed."""
        from deskbook.tui.screens.base import DeskScreen
        from deskbook.tui.screens.pickers import DangerConfirm

        if isinstance(self.screen, DangerConfirm) and self.screen.yes == QUIT:
            self.exit()  # ctrl+q twice
            return
        typed = [s.unsaved() for s in self.screen_stack if isinstance(s, DeskScreen)]
        lost = [f"{what} will be lost." for what in typed if what]
        if not lost:
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(DangerConfirm("Quit deskbook?", lost, QUIT), answered)

    def get_key_display(self, binding: Binding) -> str:
        """The footer's keys as the registry shows them (every key of the action, as printed
        on the keyboard), so footer, help and palette agree."""
        if binding.key_display:
            return binding.key_display
        return display_of(binding.id, binding.key, self.keymap)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette offers the registry's actions that the screen allows right now."""
        for action in (*actions_of(_scope(screen)), *actions_of("app")):
            target: App[None] | Screen[object] = self if action.scope == "app" else screen
            name = action.action.split("(", 1)[0]
            if target.check_action(name, ()) is False:
                continue
            if action.scope == "app" and action.id == "app.quit":
                continue
            yield SystemCommand(
                action.description,
                f"{key_display(key_of(action, self.keymap))}  ·  {action.id}",
                partial(self.call_later, target.run_action, action.action),
            )
        yield from super().get_system_commands(screen)


def _theme_for(color_system: str | None) -> str:
    """ANSI colours in a 16-colour terminal or with NO_COLOR, so text stays readable."""
    chosen = Settings.from_env().theme
    if chosen:
        return chosen
    if os.environ.get("NO_COLOR") or color_system in (None, "standard", "windows"):
        return ANSI_THEME.name
    return "textual-dark"


def run_app(url: str, username: str | None = None) -> None:
    """Run the front desk on the database at url. A database that cannot be opened ends the
    app at once and raises its DeskError, so the CLI prints it as one line."""
    from deskbook.config import Settings

    app = DeskApp(username=username, url=url, bidi=Settings.from_env(url).bidi)
    # What is loaded by now (modules, classes, the schema's metadata: some 100,000 objects)
    # lives as long as the desk. Left to the collector, each full collection walks all of it
    # again (about 50 ms here, a stall a receptionist sees in the middle of a search); frozen,
    # a collection walks only what the shift made since.
    gc.freeze()
    try:
        app.run()
    finally:
        # The terminal's own BiDi back on, after Textual has given the terminal back.
        restore = app.arabic.at_exit()
        if restore and sys.__stderr__ is not None:
            sys.__stderr__.write(restore)
            sys.__stderr__.flush()
        app.desk_ready.wait(timeout=10)
        if app.desk is not None:
            app.desk.close()
    if app.open_error is not None:
        raise app.open_error


__all__ = ["ACTIONS", "DeskApp", "run_app"]
