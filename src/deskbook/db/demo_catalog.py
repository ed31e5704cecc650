"""What the demo clinic is made of: its clinics, services, catalog, staff, and the names its
people are drawn from. Plain data; deskbook.db.demo turns it into rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

TENANT_NAME = "Riyadh Therapy Centre"
TENANT_TIMEZONE = "Asia/Riyadh"
TENANT_CURRENCY = "SAR"

# (username, password, role, display name). For trying the app only: printed at the end.
DEMO_LOGINS = (
    ("admin", "admin", "ADMIN", "Clinic Administrator"),
    ("frontdesk", "frontdesk", "FRONT_DESK", "Front Desk"),
    ("provider", "provider", "PROVIDER", "Dr. Noura Al-Harbi"),
)


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name_en: str
    name_ar: str
    minutes: int
    price: Decimal
    group: bool = False


@dataclass(frozen=True)
class ClinicSpec:
    specialty: str
    name_en: str
    name_ar: str
    services: tuple[ServiceSpec, ...]


def _svc(code: str, en: str, ar: str, minutes: int, price: str, group: bool = False) -> ServiceSpec:
    return ServiceSpec(code, en, ar, minutes, Decimal(price), group)


CLINICS = (
    ClinicSpec(
        "SLP",
        "Speech-Language Pathology",
        "عيادة النطق والتخاطب",
        (
            _svc("slp_session", "Speech Therapy Session", "جلسة علاج النطق", 45, "350.00"),
            _svc("slp_assess", "Speech & Language Assessment", "تقييم النطق واللغة", 60, "600.00"),
            _svc("slp_followup", "Speech Follow-up", "متابعة النطق", 30, "250.00"),
            _svc(
                "slp_group",
                "Social Communication Group",
                "مجموعة التواصل الاجتماعي",
                60,
                "200.00",
                True,
            ),
        ),
    ),
    ClinicSpec(
        "ABA",
        "Applied Behavior Analysis",
        "تحليل السلوك التطبيقي",
        (
            _svc("aba_session", "ABA Therapy Session", "جلسة تحليل السلوك", 60, "300.00"),
            _svc("aba_assess", "Behavioral Assessment", "التقييم السلوكي", 60, "650.00"),
            _svc("aba_parent", "Parent Training", "تدريب الوالدين", 45, "300.00"),
            _svc(
                "aba_group", "Social Skills Group", "مجموعة المهارات الاجتماعية", 60, "180.00", True
            ),
        ),
    ),
    ClinicSpec(
        "OT",
        "Occupational Therapy",
        "العلاج الوظيفي",
        (
            _svc("ot_session", "Occupational Therapy Session", "جلسة العلاج الوظيفي", 45, "320.00"),
            _svc("ot_sensory", "Sensory Integration", "التكامل الحسي", 60, "380.00"),
            _svc("ot_assess", "OT Assessment", "تقييم العلاج الوظيفي", 60, "550.00"),
            _svc(
                "ot_group",
                "Fine Motor Group",
                "مجموعة المهارات الحركية الدقيقة",
                45,
                "150.00",
                True,
            ),
        ),
    ),
    ClinicSpec(
        "PT",
        "Physiotherapy",
        "العلاج الطبيعي",
        (
            _svc("pt_session", "Physiotherapy Session", "جلسة العلاج الطبيعي", 45, "300.00"),
            _svc("pt_assess", "Physiotherapy Assessment", "تقييم العلاج الطبيعي", 60, "500.00"),
            _svc("pt_hydro", "Hydrotherapy", "العلاج المائي", 30, "250.00"),
            _svc("pt_group", "Back Care Group", "مجموعة العناية بالظهر", 60, "150.00", True),
        ),
    ),
)


@dataclass(frozen=True)
class PackageSpec:
    name_en: str
    name_ar: str
    price: Decimal
    validity_days: int
    services: tuple[tuple[str, int], ...]  # (service code, sessions)
    active: bool = True
    weight: int = 1  # how often the demo's patients bought it


SLP_10 = "10 SLP Sessions"
ABA_20 = "20 ABA Therapy Package"

PACKAGES = (
    PackageSpec(
        SLP_10, "١٠ جلسات نطق وتخاطب", Decimal("3200.00"), 120, (("slp_session", 10),), weight=30
    ),
    PackageSpec(
        ABA_20, "باقة ٢٠ جلسة تحليل سلوك", Decimal("5000.00"), 90, (("aba_session", 20),), weight=20
    ),
    PackageSpec(
        "8 OT Sessions",
        "٨ جلسات علاج وظيفي",
        Decimal("2400.00"),
        90,
        (("ot_session", 8),),
        weight=12,
    ),
    PackageSpec(
        "12 Physiotherapy Sessions",
        "١٢ جلسة علاج طبيعي",
        Decimal("3300.00"),
        120,
        (("pt_session", 12),),
        weight=10,
    ),
    PackageSpec(
        "Speech & OT Combo",
        "باقة النطق والعلاج الوظيفي",
        Decimal("3600.00"),
        120,
        (("slp_session", 6), ("ot_session", 6)),
        weight=8,
    ),
    PackageSpec(
        "5 Sensory Integration Sessions",
        "٥ جلسات تكامل حسي",
        Decimal("1750.00"),
        60,
        (("ot_sensory", 5),),
        weight=6,
    ),
    PackageSpec(
        "6 Hydrotherapy Sessions",
        "٦ جلسات علاج مائي",
        Decimal("1300.00"),
        60,
        (("pt_hydro", 6),),
        weight=5,
    ),
    PackageSpec(
        "Early Intervention Bundle",
        "باقة التدخل المبكر",
        Decimal("4200.00"),
        120,
        (("aba_session", 10), ("slp_session", 5)),
        weight=6,
    ),
    PackageSpec(
        "Summer Intensive 2025",
        "البرنامج الصيفي المكثف ٢٠٢٥",
        Decimal("2800.00"),
        60,
        (("slp_session", 4), ("ot_session", 4)),
        active=False,
        weight=3,
    ),
)


@dataclass(frozen=True)
class ProviderSpec:
    name_en: str
    name_ar: str
    # weekday (0 Monday .. 6 Sunday) -> clinic specialty; a provider may split the week.
    week: dict[int, str]
    start: str = "08:00"
    end: str = "16:00"


SUN_THU = (6, 0, 1, 2, 3)


def week_of(*specialties: str) -> dict[int, str]:
    """Sunday..Thursday, cycling through the given clinics."""
    return {day: specialties[i * len(specialties) // 5] for i, day in enumerate(SUN_THU)}


# The first one is the demo's PROVIDER login.
PROVIDERS = (
    ProviderSpec("Dr. Noura Al-Harbi", "د. نورة الحربي", week_of("SLP")),
    ProviderSpec("Reem Al-Shehri", "ريم الشهري", week_of("SLP"), "09:00", "17:00"),
    ProviderSpec("Dr. Khalid Al-Mutairi", "د. خالد المطيري", week_of("ABA")),
    ProviderSpec("Hanan Al-Dosari", "حنان الدوسري", week_of("ABA"), "10:00", "18:00"),
    ProviderSpec("Sultan Al-Ghamdi", "سلطان الغامدي", week_of("OT")),
    ProviderSpec("Maha Al-Anazi", "مها العنزي", week_of("OT", "PT")),
    ProviderSpec("Dr. Faisal Al-Shammari", "د. فيصل الشمري", week_of("PT")),
    ProviderSpec("Abeer Al-Maliki", "عبير المالكي", week_of("PT"), "09:00", "17:00"),
    ProviderSpec("Yousef Idris", "يوسف إدريس", week_of("SLP", "ABA")),
    ProviderSpec("Lama Al-Subaie", "لمى السبيعي", week_of("ABA")),
)

MALE_FIRST = (
    ("Mohammed", "محمد"),
    ("Ahmed", "أحمد"),
    ("Abdullah", "عبدالله"),
    ("Ibrahim", "إبراهيم"),
    ("Omar", "عمر"),
    ("Ali", "علي"),
    ("Khalid", "خالد"),
    ("Faisal", "فيصل"),
    ("Sultan", "سلطان"),
    ("Turki", "تركي"),
    ("Saud", "سعود"),
    ("Yousef", "يوسف"),
    ("Mustafa", "مصطفى"),
    ("Eisa", "عيسى"),
    ("Yahya", "يحيى"),
    ("Musa", "موسى"),
    ("Hamza", "حمزة"),
    ("Osama", "أسامة"),
    ("Anas", "أنس"),
    ("Ismail", "إسماعيل"),
    ("Salman", "سلمان"),
    ("Nasser", "ناصر"),
    ("Bandar", "بندر"),
    ("Majed", "ماجد"),
    ("Rayan", "ريان"),
    ("Ziyad", "زياد"),
    ("Hassan", "حسن"),
    ("Hussein", "حسين"),
    ("Adel", "عادل"),
    ("Fahad", "فهد"),
)
FEMALE_FIRST = (
    ("Fatimah", "فاطمة"),
    ("Aisha", "عائشة"),
    ("Noura", "نورة"),
    ("Sarah", "سارة"),
    ("Layla", "ليلى"),
    ("Amna", "آمنة"),
    ("Asma", "أسماء"),
    ("Eman", "إيمان"),
    ("Khadijah", "خديجة"),
    ("Maryam", "مريم"),
    ("Reem", "ريم"),
    ("Lama", "لمى"),
    ("Huda", "هدى"),
    ("Mona", "منى"),
    ("Salma", "سلمى"),
    ("Joud", "جود"),
    ("Rahaf", "رهف"),
    ("Haifa", "هيفاء"),
    ("Shahad", "شهد"),
    ("Ghadah", "غادة"),
    ("Hessa", "حصة"),
    ("Lujain", "لجين"),
    ("Amal", "أمل"),
    ("Abeer", "عبير"),
    ("Latifa", "لطيفة"),
    ("Nouf", "نوف"),
    ("Dana", "دانة"),
    ("Razan", "رزان"),
)
FAMILY = (
    ("Al-Rashid", "الرشيد"),
    ("Al-Qahtani", "القحطاني"),
    ("Al-Otaibi", "العتيبي"),
    ("Al-Ghamdi", "الغامدي"),
    ("Al-Zahrani", "الزهراني"),
    ("Al-Shehri", "الشهري"),
    ("Al-Harbi", "الحربي"),
    ("Al-Dosari", "الدوسري"),
    ("Al-Mutairi", "المطيري"),
    ("Al-Anazi", "العنزي"),
    ("Al-Shammari", "الشمري"),
    ("Al-Subaie", "السبيعي"),
    ("Al-Maliki", "المالكي"),
    ("Al-Amri", "العمري"),
    ("Al-Asmari", "الأسمري"),
    ("Al-Ahmadi", "الأحمدي"),
    ("Al-Ansari", "الأنصاري"),
    ("Al-Issa", "العيسى"),
    ("Al-Mousa", "الموسى"),
    ("Al-Yahya", "اليحيى"),
    ("Al-Faraj", "الفرج"),
    ("Al-Tamimi", "التميمي"),
    ("Al-Juhani", "الجهني"),
    ("Al-Balawi", "البلوي"),
    ("Al-Sulami", "السلمي"),
    ("Al-Khaldi", "الخالدي"),
    ("Al-Omari", "العمري"),
    ("Al-Hazmi", "الحازمي"),
    ("Hakami", "حكمي"),
    ("Khayyat", "خياط"),
    ("Jaber", "جابر"),
    ("Idris", "إدريس"),
    ("Bakr", "بكر"),
    ("Fallatah", "فلاتة"),
    ("Abu Zaid", "أبو زيد"),
    ("Bin Saleh", "بن صالح"),
)
