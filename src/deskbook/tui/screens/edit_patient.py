"""Correct a patient's record: phone, both names, birth date, sex, national id, guardian and
alerts. Only what was changed is sent (update_patient audits each field with its old value);
the duplicate check runs on an edit too, the record itself left out, when a field that tells
who the patient is was changed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from deskbook.results import PatientSummary
from deskbook.tui.actions import bindings
from deskbook.tui.screens.base import mrn_label
from deskbook.tui.screens.patient_form import FIELDS, PatientDraft, PatientForm, desk_date

WHO = ("name_en", "name_ar", "phone", "date_of_birth", "national_id")


def form_values(p: PatientSummary) -> dict[str, str]:
    """The record as the form shows it: phones in national format, the date day first. A phone
    that could not be read is shown as it was typed, to be corrected."""
    return {
        "name_en": p.name_en,
        "name_ar": p.name_ar or "",
        "phone": p.phone_e164 if p.phone_flagged else p.phone,
        "date_of_birth": desk_date(p.date_of_birth),
        "sex": p.sex or "",
        "national_id": p.national_id or "",
        "guardian_name": p.guardian_name or "",
        "guardian_phone": p.guardian_phone or "",
        "notes": p.notes or "",
    }


class EditPatientScreen(PatientForm):
    SCOPE = "edit"
    BINDINGS = bindings("edit")
    ANYWAY = "Save anyway"
    # A record registered without a birth date may be corrected without adding one.
    BIRTH_REQUIRED = False

    def __init__(self, patient: PatientSummary) -> None:
        super().__init__(form_values(patient), editing=patient)
        self.patient = patient
        self.TITLE_TEXT = f"Edit {patient.name_en or patient.name_ar} · {mrn_label(patient.mrn)}"

    def first_focus(self) -> str:
        return "phone"  # the field most often corrected

    def changes(self, draft: PatientDraft) -> dict[str, Any]:
        """The fields whose text was changed: the rest stays as stored (a phone shown in
        national format is not sent back to be read again)."""
        shown, typed = form_values(self.patient), draft.as_changes()
        return {f.id: typed[f.id] for f in FIELDS if self.value(f.id) != shown[f.id]}

    def check_duplicates(self, draft: PatientDraft) -> bool:
        return any(field in WHO for field in self.changes(draft))

    def writer(self, draft: PatientDraft) -> Callable[[], PatientSummary]:
        changes = self.changes(draft)
        if not changes:
            return lambda: self.patient
        return partial(self.session.update_patient, self.patient.id, **changes)

    def saved(self, patient: PatientSummary) -> None:
        self.notify(f"Saved the record of {patient.name_en or patient.name_ar}")
