"""The soak, short: four processes as four desks for a few seconds on each engine, then every
invariant of DESIGN.md checked with plain SQL. And proof that those checks do catch a broken
database, so a clean result means something."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from deskbook.db.engine import make_engine, write_session
from deskbook.db.models import (
    AuditEvent,
    GroupSession,
    PackagePurchase,
    PurchaseQuota,
    Service,
)
from deskbook.testing.invariants import check_invariants, violations
from deskbook.testing.rows import Rows
from deskbook.testing.soak import run_soak
from deskbook.testing.soak_seed import seed_clinic


def test_four_desks_for_a_few_seconds_break_nothing(db_url: str) -> None:
    # Each desk works 4 s and until it made 10 writes, so a slow machine tests as much.
    report = run_soak(
        db_url, processes=4, seconds=4, min_writes=10, patients=40, providers=4, seed=3
    )
    summary = report.as_dict()
    assert report.unexpected == 0, summary["tracebacks"]
    assert report.violations == {}, summary
    assert report.audit_events == report.writes_ok, summary
    assert report.writes_ok >= 40, summary
    ops = report.tally.ops
    # Real work of every kind was done.
    assert ops["search"] > 0, summary
    assert ops["book_single"] + ops["book_package"] + ops["book_group"] > 0, summary
    assert ops["cancel"] + ops["reschedule"] > 0, summary


def _drop_schema_rules(conn: Any) -> None:
    """Take away the engine's own guards so that broken rows can be written at all."""
    if conn.dialect.name == "sqlite":
        for (name,) in conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'ex_%'")
        ).all():
            conn.execute(text(f"DROP TRIGGER {name}"))
    else:
        conn.execute(text("ALTER TABLE provider_block DROP CONSTRAINT ex_provider_block_overlap"))
        conn.execute(text("ALTER TABLE appointment DROP CONSTRAINT ex_appointment_patient_overlap"))
    conn.execute(text("DROP INDEX uq_appointment_purchase_session"))


def test_the_checks_catch_every_kind_of_broken_row(db_url: str) -> None:
    seed = seed_clinic(db_url, patients=6, desks=1)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        _drop_schema_rules(conn)
        purchase, patient_of_purchase = conn.execute(
            select(PackagePurchase.id, PackagePurchase.patient_id)
            .join(PurchaseQuota, PurchaseQuota.purchase_id == PackagePurchase.id)
            .where(PackagePurchase.tenant_id == seed.tenant_id, PurchaseQuota.quota == 3)
        ).first()

    aba_provider = seed.provider_ids[1]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)

    def add(session: Any, patient: Any, at: datetime, **extra: Any) -> uuid.UUID:
        aba = session.get(Service, seed.single_service_ids[1])
        rows = Rows(session, seed.tenant_id)
        return rows.appointment(patient, aba, aba_provider, at, **extra).id

    with write_session(engine) as session:
        p1, p2 = seed.patient_ids[1], seed.patient_ids[2]
        # Same provider, same time, two patients; and p1 twice at once.
        add(session, p1, start)
        add(session, p2, start + timedelta(minutes=30))
        add(session, p1, start + timedelta(minutes=15))
        # Four sessions of a 3-session purchase, numbered 1, 2, 4, 5, and one for a stranger.
        for i, number in enumerate((1, 2, 4, 5)):
            add(
                session,
                patient_of_purchase,
                start + timedelta(days=1, hours=2 * i),
                kind="PACKAGE",
                purchase_id=purchase,
                session_number=number,
            )
        add(
            session,
            p2,
            start + timedelta(days=2),
            kind="PACKAGE",
            purchase_id=purchase,
            session_number=6,
        )
        # A booking that names the other tenant's patient.
        add(session, seed.other_tenant["patient_id"], start + timedelta(days=3))
        session.add(AuditEvent(tenant_id=seed.tenant_id, action="", entity="x"))

    found = violations(check_invariants(engine))
    engine.dispose()
    for rule in (
        "provider_block_overlap",
        "provider_appointment_overlap",
        "patient_overlap",
        "purchase_over_quota",
        "appointment_on_other_patients_purchase",
        "session_numbers_not_1_to_k_in_start_order",
        "cross_tenant_appointment",
        "appointment_without_audit",
        "audit_without_time_or_action",
    ):
        assert rule in found, (rule, found)


def test_a_group_over_capacity_is_caught(db_url: str) -> None:
    seed = seed_clinic(db_url, patients=6, desks=1)
    engine = make_engine(db_url)
    group = seed.group_session_ids[0]
    with write_session(engine) as session:
        g = session.get(GroupSession, group)
        assert g is not None
        rows = Rows(session, seed.tenant_id)
        for patient in seed.patient_ids[: g.capacity + 1]:
            rows.seat(g, patient)
    found = violations(check_invariants(engine))
    engine.dispose()
    assert found.get("group_over_capacity") == 1, found
