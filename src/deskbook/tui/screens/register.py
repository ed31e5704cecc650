"""Register a new patient (a modal form over the search). A refused form keeps every field."""

from __future__ import annotations

import re
from datetime import date
from functools import partial

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Footer, Input, Label, Static

from deskbook.errors import DeskError
from deskbook.results import PatientSummary
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import DeskModal, mrn_label

FIELDS = (
    ("name_en", "Name (English)*", "e.g. Rana Khalil"),
    ("name_ar", "Name (Arabic)", "optional"),
    ("phone", "Phone*", "05XXXXXXXX"),
    ("date_of_birth", "Date of birth*", "YYYY-MM-DD"),
    ("sex", "Sex (M/F)", "optional: M or F"),
    ("national_id", "National id", "optional"),
)


class RegisterScreen(DeskModal[PatientSummary | None]):
    SCOPE = "register"
    BINDINGS = bindings("register")

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.query_text = query.strip()

    def compose(self) -> ComposeResult:
        looks_like_phone = bool(re.fullmatch(r"[+\d ]{4,}", self.query_text))
        with Vertical(id="register-box", classes="dialog"):
            yield Static("New patient", classes="title")
            with Grid(id="register-grid"):
                for name, label, hint in FIELDS:
                    value = ""
                    if (name == "phone" and looks_like_phone) or (
                        name == "name_en" and not looks_like_phone
                    ):
                        value = self.query_text
                    yield Label(label)
                    yield Input(value, placeholder=hint, id=name)
            yield Static("Enter saves · Tab next field · Esc cancels", classes="hint")
            yield Static("", id="register-error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        first_empty = next(
            (i for i in self.query(Input) if not i.value), self.query_one("#name_en", Input)
        )
        first_empty.focus()

    def unsaved(self) -> str | None:
        return "The new patient form" if any(i.value.strip() for i in self.query(Input)) else None

    def value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        error = self.query_one("#register-error", Static)
        missing = [
            label for name, label, _ in FIELDS if label.endswith("*") and not self.value(name)
        ]
        if missing:
            error.update("Please fill in: " + ", ".join(m.rstrip("*") for m in missing))
            return
        try:
            born = date.fromisoformat(self.value("date_of_birth"))
        except ValueError:
            error.update("Date of birth must look like 2019-04-23.")
            self.query_one("#date_of_birth", Input).focus()
            return
        sex = self.value("sex").upper() or None
        error.update("Saving…")
        register = partial(
            self.session.register_patient,
            self.value("name_en"),
            self.value("phone"),
            born,
            name_ar=self.value("name_ar") or None,
            sex=sex,
            national_id=self.value("national_id") or None,
        )
        self.write("register", register, self.registered, self.not_registered)

    def registered(self, patient: PatientSummary) -> None:
        self.notify(f"Registered {patient.name_en}, {mrn_label(patient.mrn)}")
        self.dismiss(patient)

    def not_registered(self, error: DeskError) -> None:
        self.query_one("#register-error", Static).update(str(error))
        self.notify(str(error), severity="error")

    def action_cancel(self) -> None:
        self.dismiss(None)
