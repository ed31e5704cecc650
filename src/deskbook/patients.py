"""Finding and registering patients, and the checks every write of a patient's fields shares
(register, update_patient, the import of a clinic's list)."""

from __future__ import annotations

import re
import time
import uuid
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit, phones
from deskbook.access import Actor, clean_text, get_owned, printable
from deskbook.access import count as count_arg
from deskbook.db.models import Patient, Tenant
from deskbook.db.search import find_patients
from deskbook.errors import InvalidInput
from deskbook.normalize import fold_digits, is_arabic, patient_name_norm
from deskbook.results import PatientMatches, PatientSummary

# A patient's record as a desk edits it and a spreadsheet holds it (import, export), in
# that order: the MRN first, as clinics file by it.
RECORD_FIELDS = (
    "mrn",
    "name_en",
    "name_ar",
    "phone",
    "date_of_birth",
    "sex",
    "national_id",
    "guardian_name",
    "guardian_phone",
    "notes",
)
# The MRN scheme of a tenant that has no patients yet; after that, its own MRNs decide.
MRN_PREFIX = "P"
MRN_DIGITS = 7
_MRN = re.compile(r"^(.*?)(\d+)$")
_SCHEME_SAMPLE = 1000
_NATIONAL_ID = re.compile(r"^[A-Za-z0-9]{5,32}$")
_SEXES = {"M": "M", "F": "F", "MALE": "M", "FEMALE": "F", "ذكر": "M", "أنثى": "F", "انثى": "F"}
# A query that may be an MRN typed short: "1279", "0001279", "mrn1279".
_SHORT_MRN = re.compile(r"^([A-Za-z]*)[\s-]*(\d{1,12})$")


def age_on(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def region_of(session: Session, tenant_id: uuid.UUID) -> str:
    """The tenant's country, for phones typed without a country code."""
    tenant = session.get(Tenant, tenant_id)
    region = tenant.region if tenant is not None else phones.DEFAULT_REGION
    return region if phones.known_region(region) else phones.DEFAULT_REGION


def summary(patient: Patient, today: date, region: str = phones.DEFAULT_REGION) -> PatientSummary:
    return PatientSummary(
        id=patient.id,
        mrn=patient.mrn,
        name_en=patient.name_en,
        name_ar=patient.name_ar,
        phone=patient.phone if patient.phone_flagged else phones.display(patient.phone, region),
        date_of_birth=patient.date_of_birth,
        age=age_on(patient.date_of_birth, today),
        national_id=patient.national_id,
        sex=patient.sex,
        phone_e164=patient.phone,
        phone_flagged=bool(patient.phone_flagged),
        guardian_name=patient.guardian_name,
        guardian_phone=phones.display(patient.guardian_phone, region) or None,
        notes=patient.notes,
    )


def search(
    session: Session, actor: Actor, query: str, limit: int, region: str = phones.DEFAULT_REGION
) -> list[PatientSummary]:
    return list(find(session, actor, query, limit, count=False, region=region).patients)


def find(
    session: Session,
    actor: Actor,
    query: str,
    limit: int,
    count: bool = True,
    region: str = phones.DEFAULT_REGION,
) -> PatientMatches:
    text = printable(query)
    if text is None:
        raise InvalidInput("Type a name, phone, MRN or national id (200 characters at most).")
    limit = count_arg(limit, "number of results", 0, 1000, default=50)
    if not text.strip():
        return PatientMatches((), 0, False)
    today = actor.today()
    mrns = mrn_readings(session, actor.tenant_id, text)
    found = find_patients(session, actor.tenant_id, text, limit, count=count, mrns=mrns)
    return PatientMatches(
        tuple(summary(p, today, region) for p in found.patients), found.total, found.more
    )


_SCHEMES: dict[uuid.UUID, tuple[float, tuple[str, int]]] = {}
_SCHEME_SECONDS = 60.0


def _scheme_of(session: Session, tenant_id: uuid.UUID) -> tuple[str, int]:
    """_tenant_scheme, read again at most once a minute: it changes when a clinic's first
    patients arrive, not from one keystroke to the next, and a search should not pay for it."""
    now = time.monotonic()
    cached = _SCHEMES.get(tenant_id)
    if cached is not None and now - cached[0] < _SCHEME_SECONDS:
        return cached[1]
    scheme = _tenant_scheme(session, tenant_id)
    _SCHEMES[tenant_id] = (now, scheme)
    return scheme


def mrn_readings(session: Session, tenant_id: uuid.UUID, query: str) -> tuple[str, ...]:
    """The whole MRN a short one stands for in the tenant's scheme: "1279", "0001279" and
    "mrn1279" are MRN0001279 where MRNs are MRN + 7 digits. Two reads of the MRN index."""
    match = _SHORT_MRN.match(fold_digits(query).strip())
    if match is None:
        return ()
    letters, digits = match.groups()
    prefix, width = _scheme_of(session, tenant_id)
    if (letters and letters.upper() != prefix.upper()) or len(digits.lstrip("0")) > width:
        return ()
    return (f"{prefix}{int(digits):0{width}d}",)


def get(
    session: Session, actor: Actor, patient_id: uuid.UUID, region: str = phones.DEFAULT_REGION
) -> PatientSummary:
    return summary(get_owned(session, Patient, patient_id, actor, "patient"), actor.today(), region)


def names(name_en: object, name_ar: object) -> tuple[str, str | None]:
    """Either name is enough. An Arabic name typed in the English field (or the other way
    round) goes to the field of its own script rather than being refused."""
    english = clean_text(name_en, "English name", 200)
    arabic = clean_text(name_ar, "Arabic name", 200)
    if english and is_arabic(english) and not arabic:
        english, arabic = None, english
    if english is None and arabic is None:
        raise InvalidInput("Type the patient's name, in English or in Arabic.")
    return english or "", arabic


def birth(value: date | None, today: date) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise InvalidInput("The date of birth must be a date.")
    if value > today:
        raise InvalidInput("The date of birth cannot be in the future.")
    if value.year < 1900:
        raise InvalidInput("The date of birth is too far in the past.")
    return value


def sex_code(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    sex = _SEXES.get(str(value).strip().upper())
    if sex is None:
        raise InvalidInput("Sex must be M or F.")
    return sex


def national_id_of(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    cleaned = str(value).strip()
    if not _NATIONAL_ID.match(cleaned):
        raise InvalidInput("The national id must be 5 to 32 letters or digits.")
    return cleaned


def _scheme(mrn: str | None) -> tuple[str, int] | None:
    """An MRN's prefix and digit count: "MRN0000042" -> ("MRN", 7)."""
    match = _MRN.match(mrn or "")
    return (match.group(1), len(match.group(2))) if match else None


def _in_scheme(tenant_id: uuid.UUID, prefix: str, digits: int) -> Select[str]:
    # A range of the (tenant, mrn) unique index: every MRN of the scheme sorts inside it.
    return select(col(Patient.mrn)).where(
        col(Patient.tenant_id) == tenant_id,
        col(Patient.mrn) >= prefix + "0" * digits,
        col(Patient.mrn) <= prefix + "9" * digits,
        func.length(Patient.mrn) == len(prefix) + digits,
    )


def _tenant_scheme(session: Session, tenant_id: uuid.UUID) -> tuple[str, int]:
    """The scheme the tenant's MRNs follow, from the two ends of its MRN index (a handful of
    index reads, whatever the number of patients). When the ends disagree (a tenant where
    another scheme crept in), the one more MRNs follow wins, counted up to a cap."""
    ends = [
        _scheme(
            session.scalar(
                select(col(Patient.mrn))
                .where(col(Patient.tenant_id) == tenant_id)
                .order_by(order)
                .limit(1)
            )
        )
        for order in (col(Patient.mrn), col(Patient.mrn).desc())
    ]
    schemes = list(dict.fromkeys(scheme for scheme in ends if scheme is not None))
    if not schemes:
        return MRN_PREFIX, MRN_DIGITS
    if len(schemes) == 1:
        return schemes[0]

    def followers(scheme: tuple[str, int]) -> int:
        bounded = _in_scheme(tenant_id, *scheme).limit(_SCHEME_SAMPLE).subquery()
        return session.scalar(select(func.count()).select_from(bounded)) or 0

    return max(schemes, key=followers)  # max keeps the first (the lower MRNs) on a tie


def next_mrn(session: Session, tenant_id: uuid.UUID) -> str:
    # Called with the tenant row locked, so two desks never compute the same number; the
    # unique (tenant, mrn) index is the backstop.
    prefix, digits = _tenant_scheme(session, tenant_id)
    last = session.scalar(
        _in_scheme(tenant_id, prefix, digits).order_by(col(Patient.mrn).desc()).limit(1)
    )
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:0{digits}d}"


def register(
    session: Session,
    actor: Actor,
    name_en: str | None,
    phone: str,
    date_of_birth: date | None,
    name_ar: str | None,
    sex: str | None,
    national_id: str | None,
    guardian_name: str | None = None,
    guardian_phone: str | None = None,
    notes: str | None = None,
) -> PatientSummary:
    today = actor.today()
    region = region_of(session, actor.tenant_id)
    english, arabic = names(name_en, name_ar)
    number = phones.parse_phone(phone, region)
    guardian = (
        phones.parse_phone(guardian_phone, region, "guardian's phone")
        if guardian_phone and str(guardian_phone).strip()
        else None
    )
    born = birth(date_of_birth, today)
    sex_value = sex_code(sex)
    nid = national_id_of(national_id)
    guardian_text = clean_text(guardian_name, "guardian's name", 200)
    note_text = clean_text(notes, "notes", 1000, multiline=True)
    # The MRN counter's lock; NO KEY UPDATE so every other desk's audit row (which points at
    # the tenant) does not queue behind a registration (see access.lock_owned).
    session.get(Tenant, actor.tenant_id, with_for_update={"key_share": True})
    patient = Patient(
        tenant_id=actor.tenant_id,
        mrn=next_mrn(session, actor.tenant_id),
        name_en=english,
        name_ar=arabic,
        date_of_birth=born,
        sex=sex_value,
        phone=number.stored,
        national_id=nid,
        name_norm=patient_name_norm(english, arabic),
        phone_norm=number.digits,
        guardian_name=guardian_text,
        guardian_phone=guardian.stored if guardian else None,
        guardian_phone_norm=guardian.digits if guardian else "",
        notes=note_text,
    )
    session.add(patient)
    session.flush()
    result = summary(patient, today, region)
    audit.log(
        session,
        actor,
        "register_patient",
        "patient",
        patient.id,
        after={"mrn": patient.mrn, "name_en": english, "name_ar": arabic, "phone": number.stored},
    )
    return result
