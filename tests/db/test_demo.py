"""The demo clinic builds on both engines and its data keeps every rule, checked with plain SQL
(not with the code that wrote it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, TextClause, bindparam, text
from sqlmodel.sql.sqltypes import UTCDateTime

from deskbook.db.demo import DEMO_LOGINS, DEMO_PATIENT, DEMO_PATIENTS, DemoRefused, build_demo
from deskbook.db.demo_catalog import ABA_20, SLP_10, TENANT_NAME
from deskbook.db.engine import make_engine
from deskbook.desk import Desk
from deskbook.passwords import verify_password
from deskbook.phones import Phone, parse_phone, suffix_keys

PATIENTS = 300


@pytest.fixture
def demo(db_url: str) -> Iterator[Connection]:
    summary = build_demo(db_url, patients=PATIENTS, seed=3)
    assert summary.patients == PATIENTS
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _sql(sql: str, params: dict[str, object]) -> TextClause:
    # Times go through the column type, so SQLite compares them in their stored format.
    typed = [
        bindparam(k, type_=UTCDateTime()) for k, v in params.items() if isinstance(v, datetime)
    ]
    return text(sql).bindparams(*typed)


def scalar(conn: Connection, sql: str, **params: object) -> int:
    return conn.execute(_sql(sql, params), params).scalar_one()


def rows(conn: Connection, sql: str, **params: object) -> list[tuple]:
    return [tuple(row) for row in conn.execute(_sql(sql, params), params)]


def test_the_clinic_is_there(demo: Connection) -> None:
    assert rows(demo, "SELECT name, timezone, currency FROM tenant") == [
        (TENANT_NAME, "Asia/Riyadh", "SAR")
    ]
    assert scalar(demo, "SELECT count(*) FROM patient") == PATIENTS
    assert sorted(r[0] for r in rows(demo, "SELECT specialty FROM clinic")) == [
        "ABA", "OT", "PT", "SLP",
    ]  # fmt: skip
    assert scalar(demo, "SELECT count(*) FROM provider") >= 8
    # Every clinic has services of 30, 45 and 60 minutes between them, and a group service.
    assert {r[0] for r in rows(demo, "SELECT duration_minutes FROM service")} == {30, 45, 60}
    groups = rows(
        demo,
        "SELECT c.specialty FROM service s JOIN clinic c ON c.id = s.clinic_id "
        "WHERE s.group_capable",
    )
    assert {"SLP", "OT"} <= {r[0] for r in groups}
    # Sunday (6) to Thursday (3), never Friday or Saturday.
    assert {r[0] for r in rows(demo, "SELECT DISTINCT weekday FROM provider_schedule")} == {
        6, 0, 1, 2, 3,
    }  # fmt: skip
    assert scalar(demo, "SELECT count(*) FROM provider_time_off") > 0


def test_the_catalog(demo: Connection) -> None:
    slp = rows(
        demo,
        "SELECT p.validity_days, ps.sessions, s.name_en FROM package p "
        "JOIN package_service ps ON ps.package_id = p.id JOIN service s ON s.id = ps.service_id "
        "WHERE p.name_en = :name",
        name=SLP_10,
    )
    assert len(slp) == 1 and slp[0][1] == 10 and "Speech" in slp[0][2]
    aba = rows(
        demo,
        "SELECT p.price, p.validity_days, sum(ps.sessions) FROM package p "
        "JOIN package_service ps ON ps.package_id = p.id WHERE p.name_en = :name "
        "GROUP BY p.price, p.validity_days",
        name=ABA_20,
    )
    assert len(aba) == 1
    assert float(aba[0][0]) == 5000 and aba[0][1] == 90 and aba[0][2] == 20
    assert scalar(demo, "SELECT count(*) FROM package WHERE active") >= 5


def test_logins(demo: Connection) -> None:
    staff = {r[0]: r[1:] for r in rows(demo, "SELECT username, role, password_hash, provider_id "
                                             "FROM staff")}  # fmt: skip
    for username, password, role, _ in DEMO_LOGINS:
        assert staff[username][0] == role
        assert verify_password(staff[username][1], password)
    assert staff["provider"][2] is not None


def test_patients_look_real(demo: Connection) -> None:
    names = rows(demo, "SELECT name_en, name_ar, phone, phone_norm, mrn, national_id, name_norm "
                       "FROM patient")  # fmt: skip
    for name_en, name_ar, phone, phone_norm, mrn, national_id, name_norm in names:
        assert name_en and name_ar and name_norm
        assert len(phone_norm) == 9 and phone_norm.startswith("5"), phone
        assert mrn.startswith("MRN") and len(mrn) == 10
        assert len(national_id) == 10 and national_id[0] in "12"
    arabic = " ".join(r[1] for r in names)
    for letter in ("ال", "أ", "إ", "آ", "ة", "ى"):
        assert letter in arabic
    # Stored as registration stores them: E.164, the national number in phone_norm.
    for phone, phone_norm in {(r[2], r[3]) for r in names}:
        assert parse_phone(phone, "SA") == Phone(phone, phone_norm, False), phone
        assert phone == "+966" + phone_norm


def test_every_phone_has_its_search_keys(demo: Connection, db_url: str) -> None:
    """The keys the triggers keep (set aside during the bulk load) are all there after the
    build, and a run of digits from the middle of a number finds its patient."""
    expected = {
        (pid, key)
        for pid, phone_norm in rows(demo, "SELECT id, phone_norm FROM patient")
        for key in suffix_keys(phone_norm)
    }
    assert set(rows(demo, "SELECT patient_id, digits FROM patient_phone_key")) == expected
    rashid = DEMO_PATIENT["rashid"]
    with Desk.open(db_url) as desk:
        d = desk.login("frontdesk", "frontdesk")
        assert rashid.mrn in {p.mrn for p in d.search_patients("0123456")}
        assert rashid.mrn in {p.mrn for p in d.search_patients("Rashid")}


def test_the_well_known_patients(demo: Connection) -> None:
    def purchases(key: str) -> list[tuple]:
        # (package, status, live appointments, completed, booked)
        return rows(
            demo,
            """SELECT k.name_en, pp.status,
                      sum(CASE WHEN a.status <> 'CANCELLED' THEN 1 ELSE 0 END),
                      sum(CASE WHEN a.status = 'COMPLETED' THEN 1 ELSE 0 END),
                      sum(CASE WHEN a.status = 'BOOKED' THEN 1 ELSE 0 END)
               FROM package_purchase pp JOIN patient p ON p.id = pp.patient_id
               JOIN package k ON k.id = pp.package_id
               LEFT JOIN appointment a ON a.purchase_id = pp.id
               WHERE p.mrn = :mrn GROUP BY pp.id, k.name_en, pp.status, pp.purchase_date
               ORDER BY pp.purchase_date""",
            mrn=DEMO_PATIENT[key].mrn,
        )

    assert purchases("rashid") == [(SLP_10, "ACTIVE", 5, 3, 2)]
    assert purchases("twice") == [(SLP_10, "ACTIVE", 3, 2, 1), (SLP_10, "ACTIVE", 0, 0, 0)]
    assert purchases("nothing") == []
    assert purchases("used_up") == [(ABA_20, "EXPIRED", 8, 8, 0), (SLP_10, "COMPLETED", 10, 10, 0)]
    assert purchases("fresh") == [(ABA_20, "ACTIVE", 0, 0, 0)]
    nothing = DEMO_PATIENT["nothing"].mrn
    assert (
        scalar(
            demo,
            "SELECT count(*) FROM appointment a JOIN patient p ON p.id = a.patient_id "
            "WHERE p.mrn = :mrn",
            mrn=nothing,
        )
        == 0
    )
    seat = rows(
        demo,
        """SELECT g.capacity, (SELECT count(*) FROM appointment x
                               WHERE x.group_session_id = g.id AND x.status <> 'CANCELLED')
           FROM appointment a JOIN patient p ON p.id = a.patient_id
           JOIN group_session g ON g.id = a.group_session_id
           WHERE p.mrn = :mrn AND a.status = 'BOOKED'""",
        mrn=DEMO_PATIENT["group"].mrn,
    )
    assert len(seat) == 1 and seat[0][1] < seat[0][0]
    assert len({p.mrn for p in DEMO_PATIENTS}) == len(DEMO_PATIENTS)


def test_appointments_past_and_ahead(demo: Connection) -> None:
    now = datetime.now(UTC)
    statuses = dict(rows(demo, "SELECT status, count(*) FROM appointment GROUP BY status"))
    for status in ("COMPLETED", "NO_SHOW", "CANCELLED", "BOOKED"):
        assert statuses.get(status, 0) > 0, status
    kinds = dict(rows(demo, "SELECT kind, count(*) FROM appointment GROUP BY kind"))
    assert set(kinds) == {"SINGLE", "PACKAGE", "GROUP"}
    # Nothing BOOKED lies in the past, nothing COMPLETED ahead.
    for status, start in rows(demo, "SELECT status, start_at FROM appointment"):
        start = _aware(start)
        if status == "BOOKED":
            assert start > now - timedelta(minutes=1)
        if status in ("COMPLETED", "NO_SHOW"):
            assert start < now + timedelta(minutes=1)
    stages = dict(rows(demo, "SELECT status, count(*) FROM package_purchase GROUP BY status"))
    assert {"ACTIVE", "COMPLETED", "EXPIRED"} <= set(stages)


def test_group_sessions_with_free_and_full_seats(demo: Connection) -> None:
    seats = rows(
        demo,
        """SELECT g.capacity, count(a.id) FROM group_session g
           LEFT JOIN appointment a ON a.group_session_id = g.id AND a.status <> 'CANCELLED'
           WHERE g.start_at > :now GROUP BY g.id, g.capacity""",
        now=datetime.now(UTC),
    )
    assert any(taken == capacity for capacity, taken in seats)
    assert any(taken < capacity for capacity, taken in seats)


def test_no_provider_or_patient_overlaps(demo: Connection) -> None:
    # Sorted by start, each span must begin after every earlier one has ended.
    overlaps = """SELECT count(*) FROM (
        SELECT start_at, max(end_at) OVER (PARTITION BY {key} ORDER BY start_at, id
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
        FROM {table} {where}) t WHERE prev_end > start_at"""
    assert scalar(demo, overlaps.format(key="provider_id", table="provider_block", where="")) == 0
    live = "WHERE status <> 'CANCELLED'"
    assert scalar(demo, overlaps.format(key="patient_id", table="appointment", where=live)) == 0


def test_provider_time_matches_the_appointments(demo: Connection) -> None:
    # Each live individual appointment has exactly one block, on its provider and times.
    assert (
        scalar(
            demo,
            """SELECT count(*) FROM appointment a WHERE a.kind <> 'GROUP'
               AND a.status <> 'CANCELLED' AND 1 <> (
                 SELECT count(*) FROM provider_block b WHERE b.appointment_id = a.id
                 AND b.provider_id = a.provider_id AND b.start_at = a.start_at
                 AND b.end_at = a.end_at)""",
        )
        == 0
    )
    # Cancelled and group appointments hold no block of their own.
    assert (
        scalar(
            demo,
            """SELECT count(*) FROM provider_block b JOIN appointment a ON a.id = b.appointment_id
               WHERE a.status = 'CANCELLED' OR a.kind = 'GROUP'""",
        )
        == 0
    )
    # Each group session holds one block; its participants share its time.
    assert (
        scalar(
            demo,
            """SELECT count(*) FROM group_session g WHERE 1 <> (
                 SELECT count(*) FROM provider_block b WHERE b.group_session_id = g.id
                 AND b.provider_id = g.provider_id AND b.start_at = g.start_at)""",
        )
        == 0
    )
    assert (
        scalar(
            demo,
            """SELECT count(*) FROM appointment a JOIN group_session g
               ON g.id = a.group_session_id
               WHERE a.start_at <> g.start_at OR a.end_at <> g.end_at
                  OR a.provider_id <> g.provider_id OR a.service_id <> g.service_id""",
        )
        == 0
    )


def test_purchases_keep_their_rules(demo: Connection) -> None:
    # Session numbers of live appointments are 1..k by start time.
    assert (
        scalar(
            demo,
            """SELECT count(*) FROM (
                 SELECT session_number,
                        row_number() OVER (PARTITION BY purchase_id ORDER BY start_at) AS n
                 FROM appointment WHERE purchase_id IS NOT NULL AND status <> 'CANCELLED') t
               WHERE session_number <> n""",
        )
        == 0
    )
    # Never more live appointments for a service than its quota, never a service not bought.
    assert (
        scalar(
            demo,
            """SELECT count(*) FROM (
                 SELECT a.purchase_id, a.service_id, count(*) AS used FROM appointment a
                 WHERE a.purchase_id IS NOT NULL AND a.status <> 'CANCELLED'
                 GROUP BY a.purchase_id, a.service_id) u
               LEFT JOIN purchase_quota q
                 ON q.purchase_id = u.purchase_id AND q.service_id = u.service_id
               WHERE q.id IS NULL OR u.used > q.quota""",
        )
        == 0
    )
    # A purchase is used only by its own patient.
    assert (
        scalar(
            demo,
            """SELECT count(*) FROM appointment a JOIN package_purchase p ON p.id = a.purchase_id
               WHERE p.patient_id <> a.patient_id""",
        )
        == 0
    )
    assert scalar(demo, "SELECT count(*) FROM package_purchase") > PATIENTS // 10


def test_group_sessions_within_capacity(demo: Connection) -> None:
    assert (
        scalar(
            demo,
            """SELECT count(*) FROM group_session g WHERE g.capacity < (
                 SELECT count(*) FROM appointment a
                 WHERE a.group_session_id = g.id AND a.status <> 'CANCELLED')""",
        )
        == 0
    )


def test_every_row_is_in_the_one_tenant(demo: Connection) -> None:
    tenant = scalar(demo, "SELECT count(*) FROM tenant")
    assert tenant == 1
    for table in (
        "staff", "patient", "clinic", "service", "provider", "provider_clinic",
        "provider_service", "provider_schedule", "provider_time_off", "package",
        "package_service", "package_purchase", "purchase_quota", "group_session",
        "appointment", "provider_block",
    ):  # fmt: skip
        assert scalar(demo, f"SELECT count(*) FROM {table} x JOIN tenant t ON t.id = x.tenant_id") \
            == scalar(demo, f"SELECT count(*) FROM {table}"), table  # fmt: skip
    # Appointments point at their own clinic's services.
    assert (
        scalar(
            demo,
            "SELECT count(*) FROM appointment a JOIN service s ON s.id = a.service_id "
            "WHERE s.clinic_id <> a.clinic_id",
        )
        == 0
    )


def test_the_demo_is_built_only_into_an_empty_database(db_url: str) -> None:
    build_demo(db_url, patients=20, seed=1)
    with pytest.raises(DemoRefused, match="already holds the demo clinic"):
        build_demo(db_url, patients=20, seed=1)


def test_a_database_with_a_table_of_its_own_takes_the_demo_and_keeps_it(db_url: str) -> None:
    """PostgreSQL builds beside the target's tables in a schema of its own, and leaves any
    table the demo has no copy of where it was (SQLite replaces the file whole)."""
    engine = make_engine(db_url)
    if engine.dialect.name == "sqlite":
        engine.dispose()
        pytest.skip("a SQLite demo is a new file, renamed over the old one")
    try:
        with engine.begin() as conn:
            conn.execute(text('CREATE TABLE "LegacyNotes" (note text)'))
            conn.execute(text("""INSERT INTO "LegacyNotes" VALUES ('kept')"""))
        build_demo(db_url, patients=20, seed=1)
        with engine.connect() as conn:
            assert conn.execute(text('SELECT note FROM "LegacyNotes"')).scalar_one() == "kept"
            assert scalar(conn, "SELECT count(*) FROM patient") == 20
    finally:
        engine.dispose()


def test_the_same_seed_builds_the_same_clinic(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    names = []
    for name in ("a.db", "b.db"):
        url = f"sqlite:///{tmp_path / name}"
        build_demo(url, patients=50, seed=11, now=now)
        engine = make_engine(url)
        with engine.connect() as conn:
            names.append(rows(conn, "SELECT mrn, name_en, phone FROM patient ORDER BY mrn"))
            names.append(rows(conn, "SELECT count(*) FROM appointment"))
        engine.dispose()
    assert names[0] == names[2] and names[1] == names[3]


def _aware(value: object) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
