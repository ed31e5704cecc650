"""The patient form both the new-patient and the edit dialogs are: its fields, how a typed text
becomes a draft, and the save that asks possible_duplicates first.

A name in either script is enough; dates are read as the desk types them (deskbook.desk_dates:
23/04/2019, 2019-04-23, 18/08/1440 هـ). A refused form keeps every field and puts the cursor
on the field to fix. Before anything is written the Desk is asked for records that may be the
same person; when there are some, DuplicatesScreen shows them and the user decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Input, Label, Static

from deskbook.desk_dates import parse_desk_date
from deskbook.errors import DeskError
from deskbook.results import PatientCandidate, PatientSummary
from deskbook.tui.screens.base import DIALOG_WORKERS, DeskModal, mrn_label
from deskbook.tui.screens.forms import write_now
from deskbook.tui.widgets.desk_footer import DeskFooter


@dataclass(frozen=True)
class FormField:
    id: str
    label: str
    hint: str


FIELDS = (
    FormField("name_en", "Name (English)", "e.g. Rana Khalil"),
    FormField("name_ar", "Name (Arabic)", "مثال: رنا خليل"),
    FormField("phone", "Phone*", "050 123 4567"),
    FormField("date_of_birth", "Date of birth*", "23/04/2019 or 18/08/1440 هـ"),
    FormField("sex", "Sex (M/F)", "optional: M or F"),
    FormField("national_id", "National id", "optional"),
    FormField("guardian_name", "Guardian", "parent or guardian, for a child"),
    FormField("guardian_phone", "Guardian phone", "optional"),
    FormField("notes", "Alerts / notes", "shown at the top of the patient's page"),
)
NAME_HELP = "Type the name in English or in Arabic (either is enough)."


@dataclass(frozen=True)
class PatientDraft:
    """What the form holds, read and checked: ready for register_patient or update_patient."""

    name_en: str | None
    name_ar: str | None
    phone: str
    date_of_birth: date | None
    sex: str | None
    national_id: str | None
    guardian_name: str | None
    guardian_phone: str | None
    notes: str | None

    def as_changes(self) -> dict[str, Any]:
        return {f.id: getattr(self, f.id) for f in FIELDS}


class NotReady(Exception):
    """The form cannot be saved yet: `field` is where the cursor goes, `text` says why."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field
        self.text = text


def read_draft(values: dict[str, str], *, birth_required: bool) -> PatientDraft:
    """The typed values as a draft, or NotReady naming the first field to fix."""
    if not values["name_en"] and not values["name_ar"]:
        raise NotReady("name_en", NAME_HELP)
    if not values["phone"]:
        raise NotReady("phone", "Please type the phone number.")
    born: date | None = None
    if values["date_of_birth"]:
        try:
            born = parse_desk_date(values["date_of_birth"])
        except DeskError as error:
            raise NotReady("date_of_birth", f"Date of birth: {error}") from None
    elif birth_required:
        raise NotReady("date_of_birth", "Please type the date of birth (23/04/2019).")
    return PatientDraft(
        name_en=values["name_en"] or None,
        name_ar=values["name_ar"] or None,
        phone=values["phone"],
        date_of_birth=born,
        sex=values["sex"].upper() or None,
        national_id=values["national_id"] or None,
        guardian_name=values["guardian_name"] or None,
        guardian_phone=values["guardian_phone"] or None,
        notes=values["notes"] or None,
    )


def desk_date(day: date | None) -> str:
    """A date as the desk types it back: day first."""
    return day.strftime("%d/%m/%Y") if day else ""


def header_lines(p: PatientSummary, paint: Callable[[str], str] = str) -> tuple[str, str]:
    """What the patient's page shows under the name: birth and guardian, then the alerts,
    which the desk must not miss (an allergy, "call the mother, not the father")."""
    details = [f"born {desk_date(p.date_of_birth)}"] if p.date_of_birth else []
    if p.guardian_name or p.guardian_phone:
        who = [paint(p.guardian_name)] if p.guardian_name else []
        phone = [f"☎ {p.guardian_phone}"] if p.guardian_phone else []
        details.append(" ".join(["guardian", *who, *phone]))
    if p.phone_flagged:
        details.append("⚠ phone not recognised: d to correct it")
    alerts = "⚠ " + " ".join(p.notes.split()) if p.notes else ""
    return "   ".join(details), alerts


class PatientForm(DeskModal[PatientSummary | None]):
    """A patient's fields in one grid. Hands back the patient saved, or the existing record
    the user chose to open instead; None when the user backs out."""

    DEFAULT_CSS: ClassVar[str] = """
    PatientForm .patient-box { width: 76; }
    PatientForm .patient-grid {
        grid-size: 2; grid-columns: 17 1fr; grid-rows: 1; grid-gutter: 0 0;
        height: auto; margin: 1 0 0 0;
    }
    """
    TITLE_TEXT = "Patient"
    ANYWAY = "Save anyway"
    BIRTH_REQUIRED = True

    def __init__(self, values: dict[str, str], editing: PatientSummary | None = None) -> None:
        super().__init__()
        self.start_values = values
        self.editing = editing

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog patient-box"):
            yield Static(self.TITLE_TEXT, classes="title", markup=False)
            with Grid(classes="patient-grid"):
                for f in FIELDS:
                    label = f.label.rstrip("*") + ("*" if self.required(f.id) else "")
                    yield Label(label)
                    value = self.start_values.get(f.id, "")
                    yield Input(value, placeholder=f.hint, id=f.id, compact=True)
            yield Static(
                "* needed · a name in English or Arabic · Enter saves · Esc goes back",
                classes="hint",
            )
            yield Static("", id="form-error", classes="error", markup=False)
        yield DeskFooter()

    def required(self, field: str) -> bool:
        return field == "phone" or (field == "date_of_birth" and self.BIRTH_REQUIRED)

    def on_mount(self) -> None:
        self.query_one(f"#{self.first_focus()}", Input).focus()

    def first_focus(self) -> str:
        return self.first_missing()

    def first_missing(self) -> str:
        if not self.value("name_en") and not self.value("name_ar"):
            return "name_en"
        return next(
            (f.id for f in FIELDS if self.required(f.id) and not self.value(f.id)), "name_en"
        )

    def value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def say(self, text: str) -> None:
        self.query_one("#form-error", Static).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        try:
            draft = read_draft(
                {f.id: self.value(f.id) for f in FIELDS}, birth_required=self.BIRTH_REQUIRED
            )
        except NotReady as missing:
            self.say(missing.text)
            self.query_one(f"#{missing.field}", Input).focus()
            return
        self.save(draft)

    @work(exclusive=True, group=DIALOG_WORKERS, exit_on_error=False)
    async def save(self, draft: PatientDraft) -> None:
        from deskbook.tui.screens.duplicates import DuplicatesScreen

        editing = self.editing.id if self.editing else None
        write = self.writer(draft)  # built here: widgets are read on this thread only
        if not self.check_duplicates(draft):
            await self.write_and_close(write)
            return
        self.say("Looking for the same patient…")
        ask = partial(
            self.session.possible_duplicates,
            name_en=draft.name_en,
            name_ar=draft.name_ar,
            phone=draft.phone,
            date_of_birth=draft.date_of_birth,
            national_id=draft.national_id,
            exclude=editing,
        )
        try:
            # Asked once: after an outage the user saves again, nothing is made by itself.
            candidates: list[PatientCandidate] = await write_now(self, ask)
        except DeskError as error:
            self.not_saved(error)
            return
        if candidates:
            choice = await self.app.push_screen_wait(
                DuplicatesScreen(candidates, self.ANYWAY, self.editing)
            )
            if choice.open is not None:
                self.dismiss(choice.open)
                return
            if not choice.go_on:
                self.say("Not saved yet: change what is needed, or Esc to leave.")
                return
        await self.write_and_close(write)

    async def write_and_close(self, write: Callable[[], PatientSummary]) -> None:
        self.say("Saving…")
        try:
            saved = await write_now(self, write)
        except DeskError as error:
            self.not_saved(error)
            return
        self.saved(saved)
        self.dismiss(saved)

    def check_duplicates(self, draft: PatientDraft) -> bool:
        return True

    def writer(self, draft: PatientDraft) -> Callable[[], PatientSummary]:
        """The write to make in a thread: register_patient or update_patient."""
        raise NotImplementedError

    def saved(self, patient: PatientSummary) -> None:
        self.notify(f"Saved {patient.name_en or patient.name_ar}, {mrn_label(patient.mrn)}")

    def not_saved(self, error: DeskError) -> None:
        self.say(str(error))
        self.notify(str(error), severity="error")

    def unsaved(self) -> str | None:
        """What quitting now would lose (the app asks before it goes)."""
        if self.editing is None:
            typed = any(self.value(f.id) for f in FIELDS)
            return "The new patient form" if typed else None
        changed = any(self.value(f.id) != self.start_values.get(f.id, "") for f in FIELDS)
        name = self.editing.name_en or self.editing.name_ar
        return f"The changes to {name}'s record" if changed else None

    def action_cancel(self) -> None:
        self.dismiss(None)
