"""The demo's patients: a few well-known ones that tests and the README rely on, and a generator
of plausible others (Arabic and English names, Saudi mobile numbers, MRNs, national ids)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from deskbook.db.demo_catalog import ABA_20, FAMILY, FEMALE_FIRST, MALE_FIRST, SLP_10
from deskbook.normalize import normalize_phone, patient_name_norm


@dataclass(frozen=True)
class ScriptedPurchase:
    """A purchase bought `bought_days_ago`, with `completed` sessions done before today and
    `booked` sessions booked in the second and third week ahead."""

    package: str
    bought_days_ago: int
    completed: int
    booked: int


@dataclass(frozen=True)
class DemoPatient:
    key: str
    mrn: str
    name_en: str
    name_ar: str
    phone: str
    national_id: str
    sex: str
    purchases: tuple[ScriptedPurchase, ...]
    story: str
    group_seat: bool = False


# Always in the demo, whatever --patients and --seed say; the random patients never get these
# exact names (theirs always have three parts).
DEMO_PATIENTS = (
    DemoPatient(
        "rashid",
        "MRN0000001",
        "Mohammed Al-Rashid",
        "محمد الرشيد",
        "+966501234567",
        "1023456789",
        "M",
        (ScriptedPurchase(SLP_10, 40, 3, 2),),
        "10 SLP Sessions half used: 3 completed, 2 booked, 5 left",
    ),
    DemoPatient(
        "twice",
        "MRN0000002",
        "Fatimah Al-Zahrani",
        "فاطمة الزهراني",
        "0551112222",
        "1034567890",
        "F",
        (ScriptedPurchase(SLP_10, 30, 2, 1), ScriptedPurchase(SLP_10, 5, 0, 0)),
        "10 SLP Sessions bought twice: 3/10 used and 0/10 used",
    ),
    DemoPatient(
        "nothing",
        "MRN0000003",
        "Layla Al-Issa",
        "ليلى العيسى",
        "966562223333",
        "2045678901",
        "F",
        (),
        "no purchases and no appointments",
    ),
    DemoPatient(
        "used_up",
        "MRN0000004",
        "Ibrahim Al-Asmari",
        "إبراهيم الأسمري",
        "0574445555",
        "1056789012",
        "M",
        (ScriptedPurchase(SLP_10, 100, 10, 0), ScriptedPurchase(ABA_20, 150, 8, 0)),
        "10 SLP Sessions exhausted (10/10, COMPLETED) and 20 ABA Therapy Package expired "
        "60 days ago with 8/20 used (EXPIRED)",
    ),
    DemoPatient(
        "fresh",
        "MRN0000005",
        "Amna Al-Qahtani",
        "آمنة القحطاني",
        "+966 58 666 7777",
        "2067890123",
        "F",
        (ScriptedPurchase(ABA_20, 2, 0, 0),),
        "20 ABA Therapy Package bought two days ago, 0/20 used",
    ),
    DemoPatient(
        "group",
        "MRN0000006",
        "Mustafa Al-Otaibi",
        "مصطفى العتيبي",
        "0598889999",
        "1078901234",
        "M",
        (),
        "a booked seat in an upcoming group session that still has free seats",
        group_seat=True,
    ),
)

DEMO_PATIENT = {p.key: p for p in DEMO_PATIENTS}

_PHONE_FORMATS = (
    lambda n: f"+9665{n}",
    lambda n: f"05{n}",
    lambda n: f"9665{n}",
    lambda n: f"+966 5{n[:1]} {n[1:4]} {n[4:]}",
    lambda n: f"05{n[:1]} {n[1:4]} {n[4:]}",
)


class PatientMaker:
    """Plausible patients, fast: the name folding is memoized because a million patients
    share a few hundred thousand distinct names."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self._norms: dict[tuple[str, str], str] = {}

    def name_norm(self, name_en: str, name_ar: str) -> str:
        key = (name_en, name_ar)
        norm = self._norms.get(key)
        if norm is None:
            norm = patient_name_norm(name_en, name_ar)
            if len(self._norms) < 400_000:
                self._norms[key] = norm
        return norm

    def make(self, number: int) -> tuple[str, str, str, str, str, date, str]:
        """(mrn, name_en, name_ar, sex, phone, date_of_birth, national_id) of patient number."""
        rng = self.rng
        sex = "F" if rng.random() < 0.48 else "M"
        first = rng.choice(FEMALE_FIRST if sex == "F" else MALE_FIRST)
        father = rng.choice(MALE_FIRST)
        family = rng.choice(FAMILY)
        name_en = f"{first[0]} {father[0]} {family[0]}"
        name_ar = f"{first[1]} {father[1]} {family[1]}"
        digits = f"{rng.randrange(100_000_000):08d}"
        phone = _PHONE_FORMATS[rng.randrange(len(_PHONE_FORMATS))](digits)
        # Mostly children (speech, ABA, OT); some adults (physiotherapy).
        age_days = (
            rng.randint(2 * 365, 17 * 365)
            if rng.random() < 0.75
            else rng.randint(18 * 365, 80 * 365)
        )
        national_id = f"{1 if rng.random() < 0.8 else 2}{rng.randrange(1_000_000_000):09d}"
        return (
            f"MRN{number:07d}",
            name_en,
            name_ar,
            sex,
            phone,
            self.today - timedelta(days=age_days),
            national_id,
        )

    @staticmethod
    def phone_norm(phone: str) -> str:
        return normalize_phone(phone)
