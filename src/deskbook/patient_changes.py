"""Correcting a patient's record and merging two records of one person. Each is one locked
transaction, audited with what was there before; a refused change writes nothing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit, phones
from deskbook.access import ADMINS, Actor, clean_text, lock_owned, require
from deskbook.db.models import Appointment, AppointmentStatus, Patient, metadata
from deskbook.errors import InvalidInput
from deskbook.normalize import patient_name_norm
from deskbook.patients import RECORD_FIELDS, birth, names, national_id_of, sex_code, summary
from deskbook.results import PatientSummary

# The MRN is the clinic's file number: a record keeps it for life.
EDITABLE = RECORD_FIELDS[1:]
# What the kept record takes from the merged one when it has nothing there itself.
_FILLED_ON_MERGE = (
    "name_ar",
    "date_of_birth",
    "sex",
    "national_id",
    "guardian_name",
    "guardian_phone",
    "guardian_phone_norm",
)


def _shown(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def update_patient(
    session: Session, actor: Actor, region: str, patient_id: uuid.UUID, changes: dict[str, Any]
) -> PatientSummary:
    """Change some of EDITABLE; every value is checked before anything is written. A field
    given as None or "" is cleared (the phone and the last name left cannot be)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            f"A patient has no field {', '.join(unknown)} to change; "
            f"these can be changed: {', '.join(EDITABLE)}."
        )
    patient = lock_owned(session, Patient, patient_id, actor, "patient")
    today = actor.today()
    new: dict[str, Any] = {}
    if "name_en" in changes or "name_ar" in changes:
        english, arabic = names(
            changes.get("name_en", patient.name_en), changes.get("name_ar", patient.name_ar)
        )
        new.update(name_en=english, name_ar=arabic)
    if "phone" in changes:
        number = phones.parse_phone(changes["phone"], region)
        new.update(phone=number.stored, phone_norm=number.digits, phone_flagged=False)
    if "guardian_phone" in changes:
        typed = changes["guardian_phone"]
        if typed is None or not str(typed).strip():
            new.update(guardian_phone=None, guardian_phone_norm="")
        else:
            number = phones.parse_phone(typed, region, "guardian's phone")
            new.update(guardian_phone=number.stored, guardian_phone_norm=number.digits)
    if "date_of_birth" in changes:
        new["date_of_birth"] = birth(changes["date_of_birth"], today)
    if "sex" in changes:
        new["sex"] = sex_code(changes["sex"])
    if "national_id" in changes:
        new["national_id"] = national_id_of(changes["national_id"])
    if "guardian_name" in changes:
        new["guardian_name"] = clean_text(changes["guardian_name"], "guardian's name", 200)
    if "notes" in changes:
        new["notes"] = clean_text(changes["notes"], "notes", 1000, multiline=True)
    changed = {k: v for k, v in new.items() if getattr(patient, k) != v}
    if not changed:
        return summary(patient, today, region)
    before = {k: _shown(getattr(patient, k)) for k in changed if not k.endswith("_norm")}
    for key, value in changed.items():
        setattr(patient, key, value)
    if "name_en" in changed or "name_ar" in changed:
        patient.name_norm = patient_name_norm(patient.name_en, patient.name_ar)
    session.flush()
    after = {k: _shown(v) for k, v in changed.items() if not k.endswith("_norm")}
    audit.log(session, actor, "update_patient", "patient", patient.id, before=before, after=after)
    return summary(patient, today, region)


def _patient_columns() -> list[tuple[str, str]]:
    """(table, column) of every foreign key to patient.id: what a merge moves. Read off the
    schema, so a table added later that belongs to a patient moves too."""
    out = []
    for table in metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "patient" and fk.column.name == "id":
                out.append((table.name, fk.parent.name))
    return out


def _overlap(session: Session, actor: Actor, keep: uuid.UUID, merge: uuid.UUID) -> str | None:
    """A time when both records have a live visit: the merged record could not hold both."""
    live = col(Appointment.status) != AppointmentStatus.CANCELLED
    mine = list(
        session.execute(
            select(col(Appointment.start_at), col(Appointment.end_at)).where(
                col(Appointment.tenant_id) == actor.tenant_id,
                col(Appointment.patient_id) == keep,
                live,
            )
        )
    )
    if not mine:
        return None
    for start, end in session.execute(
        select(col(Appointment.start_at), col(Appointment.end_at)).where(
            col(Appointment.tenant_id) == actor.tenant_id,
            col(Appointment.patient_id) == merge,
            live,
        )
    ):
        for other_start, other_end in mine:
            if start < other_end and other_start < end:
                return start.astimezone(actor.tz).strftime("%d/%m/%Y %H:%M")
    return None


def merge_patients(
    session: Session,
    actor: Actor,
    region: str,
    keep_id: uuid.UUID,
    merge_id: uuid.UUID,
    reason: str,
) -> PatientSummary:
    """ADMIN: merge_id's visits, purchases (with their payments), waitlist entries and any
    other rows of that patient move to keep_id; keep_id's blanks are filled from merge_id; the
    merged record is deleted, so search no longer finds it. The audit trail names both ids,
    under each of them."""
    require(actor, ADMINS, "merge patient records")
    why = clean_text(reason, "reason", 500, required=True)
    if keep_id == merge_id:
        raise InvalidInput("Choose two different records to merge.")
    # Both rows locked, in id order, so two desks merging crosswise cannot deadlock.
    locked = {
        pid: lock_owned(session, Patient, pid, actor, "patient")
        for pid in sorted((keep_id, merge_id))
    }
    keep, merge = locked[keep_id], locked[merge_id]
    clash = _overlap(session, actor, keep_id, merge_id)
    if clash:
        raise InvalidInput(
            f"Both records have a visit at {clash}; cancel one of them before merging."
        )
    moved: dict[str, int] = {}
    for table_name, column in _patient_columns():
        table = metadata.tables[table_name]
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(table)
            .where(table.c[column] == merge_id, table.c.tenant_id == actor.tenant_id)
            .values({column: keep_id})
        )
        if result.rowcount:
            moved[table_name] = result.rowcount
    filled = {}
    for field in _FILLED_ON_MERGE:
        if not getattr(keep, field) and getattr(merge, field):
            filled[field] = getattr(merge, field)
            setattr(keep, field, getattr(merge, field))
    if not keep.name_en and merge.name_en:
        keep.name_en = merge.name_en
        keep.name_norm = patient_name_norm(keep.name_en, keep.name_ar)
    elif "name_ar" in filled:
        keep.name_norm = patient_name_norm(keep.name_en, keep.name_ar)
    merged = {
        "id": str(merge.id),
        "mrn": merge.mrn,
        "name_en": merge.name_en,
        "name_ar": merge.name_ar,
        "phone": merge.phone,
        "date_of_birth": _shown(merge.date_of_birth),
        "national_id": merge.national_id,
    }
    session.delete(merge)
    session.flush()
    after = {
        "kept_id": str(keep.id),
        "kept_mrn": keep.mrn,
        "merged_id": str(merge_id),
        "merged_mrn": merged["mrn"],
        "moved": moved,
        "filled": {k: _shown(v) for k, v in filled.items() if not k.endswith("_norm")},
        "reason": why,
    }
    audit.log(session, actor, "merge_patients", "patient", keep.id, before=merged, after=after)
    audit.log(session, actor, "merged_into", "patient", merge_id, before=merged, after=after)
    return summary(keep, actor.today(), region)
