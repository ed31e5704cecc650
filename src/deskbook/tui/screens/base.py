"""What every screen shares: Desk calls in worker threads that post their answer back.

A screen asks `self.call_desk("slots", session.free_slots, ...)`; the call runs in a thread
worker (exclusive per tag, so a newer question replaces an older one), and the answer comes
back as a message handled on the main thread by `loaded_<tag>` (or `failed_<tag>`, else a
notification). Widgets are only ever touched in those handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from textual import events
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from deskbook.errors import DatabaseError, DeskError
from deskbook.tui.widgets.db_banner import show_banner

DEFAULT_TZ = "Asia/Riyadh"
# Tags of the calls that write. After an outage only reads are made again by themselves: a
# connection lost during COMMIT leaves a write's fate unknown, so the user decides.
WRITES = frozenset({"assign", "book", "cancel", "join", "login", "register", "status"})


class DeskLoaded(Message):
    def __init__(self, tag: str, value: Any) -> None:
        super().__init__()
        self.tag = tag
        self.value = value


class DeskFailed(Message):
    def __init__(self, tag: str, error: DeskError) -> None:
        super().__init__()
        self.tag = tag
        self.error = error


class DeskCalls:
    """Mixed into Screen and ModalScreen."""

    SCOPE = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The last call of each tag, so one the outage stopped can be made again.
        self._desk_calls: dict[str, tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]
        self._desk_calls = {}
        self._waiting: set[str] = set()

    @property
    def session(self) -> Any:
        return self.app.session  # type: ignore[attr-defined]

    @property
    def tz(self) -> tzinfo:
        return tenant_tz(self.session)

    def call_desk(self, tag: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker:
        self._desk_calls[tag] = (fn, args, kwargs)

        def call() -> None:
            worker = get_current_worker()
            try:
                value = fn(*args, **kwargs)
            except DeskError as exc:
                if not worker.is_cancelled:
                    self.post_message(DeskFailed(tag, exc))  # type: ignore[attr-defined]
                return
            if not worker.is_cancelled:
                self.post_message(DeskLoaded(tag, value))  # type: ignore[attr-defined]

        return self.run_worker(  # type: ignore[attr-defined, no-any-return]
            call, name=tag, group=tag, thread=True, exclusive=True, exit_on_error=False
        )

    def on_desk_loaded(self, message: DeskLoaded) -> None:
        message.stop()
        self._waiting.discard(message.tag)
        getattr(self, f"loaded_{message.tag}")(message.value)

    def on_desk_failed(self, message: DeskFailed) -> None:
        message.stop()
        if isinstance(message.error, DatabaseError) and self.app.session is not None:  # type: ignore[attr-defined]
            # Not the user's mistake: the app shows the banner and looks for the server. A
            # read waits for it without its handler (which may close the screen); a write's
            # handler says it was not done and keeps the dialog, so it can be asked again.
            self.app.lost_database()  # type: ignore[attr-defined]
            if message.tag not in WRITES:
                self._waiting.add(message.tag)
                return
        self._waiting.discard(message.tag)
        handler = getattr(self, f"failed_{message.tag}", None)
        if handler is not None:
            handler(message.error)
        else:
            self.app.notify(str(message.error), severity="error")  # type: ignore[attr-defined]

    def database_back(self) -> None:
        """The database answers again: make once more each call the outage stopped. A
        failed write wrote nothing, so this is the user's own last request, not a double."""
        waiting, self._waiting = self._waiting, set()
        for tag in sorted(waiting):
            fn, args, kwargs = self._desk_calls[tag]
            self.call_desk(tag, fn, *args, **kwargs)

    def on_screen_resume(self, _event: events.ScreenResume) -> None:
        # Back on a screen that was covered while the banner came or went.
        show_banner(self, self.app.database_down)  # type: ignore[arg-type, attr-defined]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Anything that is not a DeskError is a fault, not a user's mistake: say so and stay.
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.app.notify(  # type: ignore[attr-defined]
                f"Unexpected error: {error}", title="Please tell support", severity="error"
            )


class DeskScreen(DeskCalls, Screen[Any]):
    pass


class DeskModal(DeskCalls, ModalScreen[Any]):
    pass


def tenant_tz(session: Any) -> tzinfo:
    name = getattr(getattr(session, "staff", None), "timezone", None) or DEFAULT_TZ
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo(DEFAULT_TZ)


def hm(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def day_label(day: date) -> str:
    return day.strftime("%a %d %b")


def when(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%a %d %b %Y %H:%M")


def age(born: date | None, today: date) -> str:
    if born is None:
        return ""
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return str(years)


def bilingual(name_en: str, name_ar: str | None) -> str:
    return f"{name_en} / {name_ar}" if name_ar else name_en
