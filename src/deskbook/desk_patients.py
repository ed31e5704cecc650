"""The patient use cases of the staff-scoped session: find, open, register."""

from __future__ import annotations

from datetime import date

from deskbook import patients
from deskbook.access import as_id
from deskbook.results import (
    PatientMatches,
    PatientSummary,
)
from deskbook.session_base import Id, SessionBase


class PatientDesk(SessionBase):
    """Finding and registering patients."""

    # -- patients -------------------------------------------------------------------------

    def search_patients(self, query: str, limit: int = 50) -> list[PatientSummary]:
        actor = self._booker("search patients")
        return self._read(lambda s: patients.search(s, actor, query, limit))

    def find_patients(self, query: str, limit: int = 50) -> PatientMatches:
        """search_patients and the number of all matches, for "312 matches, first 50"."""
        actor = self._booker("search patients")
        return self._read(lambda s: patients.find(s, actor, query, limit))

    def get_patient(self, patient_id: Id) -> PatientSummary:
        actor = self._booker("see patients")
        pid = as_id(patient_id, "patient")
        return self._read(lambda s: patients.get(s, actor, pid))

    def register_patient(
        self,
        name_en: str,
        phone: str,
        date_of_birth: date | None,
        name_ar: str | None = None,
        sex: str | None = None,
        national_id: str | None = None,
    ) -> PatientSummary:
        actor = self._booker("register patients")
        return self._write(
            lambda s: patients.register(
                s, actor, name_en, phone, date_of_birth, name_ar, sex, national_id
            )
        )
