"""The demo's well-known patients, which tests and the README rely on (the others are made in
bulk by deskbook.db.demo_bulk). Their phones are given as a desk would hear them typed; they
are stored as registration stores them (E.164)."""

from __future__ import annotations

from dataclasses import dataclass

from deskbook.db.demo_catalog import ABA_20, SLP_10


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
