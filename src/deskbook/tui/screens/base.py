"""What every screen shares: Desk calls in thread workers whose answers come back typed.

A screen asks `self.read("slots", partial(session.free_slots, ...), self.show_slots)` or
`self.write("book", partial(session.book, ...), self.booked, self.not_booked)`. The call runs
in a thread worker (exclusive per name, so a newer question replaces an older one); its answer
comes back to the main thread in a message whose handler calls `done(answer)`, or `failed(error)`
for a DeskError (a notification when there is no `failed`). Widgets are only touched there.

Whether a call reads or writes is said where it is made, by calling `read` or `write`: after a
database outage the reads it stopped are made again by themselves, writes never are (a connection
lost during COMMIT leaves a write's fate unknown, so the user decides) unless they carry a
request id (`resend=True`): the Desk then does the request once however often it is sent, so
it is sent again by itself and its answer says what was saved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from textual import events, getters
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from deskbook.errors import DatabaseError, DeskError
from deskbook.results import AppointmentView
from deskbook.tui.app import DeskApp
from deskbook.tui.widgets.db_banner import show_banner
from deskbook.tui.widgets.desk_header import tenant_tz as tenant_tz  # screens take it from here

if TYPE_CHECKING:
    # Only the type: the Desk (SQLAlchemy, the models) loads behind the login screen.
    from deskbook.desk import DeskSession

T = TypeVar("T")
ResultT = TypeVar("ResultT")

# Workers of this group live as long as a dialog they wait on (push_screen_wait): a test that
# waits for "every worker to finish" leaves them out.
DIALOG_WORKERS = "dialog"
# The thread workers of fetch(): a fault there reaches the coroutine that awaits it.
FETCH_WORKERS = "fetch"


class DeskAnswered(Message):
    """A call's answer, on the main thread: `deliver()` hands it to the call's `done`."""

    def __init__(self, name: str, deliver: Callable[[], None]) -> None:
        super().__init__()
        self.name = name
        self.deliver = deliver


class DeskFailed(Message):
    """A call the Desk refused. `again` makes a read once more; a write has none."""

    def __init__(
        self,
        name: str,
        error: DeskError,
        failed: Callable[[DeskError], None] | None,
        again: Callable[[], None] | None,
    ) -> None:
        super().__init__()
        self.name = name
        self.error = error
        self.failed = failed
        self.again = again


class DeskScreen(Screen[ResultT]):
    """A screen that calls the Desk. Its result type is what it hands back with dismiss()."""

    SCOPE = ""
    app = getters.app(DeskApp)

    def __init__(self) -> None:
        super().__init__()
        # Reads an outage stopped, by name, each ready to be made again.
        self._waiting: dict[str, Callable[[], None]] = {}
        # Writes sent and not yet answered, or waiting out an outage to be sent again.
        self._writes_open: set[str] = set()

    @property
    def session(self) -> DeskSession:
        session = self.app.session
        if session is None:
            raise RuntimeError("a screen called the Desk before anyone signed in")
        return session

    @property
    def tz(self) -> tzinfo:
        return tenant_tz(self.session.staff)

    def action_focus_next(self) -> None:
        self.focus_next()

    def action_focus_previous(self) -> None:
        self.focus_previous()

    def unsaved(self) -> str | None:
        """What the user typed here and would lose if the app closed now (None: nothing)."""
        return None

    # -- calls ----------------------------------------------------------------------------

    def read(
        self,
        name: str,
        call: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[DeskError], None] | None = None,
    ) -> None:
        """Ask the Desk something; made again by itself if an outage stopped it."""
        # A newer read of the same name replaces one an outage stopped: made again when the
        # database is back, the older one would cancel this one (one worker per name).
        self._waiting.pop(name, None)
        self._call(name, call, done, failed, again=True)

    def write(
        self,
        name: str,
        call: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[DeskError], None] | None = None,
        *,
        resend: bool = False,
    ) -> None:
        """Change something through the Desk; never made again without the user, unless
        resend: the call carries a request id made once for this user action."""
        self._writes_open.add(name)
        self._call(name, call, done, failed, again=resend)

    def _call(
        self,
        name: str,
        call: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[DeskError], None] | None,
        *,
        again: bool,
    ) -> None:
        # Made again after an outage: a read, or a write that carries its request id.
        retry = partial(self._call, name, call, done, failed, again=True) if again else None

        def work() -> None:
            worker = get_current_worker()
            try:
                value = call()
            except DeskError as error:
                if not worker.is_cancelled:
                    self.post_message(DeskFailed(name, error, failed, retry))
                return
            if not worker.is_cancelled:
                self.post_message(DeskAnswered(name, partial(done, value)))

        self.run_worker(
            work, name=name, group=name, thread=True, exclusive=True, exit_on_error=False
        )

    async def fetch(self, question: Callable[[], T]) -> T:
        """For a coroutine worker (the booking flow): the Desk's answer to a read made in a
        thread. A DeskError is raised; an outage is waited out and the read made again."""

        def attempt() -> T | DeskError:
            # Handed back, not raised: a raised error would count as a fault of the worker.
            try:
                return question()
            except DeskError as error:
                return error

        while True:
            worker: Worker[T | DeskError] = self.run_worker(
                attempt, group=FETCH_WORKERS, thread=True, exit_on_error=False
            )
            answer = await worker.wait()
            if not isinstance(answer, DatabaseError):
                if isinstance(answer, DeskError):
                    raise answer
                return answer
            self.app.lost_database()
            await self.app.database_up.wait()

    def holds_writes(self) -> bool:
        """Whether a write of this screen is on its way or waits to be sent again: closing the
        screen now would lose it (its worker cancelled, its re-send forgotten)."""
        return bool(self._writes_open)

    def on_desk_answered(self, message: DeskAnswered) -> None:
        message.stop()
        self._waiting.pop(message.name, None)
        self._writes_open.discard(message.name)
        message.deliver()

    def on_desk_failed(self, message: DeskFailed) -> None:
        message.stop()
        if isinstance(message.error, DatabaseError) and self.app.session is not None:
            # Not the user's mistake: the app shows the banner and looks for the server. A
            # read waits for it without its handler (which may close the screen); a write's
            # handler says it was not done and keeps the dialog, so it can be asked again.
            self.app.lost_database()
            if message.again is not None:
                self._waiting[message.name] = message.again
                return
        self._waiting.pop(message.name, None)
        self._writes_open.discard(message.name)
        if message.failed is not None:
            message.failed(message.error)
        else:
            self.app.notify(str(message.error), severity="error")

    def database_back(self) -> None:
        """The database answers again: make once more each read the outage stopped."""
        waiting, self._waiting = self._waiting, {}
        for name in sorted(waiting):
            waiting[name]()

    def on_screen_resume(self, _event: events.ScreenResume) -> None:
        # Back on a screen that was covered while the banner came or went.
        show_banner(self, self.app.database_down)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Anything that is not a DeskError is a fault, not a user's mistake: say so and stay.
        # A fetch's fault fails the worker that awaited it, which is told instead.
        if event.state == WorkerState.ERROR and event.worker.group != FETCH_WORKERS:
            # Failed for good: no answer will come to close the write (the name is the call's).
            self._writes_open.discard(event.worker.name)
            self.app.notify(
                f"Unexpected error: {event.worker.error}",
                title="Please tell support",
                severity="error",
            )


class DeskModal(DeskScreen[ResultT], ModalScreen[ResultT]):
    """A dialog over the screen below; dismiss(value) hands the value back."""


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


def bilingual(name_en: str, name_ar: str | None, paint: Callable[[str], str] = str) -> str:
    """Both names; the Arabic one painted as a field of its own (DeskApp.paint). A patient
    registered with the Arabic name alone shows that one."""
    if not name_en:
        return paint(name_ar or "")
    return f"{name_en} / {paint(name_ar)}" if name_ar else name_en


def mrn_label(mrn: str) -> str:
    """ "MRN 0042", but a scheme that names itself ("MRN0000001") is not named twice."""
    return mrn if mrn[:1].isalpha() else f"MRN {mrn}"


def visit_lines(visit: AppointmentView, tz: tzinfo) -> list[str]:
    """What names one visit for a question about it: who, when, what, with whom."""
    return [
        f"Patient   {visit.patient_name_en}",
        f"When      {when(visit.start, tz)}",
        f"Service   {visit.service_name_en}",
        f"With      {visit.provider_name_en} at {visit.clinic_name_en}",
    ]
