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

from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from deskbook.errors import DeskError

DEFAULT_TZ = "Asia/Riyadh"


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

    @property
    def session(self) -> Any:
        return self.app.session  # type: ignore[attr-defined]

    @property
    def tz(self) -> tzinfo:
        return tenant_tz(self.session)

    def call_desk(self, tag: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker:
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
        getattr(self, f"loaded_{message.tag}")(message.value)

    def on_desk_failed(self, message: DeskFailed) -> None:
        message.stop()
        handler = getattr(self, f"failed_{message.tag}", None)
        if handler is not None:
            handler(message.error)
        else:
            self.app.notify(str(message.error), severity="error")  # type: ignore[attr-defined]

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
