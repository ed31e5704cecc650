"""Migration 0009 converts the phones a database already holds: E.164 when they can be read,
kept as typed and flagged (and reported) when not; the digit keys and folded names follow."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from deskbook.db.engine import make_engine
from deskbook.db.migrate import upgrade_engine
from deskbook.normalize import patient_name_norm
from deskbook.testing.databases import create_pg_database, drop_pg_database, pg_database_url

OLD = [
    ("P0000001", "Mohammed Al-Rashid", "+966 50 123 4567"),
    ("P0000002", "Sara", "0551112222"),
    ("P0000003", "Broken", "call mom"),
    ("P0000004", "Short", "12345"),
]


@pytest.fixture
def empty_engine(engine_kind: str, tmp_path: Path, pg_available: bool) -> Iterator[Engine]:
    if engine_kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    if not pg_available:
        pytest.skip("PostgreSQL is not reachable")
    name = create_pg_database(prefix="dk_mig")
    engine = make_engine(pg_database_url(name))
    try:
        yield engine
    finally:
        engine.dispose()
        drop_pg_database(name)


def test_0009_converts_phones_and_flags_the_unreadable(
    empty_engine: Engine, capfd: pytest.CaptureFixture[str]
) -> None:
    upgrade_engine(empty_engine, "0008")
    tenant = uuid.uuid4()
    sqlite = empty_engine.dialect.name == "sqlite"

    def key(value: uuid.UUID) -> str:
        return value.hex if sqlite else str(value)

    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tenant (id, name, timezone, currency, created_at) "
                "VALUES (:id, 'Old', 'Asia/Riyadh', 'SAR', CURRENT_TIMESTAMP)"
            ),
            {"id": key(tenant)},
        )
        for mrn, name, phone in OLD:
            conn.execute(
                text(
                    "INSERT INTO patient (id, tenant_id, mrn, name_en, phone, name_norm, "
                    "phone_norm, created_at) VALUES (:id, :t, :mrn, :name, :phone, '', '', "
                    "CURRENT_TIMESTAMP)"
                ),
                {
                    "id": key(uuid.uuid4()),
                    "t": key(tenant),
                    "mrn": mrn,
                    "name": name,
                    "phone": phone,
                },
            )
    upgrade_engine(empty_engine)
    with empty_engine.connect() as conn:
        rows = {
            r.mrn: r
            for r in conn.execute(
                text(
                    "SELECT mrn, phone, phone_norm, phone_flagged, name_norm, name_en FROM patient"
                )
            )
        }
        keys = conn.execute(text("SELECT count(*) FROM patient_phone_key")).scalar()
    assert (rows["P0000001"].phone, rows["P0000001"].phone_norm) == ("+966501234567", "501234567")
    assert rows["P0000002"].phone == "+966551112222"
    assert not rows["P0000001"].phone_flagged
    assert rows["P0000003"].phone == "call mom" and rows["P0000003"].phone_flagged
    assert rows["P0000004"].phone == "12345" and rows["P0000004"].phone_flagged
    assert rows["P0000001"].name_norm == patient_name_norm("Mohammed Al-Rashid", None)
    # 6 + 6 suffixes of the two readable numbers, 2 of the flagged "12345".
    assert keys == 14
    reported = capfd.readouterr().err
    assert "2 phone(s) could not be read" in reported and "P0000003" in reported
