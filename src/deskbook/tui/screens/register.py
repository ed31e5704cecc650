"""Register a new patient (a modal form over the search). A refused form keeps every field.

The search text comes along into the field of its own script: Arabic letters into the Arabic
name, digits into the phone, anything else into the English name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from deskbook.normalize import is_arabic
from deskbook.results import PatientSummary
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import mrn_label
from deskbook.tui.screens.patient_form import PatientDraft, PatientForm

_PHONE_LIKE = re.compile(r"[+\d\s\-()٠-٩]{4,}")


def carried_over(query: str) -> dict[str, str]:
    """The field a search text belongs in."""
    text = query.strip()
    if not text:
        return {}
    if _PHONE_LIKE.fullmatch(text):
        return {"phone": text}
    if is_arabic(text):
        return {"name_ar": text}
    return {"name_en": text}


class RegisterScreen(PatientForm):
    SCOPE = "register"
    BINDINGS = bindings("register")
    TITLE_TEXT = "New patient"
    ANYWAY = "Register anyway"

    def __init__(self, query: str = "") -> None:
        super().__init__(carried_over(query))
        self.query_text = query.strip()

    def writer(self, draft: PatientDraft) -> Callable[[], PatientSummary]:
        return partial(
            self.session.register_patient,
            draft.name_en,
            draft.phone,
            draft.date_of_birth,
            name_ar=draft.name_ar,
            sex=draft.sex,
            national_id=draft.national_id,
            guardian_name=draft.guardian_name,
            guardian_phone=draft.guardian_phone,
            notes=draft.notes,
        )

    def saved(self, patient: PatientSummary) -> None:
        self.notify(f"Registered {patient.name_en or patient.name_ar}, {mrn_label(patient.mrn)}")
