"""The hot reads are index seeks on both engines: EXPLAIN of the statements the code really
runs (captured as they execute), on a database with enough rows that the planner prefers an
index where one fits. No planner switches are touched."""

from __future__ import annotations

import random
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, text

from conftest import ENGINES, create_pg_database, drop_pg_database, pg_database_url
from deskbook.db.engine import make_engine, read_session
from deskbook.db.models import (
    Appointment,
    Clinic,
    Package,
    PackagePurchase,
    PackageService,
    Patient,
    Provider,
    ProviderBlock,
    ProviderClinic,
    ProviderSchedule,
    ProviderService,
    PurchaseQuota,
    Service,
    Staff,
    Tenant,
    utcnow,
)
from deskbook.db.search import search_patients
from deskbook.normalize import normalize_phone, patient_name_norm
from deskbook.passwords import hash_password

# The tables that grow with the clinic: none may be read whole by a hot read.
BIG = ("patient", "appointment", "package_purchase", "purchase_quota", "provider_block")
# Enough that PostgreSQL's planner prices the trigram index below a sequential scan.
PATIENTS = 40000
APPOINTMENTS = 9000
DAY = date(2026, 3, 2)  # a Monday
# A day inside the filled range (60 to 44 days before DAY): about 580 visits.
BUSY_DAY = DAY - timedelta(days=50)
_SYLLABLES = ["ka", "ri", "mo", "sa", "lu", "ne", "to", "ba", "fi", "qu", "dre", "zan", "vol"]
_AR_SYLLABLES = ["كا", "ري", "مو", "سا", "لو", "نـ", "تو", "با", "في", "قو", "در", "زان", "ول"]


def _name(rng: random.Random, syllables: list[str]) -> tuple[str, list[int]]:
    picks = [rng.randrange(len(syllables)) for _ in range(6)]
    first = "".join(syllables[i] for i in picks[:3])
    last = "".join(syllables[i] for i in picks[3:])
    return f"{first} {last}", picks


class Clinic_:
    tenant: uuid.UUID
    clinic: uuid.UUID
    service: uuid.UUID
    provider: uuid.UUID
    patient: SimpleNamespace
    rare_name: str


@pytest.fixture(scope="module", params=ENGINES)
def explain_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    pg_template: str | None,
) -> Iterator[str]:
    """One database per engine for the whole module: filling it is the slow part."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("explain") / "explain.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if pg_template is None:
        pytest.skip("PostgreSQL is not reachable (set DESKBOOK_TEST_PG_URL)")
    name = create_pg_database(template=pg_template)
    try:
        yield pg_database_url(name)
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="module")
def clinic(explain_url: str) -> Iterator[tuple[Engine, Clinic_]]:
    engine = make_engine(explain_url)
    rng = random.Random(5)
    c = Clinic_()
    c.tenant = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(insert(Tenant).values(id=c.tenant, name="Explain", created_at=utcnow()))
        conn.execute(
            insert(Staff).values(
                id=uuid.uuid4(),
                tenant_id=c.tenant,
                username="frontdesk",
                display_name="Front desk",
                password_hash=hash_password("frontdesk"),
                role="FRONT_DESK",
                active=True,
                failed_logins=0,
                created_at=utcnow(),
            )
        )
        clinics = [uuid.uuid4() for _ in range(3)]
        services, providers = [], []
        for n, clinic_id in enumerate(clinics):
            conn.execute(
                insert(Clinic).values(
                    id=clinic_id, tenant_id=c.tenant, name_en=f"C{n}", specialty="SLP"
                )
            )
            service_id = uuid.uuid4()
            services.append(service_id)
            conn.execute(
                insert(Service).values(
                    id=service_id,
                    tenant_id=c.tenant,
                    clinic_id=clinic_id,
                    name_en=f"S{n}",
                    duration_minutes=30,
                    price=100,
                    group_capable=False,
                )
            )
            for k in range(4):
                provider_id = uuid.uuid4()
                providers.append((provider_id, clinic_id, service_id))
                conn.execute(
                    insert(Provider).values(
                        id=provider_id, tenant_id=c.tenant, name_en=f"Dr {n}{k}", active=True
                    )
                )
                conn.execute(
                    insert(ProviderClinic).values(
                        provider_id=provider_id, clinic_id=clinic_id, tenant_id=c.tenant
                    )
                )
                conn.execute(
                    insert(ProviderService).values(
                        provider_id=provider_id, service_id=service_id, tenant_id=c.tenant
                    )
                )
                conn.execute(
                    insert(ProviderSchedule),
                    [
                        {
                            "id": uuid.uuid4(),
                            "tenant_id": c.tenant,
                            "provider_id": provider_id,
                            "clinic_id": clinic_id,
                            "weekday": wd,
                            "start_time": time(5),
                            "end_time": time(23),
                        }
                        for wd in range(7)
                    ],
                )
        package_id = uuid.uuid4()
        conn.execute(
            insert(Package).values(
                id=package_id,
                tenant_id=c.tenant,
                name_en="10 sessions",
                price=900,
                validity_days=365,
                active=True,
            )
        )
        conn.execute(
            insert(PackageService).values(
                id=uuid.uuid4(),
                tenant_id=c.tenant,
                package_id=package_id,
                service_id=services[0],
                sessions=10,
            )
        )
        patients = []
        for i in range(PATIENTS):
            name_en, picks = _name(rng, _SYLLABLES)
            name_ar = (
                "".join(_AR_SYLLABLES[j] for j in picks[:3])
                + " "
                + "".join(_AR_SYLLABLES[j] for j in picks[3:])
            )
            phone = f"05{rng.randrange(10**8):08d}"
            patients.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": c.tenant,
                    "mrn": f"P{i + 1:07d}",
                    "name_en": name_en,
                    "name_ar": name_ar,
                    "phone": phone,
                    "national_id": f"1{rng.randrange(10**9):09d}",
                    "name_norm": patient_name_norm(name_en, name_ar),
                    "phone_norm": normalize_phone(phone),
                    "created_at": utcnow(),
                }
            )
        conn.execute(insert(Patient), patients)
        purchases, quotas = [], []
        for row in patients[: PATIENTS // 3]:
            purchase_id = uuid.uuid4()
            purchases.append(
                {
                    "id": purchase_id,
                    "tenant_id": c.tenant,
                    "patient_id": row["id"],
                    "package_id": package_id,
                    "purchase_date": date(2026, 1, 1),
                    "expiry_date": date(2026, 12, 31),
                    "price_paid": 900,
                    "status": "ACTIVE",
                    "created_at": utcnow(),
                }
            )
            quotas.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": c.tenant,
                    "purchase_id": purchase_id,
                    "service_id": services[0],
                    "quota": 10,
                }
            )
        conn.execute(insert(PackagePurchase), purchases)
        conn.execute(insert(PurchaseQuota), quotas)
        appointments, blocks = [], []
        start0 = datetime.combine(DAY - timedelta(days=60), time(6), tzinfo=UTC)
        slot = 0
        for i in range(APPOINTMENTS):
            provider_id, clinic_id, service_id = providers[i % len(providers)]
            if i % len(providers) == 0:
                slot += 1
            start = start0 + timedelta(minutes=30 * slot)
            appointment_id = uuid.uuid4()
            appointments.append(
                {
                    "id": appointment_id,
                    "tenant_id": c.tenant,
                    "patient_id": patients[(i * 7) % PATIENTS]["id"],
                    "clinic_id": clinic_id,
                    "service_id": service_id,
                    "provider_id": provider_id,
                    "start_at": start,
                    "end_at": start + timedelta(minutes=30),
                    "kind": "SINGLE",
                    "status": "BOOKED",
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                }
            )
            blocks.append(
                {
                    "id": uuid.uuid4(),
                    "tenant_id": c.tenant,
                    "provider_id": provider_id,
                    "start_at": start,
                    "end_at": start + timedelta(minutes=30),
                    "appointment_id": appointment_id,
                }
            )
        conn.execute(insert(Appointment), appointments)
        conn.execute(insert(ProviderBlock), blocks)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    c.clinic, c.service, c.provider = providers[0][1], providers[0][2], providers[0][0]
    c.patient = SimpleNamespace(**patients[0])
    c.rare_name = patients[0]["name_en"]
    yield engine, c
    engine.dispose()


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT the engine runs inside the block, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def grab(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        if not many and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def plan(engine: Engine, statement: str, parameters: Any) -> list[str]:
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
        return [str(row[-1] if engine.dialect.name == "sqlite" else row[0]) for row in rows]
    finally:
        raw.close()


def full_scans(engine: Engine, lines: list[str]) -> list[str]:
    """Plan lines that read a growing table from end to end ("SCAN appointment", also over
    a covering index, on SQLite; "Seq Scan on appointment" on PostgreSQL)."""
    bad = []
    for line in lines:
        words = line.replace("->", " ").split()
        if engine.dialect.name == "sqlite":
            if words[:1] == ["SCAN"] and len(words) > 1 and words[1] in BIG:
                bad.append(line)
        elif "Seq Scan on" in line and words[words.index("on") + 1] in BIG:
            bad.append(line)
    return bad


def seeks_only(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    problems = []
    for statement, parameters in statements:
        scans = full_scans(engine, plan(engine, statement, parameters))
        if scans:
            problems.append(f"{' '.join(statement.split())}\n  -> {scans}")
    return problems


def run_search(engine: Engine, tenant: uuid.UUID, query: str) -> tuple[list[str], list[uuid.UUID]]:
    with captured(engine) as seen, read_session(engine) as session:
        found = [p.id for p in search_patients(session, tenant, query)]
    lines = [line for statement, params in seen for line in plan(engine, statement, params)]
    return lines, found


@pytest.mark.parametrize("kind", ["mrn", "mrn_prefix", "national_id", "phone", "phone_fragment"])
def test_identifier_searches_are_btree_seeks_never_trigram_scans(
    clinic: tuple[Engine, Clinic_], kind: str
) -> None:
    engine, c = clinic
    query = {
        "mrn": c.patient.mrn,
        "mrn_prefix": c.patient.mrn[:-1].lower(),
        "national_id": c.patient.national_id,
        "phone": "+966 " + c.patient.phone_norm,
        "phone_fragment": "0" + c.patient.phone_norm[:5],
    }[kind]
    lines, found = run_search(engine, c.tenant, query)
    assert c.patient.id in found
    assert not full_scans(engine, lines), lines
    text_plan = "\n".join(lines)
    assert "trgm" not in text_plan and "patient_fts" not in text_plan
    if engine.dialect.name == "sqlite":
        assert "USING INDEX" in text_plan
    else:
        assert "Index Scan" in text_plan


@pytest.mark.parametrize("part", ["last", "arabic", "arabic_diacritics", "none"])
def test_name_searches_use_the_trigram_index(clinic: tuple[Engine, Clinic_], part: str) -> None:
    engine, c = clinic
    _, last = c.patient.name_en.split()
    _, last_ar = c.patient.name_ar.split()
    query = {
        "last": last[1:],
        "arabic": last_ar.replace("ـ", ""),
        "arabic_diacritics": "َ".join(last_ar),
        "none": "xyzzyq",
    }[part]
    lines, found = run_search(engine, c.tenant, query)
    if part != "none":
        assert c.patient.id in found
    assert not full_scans(engine, lines), lines
    text_plan = "\n".join(lines)
    if engine.dialect.name == "sqlite":
        assert "patient_fts VIRTUAL TABLE" in text_plan
        assert "SEARCH patient USING INTEGER PRIMARY KEY" in text_plan
    else:
        assert "Bitmap Index Scan on ix_patient_name_trgm" in text_plan


@pytest.mark.parametrize("query", ["mo", "ka", "مو", "كا", "q"])
def test_short_queries_are_prefix_seeks(clinic: tuple[Engine, Clinic_], query: str) -> None:
    engine, c = clinic
    lines, found = run_search(engine, c.tenant, query)
    assert found
    assert not full_scans(engine, lines), lines
    text_plan = "\n".join(lines)
    assert "trgm" not in text_plan and "patient_fts" not in text_plan
    wanted = "ix_patient_tenant_name" if engine.dialect.name == "sqlite" else "ix_patient_name"
    assert wanted in text_plan


HOT_READS = [
    "day sheet of a clinic",
    "day sheet of a provider",
    "patient history",
    "free slots",
    "package chooser",
    "day sheet page of the network",
    "day sheet page of a clinic",
    "board of a clinic",
    "waitlist matches",
]


@pytest.mark.parametrize("read", HOT_READS)
def test_hot_reads_of_the_desk_are_index_seeks(
    clinic: tuple[Engine, Clinic_], explain_url: str, read: str
) -> None:
    from deskbook import Desk

    _, c = clinic
    desk = Desk.open(explain_url)
    try:
        session = desk.login("frontdesk", "frontdesk")
        reads: dict[str, Callable[[], object]] = {
            "day sheet of a clinic": lambda: session.day_sheet(DAY, clinic_id=c.clinic),
            "day sheet of a provider": lambda: session.day_sheet(DAY, provider_id=c.provider),
            "patient history": lambda: session.appointments_of(c.patient.id),
            "free slots": lambda: session.free_slots(c.provider, c.service, DAY),
            "package chooser": lambda: session.packages_for_patient(c.patient.id),
            "day sheet page of the network": lambda: session.day_sheet_page(
                BUSY_DAY, offset=300, limit=50
            ),
            "day sheet page of a clinic": lambda: session.day_sheet_page(
                BUSY_DAY, clinic_id=c.clinic, offset=100, limit=50
            ),
            "board of a clinic": lambda: session.board(BUSY_DAY, c.clinic),
            "waitlist matches": lambda: session.waitlist_matches(
                c.provider, datetime.combine(DAY, time(10), tzinfo=UTC)
            ),
        }
        with captured(desk.engine) as seen:
            reads[read]()
        assert seen, "the read ran no SELECT"
        problems = seeks_only(desk.engine, seen)
    finally:
        desk.close()
    assert not problems, "\n".join(problems)


def test_a_network_day_sheet_page_is_a_range_of_the_day_index(
    clinic: tuple[Engine, Clinic_], explain_url: str
) -> None:
    """With no clinic or provider chosen, the page and its total walk one tenant's day in
    ix_appointment_tenant_start, not every appointment of the tenant."""
    from deskbook import Desk

    desk = Desk.open(explain_url)
    try:
        session = desk.login("frontdesk", "frontdesk")
        with captured(desk.engine) as seen:
            page = session.day_sheet_page(BUSY_DAY, offset=300, limit=50)
        plans = {statement: plan(desk.engine, statement, params) for statement, params in seen}
    finally:
        desk.close()
    assert len(page.rows) == 50 and page.total > 350
    # The index with a range of start_at after the tenant: a day, or the page's own span.
    ranged = "(tenant_id=? AND start_at>? AND start_at<?)"
    if desk.engine.dialect.name == "postgresql":
        ranged = "Index Cond: ((tenant_id = "
    lines = {statement: "\n".join(p) for statement, p in plans.items()}
    on_the_index = [text for text in lines.values() if "ix_appointment_tenant_start" in text]
    assert len(lines) == 3 and len(on_the_index) >= 2, lines
    assert all(ranged in text for text in on_the_index), lines
