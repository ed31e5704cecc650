"""What the day sheet, the board and the patient screen do to one visit: arrived, completed,
no-show, cancelled (then who waits for the freed time), moved. One set of rules for every
screen, so a visit behaves the same wherever the desk meets it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from deskbook.results import AppointmentView, WaitlistView
from deskbook.statuses import OPEN_STATUSES
from deskbook.tui.screens.base import DeskScreen
from deskbook.tui.screens.pickers import ReasonScreen
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
        marks: dict[str, Callable[[uuid.UUID], AppointmentView]] = {
            "check_in": s.check_in,
            "complete": s.complete,
            "no_show": s.no_show,
        }
        self.screen.write(
            "status", partial(marks[change], visit.id), partial(self._marked, STATUS_VERBS[change])
        )

    def _marked(self, verb: str, appointment: AppointmentView) -> None:
        self.screen.notify(f"{appointment.patient_name_en or 'Appointment'} {verb}.")
        self.changed()

    def cancel(self, visit: Visit) -> None:
        def cancel(reason: str | None) -> None:
            if reason is not None:
                once = uuid.uuid4()  # a re-send after an outage cancels once and says so
                self.screen.write(
                    "cancel",
                    partial(self.screen.session.cancel, visit.id, reason, request_id=once),
                    self._cancelled,
                    resend=True,
                )

        self.screen.app.push_screen(ReasonScreen(), cancel)

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
        self.screen.write(
            "book-waiting", partial(self._book_and_unlist, freed, entry), self._booked_waiting
        )

    def _book_and_unlist(self, freed: AppointmentView, entry: WaitlistView) -> AppointmentView:
        # In the worker thread. The booking is the transaction that matters; taking the entry
        # off the list afterwards is its own (an entry left behind is harmless, the desk sees it).
        s = self.screen.session
        booked = s.book(entry.patient_id, entry.service_id, freed.provider_id, freed.start)
        s.waitlist_remove(entry.id)
        return booked

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
