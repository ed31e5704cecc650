"""The booking flow: type → (package | service) → clinic → provider → slot → confirm.

One screen per step. The flow pushes a step's screen and continues in the screen's dismiss
callback (messages up); what each step needs is read through the host screen's thread worker
and handed back in its `loaded_flow` handler, so nothing waits on the event loop. A step with a
single possible answer is taken automatically (one clinic, one provider); Escape on a step goes
back to the previous step that asked something.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deskbook.errors import DeskError
from deskbook.tui.screens.base import bilingual
from deskbook.tui.screens.pickers import FIRST_AVAILABLE, BookingTypeScreen, PickScreen
from deskbook.tui.screens.slots import Draft, SlotScreen


def _label(obj: Any) -> str:
    name = bilingual(getattr(obj, "name_en", ""), getattr(obj, "name_ar", None))
    minutes = getattr(obj, "duration_minutes", None)
    return f"{name} ({minutes} min)" if minutes else name


class BookingFlow:
    def __init__(
        self,
        host: Any,
        patient: Any,
        appointments: list[Any],
        on_done: Callable[[Any], None],
    ) -> None:
        self.host = host
        self.app = host.app
        self.session: Any = host.session
        self.draft = Draft(patient=patient, patient_appointments=list(appointments))
        self.on_done = on_done
        self.steps: list[Callable[[], None]] = []
        self.index = 0
        self.asked: list[int] = []
        self._then: Callable[[Any], None] | None = None

    # -- running the steps ----------------------------------------------------------------

    def start(self) -> None:
        self.app.push_screen(BookingTypeScreen(self.draft.patient.name_en), self._typed)

    def _typed(self, kind: str | None) -> None:
        if kind is None:
            self.on_done(None)
            return
        self.draft.kind = kind
        self.draft.purchase = None
        if kind == "package":
            self.steps = [self.pick_package, self.pick_package_service, self.pick_clinic,
                          self.pick_provider, self.pick_slot]  # fmt: skip
        elif kind == "group":
            self.steps = [self.pick_group]
        else:
            self.steps = [self.pick_service, self.pick_clinic, self.pick_provider, self.pick_slot]
        self.asked = []
        self._go(0)

    def _go(self, index: int) -> None:
        self.index = index
        self.steps[index]()

    def answered(self, value: Any, *, auto: bool = False) -> None:
        if value is None:
            self.back()
            return
        if not auto:
            self.asked.append(self.index)
        if self.index + 1 < len(self.steps):
            self._go(self.index + 1)
        else:
            self.on_done(value)

    def back(self) -> None:
        if self.asked:
            self._go(self.asked.pop())
        else:
            self.start()

    def read(
        self, then: Callable[[Any], None], fn: Callable[..., Any], *args: Any, **kw: Any
    ) -> None:
        self._then = then
        self.host.call_desk("flow", fn, *args, **kw)

    def loaded(self, value: Any) -> None:
        then, self._then = self._then, None
        if then is not None:
            then(value)

    def failed(self, error: DeskError) -> None:
        self._then = None
        self.app.notify(str(error), severity="error")
        self.back()

    def choose(self, name: str, title: str, items: list[Any], *, first: bool = False) -> None:
        """Ask for one of items, or take the only one without asking."""

        def picked(value: Any) -> None:
            if value is not None and value != FIRST_AVAILABLE:
                setattr(self.draft, name, value)
            self.answered(value)

        if not items:
            self.app.notify(f"{title} There is nothing to choose from.", severity="warning")
            self.back()
        elif len(items) == 1:
            setattr(self.draft, name, items[0])
            self.answered(items[0], auto=True)
        else:
            options = [(_label(i), i) for i in items]
            self.app.push_screen(PickScreen(title, options, first_available=first), picked)

    # -- the steps ------------------------------------------------------------------------

    def pick_package(self) -> None:
        from deskbook.tui.screens.chooser import PackageChooser

        def chosen(purchase: Any) -> None:
            self.draft.purchase = purchase
            self.answered(purchase)

        self.app.push_screen(PackageChooser(self.draft.patient), chosen)

    def pick_package_service(self) -> None:
        purchase = self.draft.purchase
        open_ids = {q.service_id for q in purchase.services if q.remaining > 0}

        def then(services: list[Any]) -> None:
            items = [s for s in services if s.id in open_ids]
            self.choose("service", "Which service?", items)

        self.read(then, self.session.services_for, purchase_id=purchase.id)

    def pick_service(self) -> None:
        self.read(
            lambda services: self.choose("service", "Which service?", list(services)),
            self.session.services_for,
        )

    def pick_clinic(self) -> None:
        d = self.draft
        kwargs: dict[str, Any] = {"service_id": d.service.id}
        if d.purchase is not None:
            kwargs["purchase_id"] = d.purchase.id
        self.read(
            lambda clinics: self.choose("clinic", "Which clinic?", list(clinics)),
            self.session.clinics_for,
            **kwargs,
        )

    def pick_provider(self) -> None:
        d = self.draft
        d.provider = None  # None until chosen: "first available" leaves it to the slot step
        self.read(
            lambda providers: self.choose(
                "provider", "Which provider?", list(providers), first=True
            ),
            self.session.providers_for,
            d.clinic.id,
            d.service.id,
        )

    def pick_slot(self) -> None:
        self.app.push_screen(SlotScreen(self.draft), self.answered)

    def pick_group(self) -> None:
        from deskbook.tui.screens.group import GroupScreen

        self.app.push_screen(GroupScreen(self.draft.patient), self.answered)
