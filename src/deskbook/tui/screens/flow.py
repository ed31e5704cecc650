"""The booking flow: type → (package | service) → clinic → provider → slot → confirm.

One coroutine, run by the patient screen in a worker, reads top to bottom: each step pushes its
dialog and awaits the answer (push_screen_wait), and what a step needs from the Desk is read in a
thread (DeskScreen.fetch), so nothing blocks the event loop. A step with a single possible answer
takes it without asking (one clinic, one provider); Escape on a step goes back to the previous
step that asked something, and back from the first to the patient (not to the appointment type:
"b" asks it again in one key, and each Escape more is one more press between the receptionist
and the patient).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum, auto
from functools import partial
from typing import TypeVar

from deskbook.errors import DeskError
from deskbook.results import (
    AppointmentView,
    ClinicView,
    PatientSummary,
    ProviderView,
    PurchaseView,
    ServiceView,
)
from deskbook.statuses import AppointmentKind
from deskbook.tui.screens.base import DeskScreen, bilingual
from deskbook.tui.screens.chooser import PackageChooser
from deskbook.tui.screens.course import book_course
from deskbook.tui.screens.group import GroupScreen
from deskbook.tui.screens.pickers import (
    FIRST_AVAILABLE,
    AnyProvider,
    BookingTypeScreen,
    PickScreen,
)
from deskbook.tui.screens.slots import Draft, SlotScreen

T = TypeVar("T")
Choice = TypeVar("Choice", ServiceView, ClinicView)


class Step(Enum):
    ASKED = auto()  # the user answered: Escape on a later step comes back here
    TAKEN = auto()  # the only possible answer, taken without asking
    BACK = auto()  # Escape (or nothing to choose): back to the previous step that asked
    DONE = auto()  # booked by a step of its own (a course): the flow ends here


def _label(item: ServiceView | ClinicView | ProviderView, paint: Callable[[str], str]) -> str:
    name = bilingual(item.name_en, item.name_ar, paint)
    return f"{name} ({item.duration_minutes} min)" if isinstance(item, ServiceView) else name


def _chosen(value: T | None) -> T:
    if value is None:
        raise RuntimeError("a booking step ran before the step it follows")
    return value


class BookingFlow:
    def __init__(
        self,
        host: DeskScreen[None],
        patient: PatientSummary,
        appointments: list[AppointmentView],
    ) -> None:
        self.host = host
        self.app = host.app
        self.session = host.session
        self.patient = patient
        self.appointments = list(appointments)
        self.purchase: PurchaseView | None = None
        self.service: ServiceView | None = None
        self.clinic: ClinicView | None = None
        self.provider: ProviderView | None = None  # None: first available across the clinic
        self.booked: AppointmentView | None = None

    async def run(self) -> AppointmentView | None:
        """The appointment booked, or None when the user left the flow."""
        kind = await self.app.push_screen_wait(BookingTypeScreen(self.patient.name_en))
        if kind is None:
            return None
        steps: dict[AppointmentKind, list[Callable[[], Awaitable[Step]]]] = {
            AppointmentKind.PACKAGE: [self.pick_package, self.pick_package_service,
                                      self.pick_clinic, self.pick_provider, self.pick_slot],
            AppointmentKind.SINGLE: [self.pick_service, self.pick_clinic,
                                     self.pick_provider, self.pick_slot],
            AppointmentKind.GROUP: [self.pick_group],
        }  # fmt: skip
        return self.booked if await self._walk(steps[kind]) else None

    async def _walk(self, steps: list[Callable[[], Awaitable[Step]]]) -> bool:
        """True once the last step is answered; False when Escape went back past the first."""
        index = 0
        asked: list[int] = []
        while index < len(steps):
            try:
                step = await steps[index]()
            except DeskError as error:
                self.app.notify(str(error), severity="error")
                step = Step.BACK
            if step is Step.DONE:
                return True
            if step is Step.BACK:
                if not asked:
                    return False
                index = asked.pop()
                continue
            if step is Step.ASKED:
                asked.append(index)
            index += 1
        return True

    async def choose(self, title: str, items: list[Choice]) -> tuple[Step, Choice | None]:
        """Ask for one of items, or take the only one without asking."""
        if not items:
            self.app.notify(f"{title} There is nothing to choose from.", severity="warning")
            return Step.BACK, None
        if len(items) == 1:
            return Step.TAKEN, items[0]
        picked = await self.app.push_screen_wait(
            PickScreen(title, [(_label(i, self.app.paint), i) for i in items])
        )
        return (Step.BACK, None) if picked is None else (Step.ASKED, picked)

    # -- the steps ------------------------------------------------------------------------

    async def pick_package(self) -> Step:
        while True:
            chooser = PackageChooser(self.patient)
            self.purchase = await self.app.push_screen_wait(chooser)
            if self.purchase is None or not chooser.course:
                return Step.BACK if self.purchase is None else Step.ASKED
            # "c" on a purchase: its remaining sessions as a course; back here if abandoned.
            course = await book_course(self.host, self.patient, self.purchase, self.appointments)
            if course is not None:
                self.booked = course.appointments[0] if course.appointments else None
                return Step.DONE

    async def pick_package_service(self) -> Step:
        purchase = _chosen(self.purchase)
        open_ids = {q.service_id for q in purchase.services if q.remaining > 0}
        services = await self.host.fetch(
            partial(self.session.services_for, purchase_id=purchase.id)
        )
        step, self.service = await self.choose(
            "Which service?", [s for s in services if s.id in open_ids]
        )
        return step

    async def pick_service(self) -> Step:
        services = await self.host.fetch(self.session.services_for)
        step, self.service = await self.choose("Which service?", services)
        return step

    async def pick_clinic(self) -> Step:
        purchase_id = self.purchase.id if self.purchase is not None else None
        clinics = await self.host.fetch(
            partial(
                self.session.clinics_for,
                service_id=_chosen(self.service).id,
                purchase_id=purchase_id,
            )
        )
        step, self.clinic = await self.choose("Which clinic?", clinics)
        return step

    async def pick_provider(self) -> Step:
        self.provider = None
        providers = await self.host.fetch(
            partial(self.session.providers_for, _chosen(self.clinic).id, _chosen(self.service).id)
        )
        if not providers:
            self.app.notify("Which provider? There is nothing to choose from.", severity="warning")
            return Step.BACK
        if len(providers) == 1:
            self.provider = providers[0]
            return Step.TAKEN
        pick: PickScreen[ProviderView | AnyProvider] = PickScreen(
            "Which provider?",
            [(_label(p, self.app.paint), p) for p in providers],
            top=("» First available (any provider)", FIRST_AVAILABLE),
        )
        picked = await self.app.push_screen_wait(pick)
        if picked is None:
            return Step.BACK
        # "First available" leaves the provider to the slot step.
        self.provider = picked if isinstance(picked, ProviderView) else None
        return Step.ASKED

    async def pick_slot(self) -> Step:
        draft = Draft(
            patient=self.patient,
            service=_chosen(self.service),
            clinic=_chosen(self.clinic),
            provider=self.provider,
            purchase=self.purchase,
            patient_appointments=self.appointments,
        )
        self.booked = await self.app.push_screen_wait(SlotScreen(draft))
        return Step.BACK if self.booked is None else Step.ASKED

    async def pick_group(self) -> Step:
        self.booked = await self.app.push_screen_wait(GroupScreen(self.patient))
        return Step.BACK if self.booked is None else Step.ASKED
