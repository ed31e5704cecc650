"""What the day sheet, the board and the patient screen do to one visit: arrived, completed,
no-show, cancelled (then who waits for the freed time), moved, and the last status change of
today taken back. One set of rules for every screen, so a visit behaves the same wherever the
desk meets it.

A status change is the Desk's to refuse (a later day's visit cannot arrive), in its words. The
costly ones are asked first, naming the visit (patient, time, service, provider): a no-show
says it uses up the package session; a cancel asks for the reason, and a visit that is no
longer live is refused before anything is asked."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from deskbook.results import AppointmentView
from deskbook.results_day import WaitlistView
from deskbook.statuses import OPEN_STATUSES
from deskbook.tui.screens.base import DeskScreen, visit_lines
from deskbook.tui.screens.pickers import DangerConfirm, ReasonScreen
from deskbook.tui.screens.slots import Draft, SlotScreen


class Visit(Protocol):
    """A visit as a row of the day sheet (AppointmentView) or a cell of the board (BoardVisit)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def patient_id(self) -> uuid.UUID: ...
    @property
    def patient_name_en(self) -> str: ...
    @property
    def status(self) -> str: ...


STATUS_VERBS = {"check_in": "arrived", "complete": "completed", "no_show": "marked no-show"}


class VisitActions:
    """Bound to one screen; `changed` runs after each write (the screen reloads)."""

    def __init__(self, screen: DeskScreen[Any], changed: Callable[[], None]) -> None:
        self.screen = screen
        self.changed = changed

    def status(self, visit: Visit, change: str) -> None:
        s = self.screen.session
        marks: dict[str, Callable[..., AppointmentView]] = {
            "check_in": s.check_in,
            "complete": s.complete,
            "no_show": s.no_show,
        }
        write = partial(
            self.screen.write,
            "status",
            # One request id per key press: a re-send after an outage changes the status once.
            partial(marks[change], visit.id, request_id=uuid.uuid4()),
            partial(self._marked, STATUS_VERBS[change]),
            resend=True,
        )
        if change != "no_show":
            write()
            return

        def ask(a: AppointmentView) -> None:
            tz = self.screen.tz
            if a.start.astimezone(tz).date() > datetime.now(tz).date():
                write()  # a later day's visit: the Desk refuses at once, nothing to ask
                return
            lines = visit_lines(a, tz)
            if a.purchase_id is not None:
                number = f"session {a.session_number}" if a.session_number else "a session"
                lines.append(f"It uses up {number} of the package: no-shows are not given back.")
            else:
                lines.append("It stays on the record as a no-show (u takes it back today).")

            def answered(yes: bool | None) -> None:
                if yes:
                    write()

            self.screen.app.push_screen(
                DangerConfirm("Mark as a no-show?", lines, "No-show"), answered
            )

        self._look_up(visit, ask)

    def undo(self, visit: Visit) -> None:
        undo = partial(self.screen.session.undo_status, visit.id)
        self.screen.write("status", undo, partial(self._marked, "back to {status}"))

    def _marked(self, verb: str, appointment: AppointmentView) -> None:
        status = appointment.status.replace("_", "-").lower()
        name = appointment.patient_name_en or "Appointment"
        self.screen.notify(f"{name} {verb.format(status=status)}.")
        self.changed()

    def _look_up(self, visit: Visit, then: Callable[[AppointmentView], None]) -> None:
        """The visit as the Desk has it (a board cell does not carry every name the question
        needs), then `then` with it."""

        def read() -> AppointmentView:
            appointments = self.screen.session.appointments_of(visit.patient_id)
            return next(a for a in appointments if a.id == visit.id)

        self.screen.read("visit", read, then)

    def cancel(self, visit: Visit) -> None:
        if visit.status not in OPEN_STATUSES:
            # Refused before a reason is asked for, not after.
            status = visit.status.replace("_", "-").lower()
            self.screen.notify(
                f"Only a live appointment can be cancelled: this one is {status}.",
                severity="warning",
            )
            return

        def ask(a: AppointmentView) -> None:
            def cancel(reason: str | None) -> None:
                if reason is not None:
                    once = uuid.uuid4()  # a re-send after an outage cancels once and says so
                    cancel_it = partial(
                        self.screen.session.cancel, visit.id, reason, request_id=once
                    )
                    self.screen.write("cancel", cancel_it, self._cancelled, resend=True)

            self.screen.app.push_screen(ReasonScreen(visit_lines(a, self.screen.tz)), cancel)

        self._look_up(visit, ask)

    def _cancelled(self, cancelled: AppointmentView) -> None:
        self.screen.notify("Appointment cancelled.")
        self.changed()
        # The freed time: whoever waits for it is offered at once, oldest first.
        waiting = partial(
            self.screen.session.waitlist_matches, cancelled.provider_id, cancelled.start
        )
        self.screen.read("waiting", waiting, partial(self._offer, cancelled))

    def _offer(self, freed: AppointmentView, waiting: list[WaitlistView]) -> None:
        from deskbook.tui.screens.waitlist import WaitlistOffer

        if waiting:
            self.screen.app.push_screen(
                WaitlistOffer(freed, waiting), partial(self._book_waiting, freed)
            )

    def _book_waiting(self, freed: AppointmentView, entry: WaitlistView | None) -> None:
        if entry is None:
            return
        book = partial(
            self.screen.session.book_from_waitlist,
            entry.id,
            freed.provider_id,
            freed.start,
            request_id=uuid.uuid4(),
        )
        self.screen.write("book-waiting", book, self._booked_waiting, resend=True)

    def _booked_waiting(self, booked: AppointmentView) -> None:
        self.screen.notify(f"Booked {booked.patient_name_en} from the waitlist.", timeout=8)
        self.changed()

    def reschedule(self, visit: Visit) -> None:
        if visit.status not in OPEN_STATUSES:
            self.screen.notify("Only a live appointment can be moved.", severity="warning")
            return
        self.screen.read("move", partial(draft_for_move, self.screen, visit), self._move)

    def _move(self, draft: Draft) -> None:
        def moved(result: AppointmentView | None) -> None:
            if result is not None:
                self.changed()

        self.screen.app.push_screen(SlotScreen(draft), moved)


def draft_for_move(screen: DeskScreen[Any], visit: Visit) -> Draft:
    """In a worker thread: every read the slot step needs to move the visit."""
    s = screen.session
    appointments = s.appointments_of(visit.patient_id)
    a = next(x for x in appointments if x.id == visit.id)
    patient = s.get_patient(a.patient_id)
    service = next(v for v in s.services_for(clinic_id=a.clinic_id) if v.id == a.service_id)
    clinic = next(c for c in s.clinics_for(service_id=a.service_id) if c.id == a.clinic_id)
    provider = next(p for p in s.providers_for(a.clinic_id, a.service_id) if p.id == a.provider_id)
    purchase = None
    if a.purchase_id is not None:
        assigned = s.packages_for_patient(a.patient_id).assigned
        purchase = next((p for p in assigned if p.id == a.purchase_id), None)
    return Draft(
        patient=patient,
        service=service,
        clinic=clinic,
        provider=provider,
        purchase=purchase,
        appointment=a,
        patient_appointments=[x for x in appointments if x.id != a.id],
    )
