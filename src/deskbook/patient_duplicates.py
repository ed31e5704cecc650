"""Is this caller already a patient? The duplicate check before a registration or an edit, and
the near misses shown when a search finds nobody. Both are a few bounded index look-ups (the
search's own, deskbook.db.search) and a comparison of the handful of rows they return."""

from __future__ import annotations

import contextlib
import uuid
from datetime import date
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import phones
from deskbook.access import Actor, printable
from deskbook.db.models import Patient
from deskbook.db.search_sql import Equal, Lookup, Prefix, Words, run_lookups
from deskbook.errors import InvalidInput
from deskbook.normalize import SIDE_SEPARATOR, patient_name_norm, search_text
from deskbook.patients import birth, national_id_of, summary
from deskbook.results import PatientCandidate, PatientSummary

SAME_PHONE = "same phone"
SAME_NATIONAL_ID = "same national id"
SAME_NAME_AND_BIRTH = "same name and date of birth"
NEAR_MISSES = 10
_NEAR_LIMIT = 100
_NAME_STEM = 3  # a near miss by name shares the first letters of each folded word


def _phone_digits(phone: str | None, region: str) -> str | None:
    if phone is None or not str(phone).strip():
        return None
    try:
        return phones.parse_phone(phone, region).digits
    except InvalidInput:
        return None  # a half-typed number checks nothing yet


def _name_forms(name_en: str | None, name_ar: str | None) -> list[str]:
    """The stored forms (one side of name_norm, no leading space) of each name given."""
    return [
        patient_name_norm(name, None)[1:]
        for name in (name_en, name_ar)
        if name is not None and printable(name) and patient_name_norm(name, None).strip()
    ]


def possible_duplicates(
    session: Session,
    actor: Actor,
    region: str,
    name_en: str | None = None,
    name_ar: str | None = None,
    phone: str | None = None,
    date_of_birth: date | None = None,
    national_id: str | None = None,
    exclude: uuid.UUID | None = None,
) -> list[PatientCandidate]:
    """Records that may be this person: the same phone, the same national id, or the same
    name (either script, folded: Mohamed = Mohammed) with the same date of birth. exclude: the
    record being edited. Refuses nothing: what cannot be read is simply not compared."""
    born = birth(date_of_birth, actor.today()) if date_of_birth is not None else None
    try:
        nid = national_id_of(national_id)
    except InvalidInput:
        nid = None
    digits = _phone_digits(phone, region)
    forms = _name_forms(name_en, name_ar) if born is not None else []
    lookups: list[Lookup] = []
    if digits:
        lookups.append(Equal("phone_norm", (digits,)))
    if nid:
        lookups.append(Equal("national_id", (nid,)))
    for form in forms:
        # The whole of one side: the Arabic side (or an English-only name), or the English
        # side followed by an Arabic one.
        lookups.append(Equal("arabic", (form,)))
        lookups.append(Prefix("name_norm", " " + form + SIDE_SEPARATOR))
    found: dict[uuid.UUID, set[str]] = {}
    for match in run_lookups(session, actor.tenant_id, tuple(lookups)):
        if match.id == exclude:
            continue
        reason = lookups[match.lookup]
        why = (
            SAME_PHONE
            if isinstance(reason, Equal) and reason.column == "phone_norm"
            else SAME_NATIONAL_ID
            if isinstance(reason, Equal) and reason.column == "national_id"
            else SAME_NAME_AND_BIRTH
        )
        found.setdefault(match.id, set()).add(why)
    if not found:
        return []
    rows = session.scalars(
        select(Patient).where(
            col(Patient.tenant_id) == actor.tenant_id, col(Patient.id).in_(list(found))
        )
    )
    today = actor.today()
    out = []
    for row in rows:
        reasons = found[row.id]
        if SAME_NAME_AND_BIRTH in reasons and row.date_of_birth != born:
            reasons.discard(SAME_NAME_AND_BIRTH)
        if reasons:
            order = (SAME_NATIONAL_ID, SAME_PHONE, SAME_NAME_AND_BIRTH)
            out.append(
                PatientCandidate(
                    summary(row, today, region), tuple(r for r in order if r in reasons)
                )
            )
    # The strongest evidence first (a national id outweighs a shared family phone).
    return sorted(out, key=lambda c: (-len(c.reasons), c.reasons, c.patient.mrn))


def one_digit_off(digits: str) -> tuple[str, ...]:
    """Every number one digit away from digits: one digit wrong, or two neighbours swapped
    (at most 15 x 9 + 14 numbers, looked up whole in one index seek)."""
    near: dict[str, None] = {}
    for i, digit in enumerate(digits):
        for other in "0123456789":
            if other != digit:
                near[digits[:i] + other + digits[i + 1 :]] = None
        if i + 1 < len(digits) and digits[i + 1] != digit:
            near[digits[:i] + digits[i + 1] + digit + digits[i + 2 :]] = None
    return tuple(near)


def near_misses(session: Session, actor: Actor, region: str, query: str) -> list[PatientSummary]:
    """When a search finds nobody: patients the caller may have meant. A phone: every number
    one digit wrong or with two neighbours swapped, looked up whole (one IN-list seek of the
    phone index). A name: the names whose words start with the first letters of each folded
    word typed (Mohamad Rahsid -> muh rah, the trigram index), kept when close enough to the
    whole name typed. Best first, at most NEAR_MISSES."""
    text = printable(query)
    if not text or not text.strip():
        return []
    digits = phones.typed_digits(text)
    scored: dict[uuid.UUID, float] = {}
    if digits and len(digits) >= 7 and len(digits) * 2 >= len(text.replace(" ", "")):
        with contextlib.suppress(InvalidInput):  # else the digits as typed
            digits = phones.parse_phone(text, region).digits
        lookups: tuple[Lookup, ...] = (Equal("phone_norm", one_digit_off(digits), counted=False),)
        for match in run_lookups(session, actor.tenant_id, lookups):
            scored[match.id] = 1.0
    else:
        folded = search_text(text)
        stems = tuple(word[:_NAME_STEM] for word in folded.split() if len(word) >= _NAME_STEM)
        if stems:
            lookups = (Words(stems, " ", limit=_NEAR_LIMIT),)
            for match in run_lookups(session, actor.tenant_id, lookups):
                sides = match.name_norm[1:].split(SIDE_SEPARATOR)
                best = max(SequenceMatcher(None, folded, side).ratio() for side in sides)
                if best >= 0.6:
                    scored[match.id] = best
    if not scored:
        return []
    best_ids = sorted(scored, key=lambda i: -scored[i])[:NEAR_MISSES]
    rows = {
        row.id: row
        for row in session.scalars(
            select(Patient).where(
                col(Patient.tenant_id) == actor.tenant_id, col(Patient.id).in_(best_ids)
            )
        )
    }
    today = actor.today()
    return [summary(rows[i], today, region) for i in best_ids if i in rows]
