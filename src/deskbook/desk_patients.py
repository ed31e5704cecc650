"""The patient use cases of the staff-scoped session: find, open, register, correct, merge."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from deskbook import audit, patient_changes, patient_duplicates, patients
from deskbook.access import as_id
from deskbook.errors import Busy, OpeningNotRecorded
from deskbook.results import (
    PatientCandidate,
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

    def possible_duplicates(
        self,
        name_en: str | None = None,
        name_ar: str | None = None,
        phone: str | None = None,
        date_of_birth: date | None = None,
        national_id: str | None = None,
        exclude: Id | None = None,
    ) -> list[PatientCandidate]:
        """Records that may be the same person (same phone, same national id, or same folded
        name and date of birth), strongest first: before register_patient, and on an edit
        with the edited record as exclude."""
        actor = self._booker("search patients")
        skip = as_id(exclude, "patient") if exclude is not None else None
        return self._read(
            lambda s: patient_duplicates.possible_duplicates(
                s,
                actor,
                self._region(s),
                name_en,
                name_ar,
                phone,
                date_of_birth,
                national_id,
                skip,
            )
        )

    def near_misses(self, query: str) -> list[PatientSummary]:
        """For a search that found nobody: a phone one digit off, names close to the one
        typed. Show these before offering to register."""
        actor = self._booker("search patients")
        return self._read(
            lambda s: patient_duplicates.near_misses(s, actor, self._region(s), query)
        )

    def update_patient(self, patient_id: Id, **changes: Any) -> PatientSummary:
        """Correct a record: name_en, name_ar, phone, date_of_birth, sex, national_id,
        guardian_name, guardian_phone, notes. Audited with the values before."""
        actor = self._booker("change patients")
        pid = as_id(patient_id, "patient")
        return self._write(
            lambda s: patient_changes.update_patient(s, actor, self._region(s), pid, changes)
        )

    def merge_patients(self, keep_id: Id, merge_id: Id, reason: str) -> PatientSummary:
        """ADMIN: one person, two records. Everything of merge_id moves to keep_id in one
        transaction; merge_id is gone from search; the audit names both."""
        keep, merge = as_id(keep_id, "patient"), as_id(merge_id, "patient")
        return self._write(
            lambda s: patient_changes.merge_patients(
                s, self._actor, self._region(s), keep, merge, reason
            )
        )
