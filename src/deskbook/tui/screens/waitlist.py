"""The waitlist at the desk: who waits for a time that has just come free (offered after a
cancel; Enter picks, Enter confirms), and putting a patient on the list from their screen."""

from __future__ import annotations

import uuid
from datetime import time
from functools import partial
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from deskbook.results import AppointmentView, PatientSummary, ProviderView, ServiceView
from deskbook.results_day import WaitlistView
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskModal, DeskScreen, mrn_label, when
from deskbook.tui.screens.pickers import ConfirmScreen
from deskbook.tui.widgets.desk_footer import DeskFooter

WEEKDAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def parse_weekdays(text: str) -> tuple[str, ...]:
    """ "sun tue" → ("SUN", "TUE"), as the Desk takes them; "" → any day."""
    days = tuple(word[:3].upper() for word in text.replace(",", " ").split())
    wrong = [d for d in days if d not in WEEKDAY_NAMES]
    if wrong:
        raise ValueError(f"Not a weekday: {' '.join(wrong)} (write SUN TUE).")
    return days


def _window(entry: WaitlistView) -> str:
    days = " ".join(WEEKDAY_NAMES[d] for d in entry.weekdays) or "any day"
    start = entry.earliest.strftime("%H:%M") if entry.earliest else ""
    end = entry.latest.strftime("%H:%M") if entry.latest else ""
    hours = f"{start}–{end}" if start or end else "any time"
    return f"{days}, {hours}"


class WaitlistOffer(DeskModal[WaitlistView | None]):
    """A visit was cancelled: these patients wait for its time. Enter on one, Enter again
    books them there; Esc leaves the time free."""

    SCOPE = "offer"
    BINDINGS = bindings("offer")

    def __init__(self, freed: AppointmentView, waiting: list[WaitlistView]) -> None:
        super().__init__()
        self.freed = freed
        self.waiting = waiting

    def compose(self) -> ComposeResult:
        f = self.freed
        with Vertical(id="offer-box", classes="dialog"):
            yield Static(
                f"Waiting for {when(f.start, self.tz)} with {f.provider_name_en}",
                classes="title",
                markup=False,
            )
            yield OptionList(
                *(
                    Option(
                        f"{e.patient_name_en} ({e.patient_mrn}) · {e.service_name_en} · "
                        f"{_window(e)} · ☎ {e.patient_phone}"
                    )
                    for e in self.waiting
                ),
                id="offer-list",
                markup=False,
            )
            yield Static("Enter books the patient here · Esc leaves the time free", classes="hint")
        yield DeskFooter()

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_choose()

    def action_choose(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is None:
            return
        entry = self.waiting[index]
        f = self.freed
        lines = [
            f"Patient   {entry.patient_name_en}  ({mrn_label(entry.patient_mrn)})",
            f"Service   {entry.service_name_en}",
            f"With      {f.provider_name_en} at {f.clinic_name_en}",
            f"When      {when(f.start, self.tz)}",
        ]

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.dismiss(entry)

        self.app.push_screen(ConfirmScreen("Book from the waitlist?", lines), confirmed)

    def action_cancel(self) -> None:
        self.dismiss(None)


WaitlistRequest = tuple[ServiceView, ProviderView | None, tuple[str, ...], time | None, time | None]


class WaitlistForm(DeskModal[WaitlistRequest | None]):
    """What the patient waits for: the service (and optionally provider), weekdays and a
    time window, picked from short lists and typed as "SUN TUE" and "16:00-18:00"."""

    SCOPE = "waitform"
    BINDINGS = bindings("waitform")

    def __init__(
        self, patient_name: str, services: list[ServiceView], providers: list[ProviderView]
    ) -> None:
        super().__init__()
        self.patient_name = patient_name
        self.services = services
        self.providers = providers

    def compose(self) -> ComposeResult:
        with Vertical(id="waitform-box", classes="dialog"):
            yield Static(f"Waitlist for {self.patient_name}", classes="title", markup=False)
            yield OptionList(
                *(Option(s.name_en) for s in self.services), id="wait-service", markup=False
            )
            yield OptionList(
                Option("Any provider"),
                *(Option(p.name_en) for p in self.providers),
                id="wait-provider",
                markup=False,
            )
            yield Input(placeholder="Days, e.g. SUN TUE (empty: any day)", id="wait-days")
            yield Input(placeholder="Time, e.g. 16:00-18:00 (empty: any time)", id="wait-time")
            yield Static("", id="wait-error", classes="error", markup=False)
            yield Static("Tab next field · Enter adds · Esc back", classes="hint")
        yield DeskFooter()

    def on_mount(self) -> None:
        for selector in ("#wait-service", "#wait-provider"):
            self.query_one(selector, OptionList).highlighted = 0
        self.query_one("#wait-service", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        service_at = self.query_one("#wait-service", OptionList).highlighted
        provider_at = self.query_one("#wait-provider", OptionList).highlighted or 0
        if service_at is None:
            return
        try:
            days = parse_weekdays(self.query_one("#wait-days", Input).value)
            earliest, latest = parse_window(self.query_one("#wait-time", Input).value)
        except ValueError as error:
            self.query_one("#wait-error", Static).update(str(error))
            return
        provider = self.providers[provider_at - 1] if provider_at > 0 else None
        self.dismiss((self.services[service_at], provider, days, earliest, latest))

    def action_cancel(self) -> None:
        self.dismiss(None)


def parse_window(text: str) -> tuple[time | None, time | None]:
    """ "16:00-18:00" → (16:00, 18:00); "" → (None, None); "16:00-" → (16:00, None)."""
    text = text.strip().replace("–", "-")
    if not text:
        return None, None
    start, _, end = (part.strip() for part in text.partition("-"))
    try:
        return (
            time.fromisoformat(start) if start else None,
            time.fromisoformat(end) if end else None,
        )
    except ValueError:
        raise ValueError(f"Not a time window: {text!r} (write 16:00-18:00).") from None


def add_to_waitlist(screen: DeskScreen[Any], patient: PatientSummary) -> None:
    """Ask what the patient waits for (WaitlistForm) and put them on the list."""

    def choices() -> tuple[list[ServiceView], list[ProviderView]]:
        # In the worker thread: every bookable service, every provider of every clinic.
        s = screen.session
        services = [v for v in s.services_for() if not v.group_capable]
        providers: dict[uuid.UUID, ProviderView] = {}
        for clinic in s.clinics_for():
            providers.update((p.id, p) for p in s.providers_for(clinic.id))
        return services, sorted(providers.values(), key=lambda p: p.name_en)

    def ask(found: tuple[list[ServiceView], list[ProviderView]]) -> None:
        screen.app.push_screen(WaitlistForm(patient.name_en, *found), add)

    def add(request: WaitlistRequest | None) -> None:
        if request is None:
            return
        service, provider, days, earliest, latest = request
        wait = partial(
            screen.session.waitlist_add,
            patient.id,
            service.id,
            clinic_id=service.clinic_id,
            provider_id=provider.id if provider else None,
            earliest=earliest,
            latest=latest,
            weekdays=days or None,
        )
        screen.write("waitlist", wait, added)

    def added(entry: WaitlistView) -> None:
        screen.notify(f"{entry.patient_name_en} waits for {entry.service_name_en}.")

    screen.read("waitlist-choices", choices, ask)
