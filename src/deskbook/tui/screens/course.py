"""Book a course: a purchase's remaining sessions of a service laid on weekdays at a time.

`book_course` is one coroutine, like the booking flow: which service (asked only when the
purchase holds several with sessions left), the course form prefilled from the patient's last
visit of the service (or the first free slot), plan_series, then the review screen
(deskbook.tui.screens.course_review) that books it. Escape on the review goes back to the form
with what was typed; Escape on the form leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from functools import partial
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from deskbook.errors import DeskError
from deskbook.results import (
    AppointmentView,
    PatientSummary,
    ProviderView,
    PurchaseView,
    ServiceView,
)
from deskbook.results_course import SeriesPlan, SeriesView
from deskbook.statuses import OPEN_STATUSES
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskModal, DeskScreen, day_label, tenant_tz
from deskbook.tui.screens.pickers import PickScreen
from deskbook.tui.widgets.desk_footer import DeskFooter

if TYPE_CHECKING:
    from deskbook.desk import DeskSession

# Sunday first, as the clinics' week and the course's rule count it.
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_PYTHON_DAY = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")  # date.weekday() order
ANY_PROVIDER = "any"
V = TypeVar("V")


def weekday_code(day: date) -> str:
    return _PYTHON_DAY[day.weekday()]


@dataclass(frozen=True)
class CourseRequest:
    """What the course form asks plan_series for."""

    patient: PatientSummary
    purchase: PurchaseView
    service: ServiceView
    weekdays: tuple[str, ...]
    at: time
    first_day: date
    every_weeks: int
    count: int | None
    provider: ProviderView | None  # None: any provider of the service
    providers: tuple[ProviderView, ...]

    def plan(self, session: DeskSession) -> SeriesPlan:
        return session.plan_series(
            self.purchase.id,
            self.service.id,
            self.weekdays,
            self.at,
            self.first_day,
            self.count,
            self.provider.id if self.provider is not None else None,
            self.every_weeks,
        )

    def describe(self) -> str:
        days = " ".join(d.title() for d in self.weekdays)
        every = "every week" if self.every_weeks == 1 else f"every {self.every_weeks} weeks"
        who = self.provider.name_en if self.provider is not None else "any provider"
        return (
            f"{self.service.name_en}: {days} {self.at:%H:%M} from {day_label(self.first_day)}, "
            f"{every}, {who}"
        )


def sessions_left(purchase: PurchaseView, service: ServiceView) -> int:
    return next((q.remaining for q in purchase.services if q.service_id == service.id), 0)


def course_defaults(
    session: DeskSession,
    patient: PatientSummary,
    purchase: PurchaseView,
    service: ServiceView,
    appointments: list[AppointmentView],
    tz: tzinfo,
) -> CourseRequest:
    """The form as a desk would fill it (read in a thread): the weekday, time and provider of
    the patient's last visit of the service, else of the first free slot from tomorrow; the
    first day tomorrow; as many sessions as the purchase has left."""
    providers = tuple(session.providers_for(service.clinic_id, service.id))
    tomorrow = datetime.now(tz).date() + timedelta(days=1)
    visits = [
        a
        for a in appointments
        if a.service_id == service.id and (a.status in OPEN_STATUSES or a.status == "COMPLETED")
    ]
    provider: ProviderView | None = None
    if visits:
        last_visit = max(visits, key=lambda a: a.start)
        last = last_visit.start.astimezone(tz)
        day, at = last.date(), last.time().replace(second=0, microsecond=0)
        provider = next((p for p in providers if p.id == last_visit.provider_id), None)
        if provider is not None:
            at = _on_grid(session, provider, service, purchase, day, at, tomorrow, tz)
    else:
        start_of_tomorrow = datetime.combine(tomorrow, time(0), tz)
        found = session.first_available(
            service.clinic_id, service.id, start_of_tomorrow, purchase.id
        )
        local = found[1].astimezone(tz) if found is not None else start_of_tomorrow
        day, at = local.date(), local.time().replace(second=0, microsecond=0)
    return CourseRequest(
        patient=patient,
        purchase=purchase,
        service=service,
        weekdays=(weekday_code(day),),
        at=at,
        first_day=tomorrow,
        every_weeks=1,
        count=sessions_left(purchase, service) or None,
        provider=provider,
        providers=providers,
    )


def _on_grid(
    session: DeskSession,
    provider: ProviderView,
    service: ServiceView,
    purchase: PurchaseView,
    like: date,
    at: time,
    tomorrow: date,
    tz: tzinfo,
) -> time:
    """The last visit's time, or the nearest free start of the provider's slot grid on the
    course's first such weekday: a visit booked off the grid (moved by hand, or the grid
    changed since) must not make the course's first plan fail."""
    day = tomorrow + timedelta(days=(like.weekday() - tomorrow.weekday()) % 7)
    starts = [
        s.astimezone(tz).time()
        for s in session.free_slots(provider.id, service.id, day, purchase.id)
    ]
    if not starts or at in starts:
        return at

    def distance(t: time) -> int:
        return abs((t.hour * 60 + t.minute) - (at.hour * 60 + at.minute))

    return min(starts, key=distance)


class DayToggle(Static, can_focus=True):
    """A weekday of the course, "[x] SUN" or "[ ] SUN": readable without colours. Space
    toggles it; Enter is left to the form (plan)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_day", "Toggle day", show=False)
    ]

    def __init__(self, code: str, on: bool) -> None:
        super().__init__(id=f"day-{code.lower()}", markup=False)
        self.code = code
        self.value = on
        self._show()

    def _show(self) -> None:
        self.update(f"[{'x' if self.value else ' '}] {self.code}")

    def action_toggle_day(self) -> None:
        self.value = not self.value
        self._show()


class CourseForm(DeskModal[CourseRequest | None]):
    """The course's rule: weekdays, time, first day, every N weeks, sessions, provider."""

    SCOPE = "course"
    BINDINGS = bindings("course")

    def __init__(self, request: CourseRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        r = self.request
        left = sessions_left(r.purchase, r.service)
        with Vertical(id="course-box", classes="dialog"):
            yield Static(f"Course for {r.patient.name_en}", classes="title", markup=False)
            yield Static(
                f"{r.purchase.name_en} · {r.service.name_en} · {left} left · "
                f"expires {r.purchase.expiry_date}",
                classes="hint",
                markup=False,
            )
            with Horizontal(id="course-days"):
                yield Label("Days ")
                for code in WEEKDAYS:
                    yield DayToggle(code, code in r.weekdays)
            with Grid(id="course-grid"):
                yield Label("Time")
                yield Input(f"{r.at:%H:%M}", id="course-at", compact=True)
                yield Label("First day")
                yield Input(r.first_day.isoformat(), id="course-first", compact=True)
                yield Label("Every N weeks")
                yield Input(str(r.every_weeks), id="course-every", compact=True)
                yield Label("Sessions")
                yield Input(str(r.count or ""), id="course-count", compact=True)
            options = [("Any provider of the service", ANY_PROVIDER)] + [
                (p.name_en, str(p.id)) for p in r.providers
            ]
            chosen = str(r.provider.id) if r.provider is not None else ANY_PROVIDER
            with Horizontal(id="course-who"):
                yield Label("Provider")
                yield Select(
                    options, value=chosen, allow_blank=False, id="course-provider", compact=True
                )
            yield Static("Enter plans · Space toggles a day · Esc goes back", classes="hint")
        yield DeskFooter()

    def on_mount(self) -> None:
        toggles = list(self.query(DayToggle))
        first_on = next((t for t in toggles if t.value), toggles[0])
        first_on.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_plan()

    def action_plan(self) -> None:
        try:
            request = self._read_form()
        except ValueError as error:
            self.notify(str(error), severity="error")
            return
        self.dismiss(request)

    def _read_form(self) -> CourseRequest:
        days = tuple(t.code for t in self.query(DayToggle) if t.value)
        if not days:
            raise ValueError("Choose at least one weekday (Space on a day).")
        at = _parse(self._value("#course-at"), time.fromisoformat, "Give the time as HH:MM.")
        first = _parse(
            self._value("#course-first"), date.fromisoformat, "Give the first day as YYYY-MM-DD."
        )
        every = _parse(self._value("#course-every"), int, "Every N weeks: a whole number.")
        count_text = self._value("#course-count")
        count = _parse(count_text, int, "Sessions: a whole number.") if count_text else None
        picked = self.query_one("#course-provider", Select).value
        provider = next((p for p in self.request.providers if str(p.id) == picked), None)
        return replace(
            self.request,
            weekdays=days,
            at=at,
            first_day=first,
            every_weeks=every,
            count=count,
            provider=provider,
        )

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value.strip()

    def action_cancel(self) -> None:
        self.dismiss(None)


def _parse(text: str, parse: Callable[[str], V], message: str) -> V:
    try:
        return parse(text)
    except (TypeError, ValueError):
        raise ValueError(message) from None


async def pick_purchase(
    host: DeskScreen[None], purchases: tuple[PurchaseView, ...], title: str
) -> PurchaseView | None:
    """One of the patient's usable purchases: asked only when there are several."""
    usable = [p for p in purchases if p.usable]
    if not usable:
        host.app.notify("No usable package: b then p assigns one.", severity="warning")
        return None
    if len(usable) == 1:
        return usable[0]
    options = [(f"{p.name_en} · {p.remaining} left · expires {p.expiry_date}", p) for p in usable]
    return await host.app.push_screen_wait(PickScreen(title, options))


async def book_course(
    host: DeskScreen[None],
    patient: PatientSummary,
    purchase: PurchaseView,
    appointments: list[AppointmentView],
) -> SeriesView | None:
    """Ask for the course of a purchase and book it; None when the desk backed out."""
    try:
        return await _book_course(host, patient, purchase, appointments)
    except DeskError as error:
        host.app.notify(str(error), severity="error")
        return None


async def _book_course(
    host: DeskScreen[None],
    patient: PatientSummary,
    purchase: PurchaseView,
    appointments: list[AppointmentView],
) -> SeriesView | None:
    from deskbook.tui.screens.course_review import CourseReview

    app, session = host.app, host.session
    services = await host.fetch(partial(session.services_for, purchase_id=purchase.id))
    services = [s for s in services if sessions_left(purchase, s) > 0]
    if not services:
        app.notify("This package has no sessions left to book.", severity="warning")
        return None
    service: ServiceView | None = services[0]
    if len(services) > 1:
        service = await app.push_screen_wait(
            PickScreen("Course of which service?", [(s.name_en, s) for s in services])
        )
    if service is None:
        return None
    tz = tenant_tz(session.staff)
    request: CourseRequest | None = await host.fetch(
        partial(course_defaults, session, patient, purchase, service, appointments, tz)
    )
    while request is not None:
        request = await app.push_screen_wait(CourseForm(request))
        if request is None:
            return None
        try:
            plan = await host.fetch(partial(request.plan, session))
        except DeskError as error:
            app.notify(str(error), severity="error")
            continue
        booked = await app.push_screen_wait(CourseReview(request, plan))
        if booked is not None:
            return booked
    return None
