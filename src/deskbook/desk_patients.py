"""The patient use cases of the staff-scoped session: find, open, register, correct, merge."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from deskbook import audit, patients
from deskbook.access import as_id
from deskbook.errors import Busy, OpeningNotRecorded
from deskbook.results import (
    PatientMatches,
    PatientSummary,
)
from deskbook.session_base import Id, SessionBase


class PatientDesk(SessionBase):
    """Finding and registering patients."""

    _tenant_region: str | None = None

    def _region(self, session: Session) -> str:
        # The clinic's country changes once in its life, if ever: read once per login.
        if self._tenant_region is None:
            self._tenant_region = patients.region_of(session, self._actor.tenant_id)
        return self._tenant_region

    # -- patients -------------------------------------------------------------------------

    def search_patients(self, query: str, limit: int = 50) -> list[PatientSummary]:
        actor = self._booker("search patients")
        return self._read(lambda s: patients.search(s, actor, query, limit, self._region(s)))

    def find_patients(self, query: str, limit: int = 50) -> PatientMatches:
        """search_patients and the number of all matches, for "312 matches, first 50"."""
        actor = self._booker("search patients")
        return self._read(lambda s: patients.find(s, actor, query, limit, region=self._region(s)))

    def get_patient(self, patient_id: Id) -> PatientSummary:
        """Open a patient's record. Health data is sensitive under Saudi PDPL, so the opening is
        noted in the audit trail (who, when, which patient, which desk) in the same short
        transaction as the read: when the note cannot be written, nothing is shown."""
        actor = self._booker("see patients")
        pid = as_id(patient_id, "patient")

        def open_record(s: Session) -> PatientSummary:
            found = patients.get(s, actor, pid, self._region(s))
            audit.looked_at(s, actor, "open_patient", "patient", pid, self.desk)
            return found

        try:
            return self._write(open_record)
        except Busy:
            raise OpeningNotRecorded() from None

    def register_patient(
        self,
        name_en: str | None,
        phone: str,
        date_of_birth: date | None,
        name_ar: str | None = None,
        sex: str | None = None,
        national_id: str | None = None,
        *,
        guardian_name: str | None = None,
        guardian_phone: str | None = None,
        notes: str | None = None,
    ) -> PatientSummary:
        """Either name is enough (English or Arabic). Call possible_duplicates first: the
        desk shows the candidates and asks before creating another record."""
        actor = self._booker("register patients")
        return self._write(
            lambda s: patients.register(
                s,
                actor,
                name_en,
                phone,
                date_of_birth,
                name_ar,
                sex,
                national_id,
                guardian_name=guardian_name,
                guardian_phone=guardian_phone,
                notes=notes,
            )
        )
