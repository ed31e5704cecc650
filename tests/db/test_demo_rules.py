"""The demo keeps the project's own rules: the invariant checker finds nothing on it, and the
well-known expired package has no session after its expiry."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text

from deskbook.db.demo import DEMO_PATIENT, build_demo
from deskbook.db.demo_load import check_overlaps
from deskbook.db.engine import make_engine
from deskbook.phones import Phone, read_stored
from deskbook.testing.invariants import check_invariants, violations


@pytest.fixture
def engine(db_url: str) -> Any:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_the_invariant_checker_finds_nothing_on_the_demo(db_url: str, engine: Engine) -> None:
    build_demo(db_url, patients=400, seed=5)
    assert violations(check_invariants(engine)) == {}
    with engine.connect() as conn:
        check_overlaps(conn)
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            # Built beside the build file and copied in (deskbook.db.demo_side).
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            conn.execute(text("INSERT INTO patient_fts(patient_fts) VALUES ('integrity-check')"))
            conn.rollback()
        else:
            # Loaded UNLOGGED (deskbook.db.demo_rules): every table is logged again.
            unlogged = "SELECT count(*) FROM pg_class WHERE relpersistence = 'u'"
            assert conn.execute(text(unlogged)).scalar() == 0
        # Written in bulk without the phone parser: it must agree with it all the same.
        for phone, stored in conn.execute(text("SELECT phone, phone_norm FROM patient")):
            assert read_stored(phone) == Phone(phone, stored, False), phone


def test_the_expired_package_of_mrn0000004_has_no_session_after_expiry(
    db_url: str, engine: Engine
) -> None:
    build_demo(db_url, patients=50, seed=9)
    zone = ZoneInfo("Asia/Riyadh")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                """SELECT a.start_at, pp.expiry_date FROM appointment a
                   JOIN package_purchase pp ON pp.id = a.purchase_id
                   JOIN patient p ON p.id = a.patient_id
                   WHERE p.mrn = :mrn AND a.status <> 'CANCELLED'"""
            ),
            {"mrn": DEMO_PATIENT["used_up"].mrn},
        ).all()
    assert len(rows) == 18
    for start, expiry in rows:
        start = start if not isinstance(start, str) else _utc(start)
        expiry = expiry if isinstance(expiry, date) else date.fromisoformat(expiry)
        assert start.astimezone(zone).date() <= expiry


def _utc(value: str) -> Any:
    from datetime import UTC, datetime

    return datetime.fromisoformat(value).replace(tzinfo=UTC)
