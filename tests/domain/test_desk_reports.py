"""Package analytics (issue 14): the three reports through the Desk API and as CSV from
`deskbook export report`, on both engines."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from deskbook import Desk, reports
from deskbook.cli import app
from deskbook.db.engine import write_session
from deskbook.db.models import PackagePurchase
from deskbook.errors import DatabaseError, InvalidInput, PermissionDenied
from deskbook.testing.clock import at, future_day, today
from deskbook.testing.freeze import within_deadline
from deskbook.testing.small_clinic import PASSWORD, World


def clinic_world(world: World) -> dict[str, object]:
    """Three purchases sold in the last 100 days: one lapsed unused, one cancelled after two
    sessions, one half paid with visits booked tomorrow."""
    d, admin = world.login(), world.login("admin")
    a, b, c = world.patient("A"), world.patient("B"), world.patient("C")
    lapsed = d.assign_package(a, world.slp10).id
    with write_session(world.desk.engine) as s:
        s.execute(
            update(PackagePurchase)
            .where(PackagePurchase.id == lapsed)
            .values(
                purchase_date=today() - timedelta(days=100),
                expiry_date=today() - timedelta(days=10),
            )
        )
    stopped = d.assign_package(b, world.slp10).id
    # A day gone by: its visits were booked days before it and seen on it.
    day, booked_for = today() - timedelta(days=1), future_day(1)
    for h in (9, 10):
        visit = d.book(b, world.slp, world.amal, at(booked_for, h), purchase_id=stopped)
        world.move_to_day(visit.id, day)
        d.complete(visit.id)
    d.record_payment(stopped, "2500", "CASH")
    admin.cancel_purchase(stopped, "moved away")  # refund 2,500 - 2 x 250 = 2,000
    running = d.assign_package(c, world.aba20).id
    d.record_payment(running, "1000.50", "CARD")
    for h in (9, 10, 11):
        visit = d.book(c, world.aba, world.chadi, at(booked_for, h), purchase_id=running)
        world.move_to_day(visit.id, day)
    return {"day": day}


def test_the_three_reports(world: World) -> None:
    day = clinic_world(world)["day"]
    admin = world.login("admin")
    first, last = today() - timedelta(days=120), today()
    packages = {r.package: r for r in admin.package_report(first, last)}
    slp, aba = packages["10 SLP Sessions"], packages["20 ABA Therapy Package"]
    assert (slp.sold, slp.sales, slp.sessions, slp.sessions_used) == (2, Decimal("5000.00"), 20, 2)
    assert (slp.sessions_expired_unused, slp.cancelled, slp.completed) == (10, 1, 0)
    assert (aba.sold, aba.sales, aba.sessions, aba.sessions_used) == (1, Decimal("2500.00"), 20, 0)
    assert aba.completion_rate == Decimal("0")
    only_aba = admin.package_report(first, last, clinic_id=world.aba_clinic)
    assert [r.package for r in only_aba] == ["20 ABA Therapy Package"]
    assert admin.package_report(today() + timedelta(days=1), today() + timedelta(days=2)) == []

    revenue = {r.clinic: r for r in admin.revenue_report(first, last)}
    speech, aba_clinic = revenue["Speech Clinic"], revenue["ABA Clinic"]
    assert (speech.sold, speech.sales, speech.received) == (
        2,
        Decimal("5000.00"),
        Decimal("2500.00"),
    )
    # The lapsed package was never paid: its price is still due; the cancelled one owes none.
    assert (speech.balance_due, speech.refunds_due) == (Decimal("2500.00"), Decimal("2000.00"))
    assert (aba_clinic.received, aba_clinic.balance_due) == (Decimal("1000.50"), Decimal("1499.50"))

    usage = {(r.provider, r.clinic): r for r in admin.utilization_report(day, day)}  # type: ignore[arg-type]
    amal, chadi = usage[("Amal", "Speech Clinic")], usage[("Chadi", "ABA Clinic")]
    assert (amal.scheduled_minutes, amal.booked_minutes, amal.utilization) == (
        600,
        120,
        Decimal("0.2"),
    )
    assert (chadi.booked_minutes, chadi.utilization) == (180, Decimal("0.3"))
    week = {r.provider: r for r in admin.utilization_report(day, day + timedelta(days=6))}  # type: ignore[operator]
    assert week["Badr"].scheduled_minutes == 7 * 600 and week["Badr"].booked_minutes == 0
    assert {r.clinic for r in admin.report("utilization", day, day, world.slp_clinic)} == {
        "Speech Clinic"
    }  # type: ignore[arg-type, union-attr]


def test_reports_are_for_administrators_and_a_real_period(world: World) -> None:
    d, admin = world.login(), world.login("admin")
    with pytest.raises(PermissionDenied, match="cannot see reports"):
        d.revenue_report(today(), today())
    with pytest.raises(InvalidInput, match="ends before it starts"):
        admin.package_report(today(), today() - timedelta(days=1))
    with pytest.raises(InvalidInput, match="no “sales” report"):
        admin.report("sales", today(), today())


def test_export_report_as_csv(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic_world(world)
    monkeypatch.setenv("DESKBOOK_PASSWORD", PASSWORD)
    runner = CliRunner()
    out = tmp_path / "packages.csv"
    args = [
        "export",
        "report",
        "packages",
        "--from",
        (today() - timedelta(days=120)).isoformat(),
        "--to",
        today().isoformat(),
        "--user",
        f"{world.prefix}admin",
        "--db",
        world.url,
    ]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["package"], r["sold"], r["sales"]) for r in rows] == [
        ("10 SLP Sessions", "2", "5000.00"),
        ("20 ABA Therapy Package", "1", "2500.00"),
    ]
    revenue = runner.invoke(app, [*args[:2], "revenue", *args[3:], "--clinic", "aba clinic"])
    assert revenue.exit_code == 0, revenue.output
    [row] = list(csv.DictReader(io.StringIO(revenue.stdout)))
    assert (row["clinic"], row["received"]) == ("ABA Clinic", "1000.50")
    bad = runner.invoke(app, [*args[:2], "sales", *args[3:]])
    assert bad.exit_code == 1 and "no “sales” report" in bad.output
    bad_day = runner.invoke(app, [*args[:3], "--from", "yesterday", *args[5:]])
    assert bad_day.exit_code == 1 and "YYYY-MM-DD" in bad_day.output
    desk = runner.invoke(app, [*args[:-4], "--user", f"{world.prefix}frontdesk", *args[-2:]])
    assert desk.exit_code == 1 and "cannot see reports" in desk.output


# A statement that outlasts the 0.1 s statement bound below on any machine, yet ends.
_LONG_STATEMENT = {
    "postgresql": "SELECT pg_sleep(0.5)",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
    "SELECT count(*) FROM c",
}


def test_a_report_is_held_to_the_report_bound_and_a_desk_call_to_the_short_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report reads a year of visits by design (DESKBOOK_REPORT_TIMEOUT); every other call
    keeps the desk's bounds (DESKBOOK_STATEMENT_TIMEOUT, DESKBOOK_CALL_DEADLINE)."""
    monkeypatch.setenv("DESKBOOK_STATEMENT_TIMEOUT", "0.1")
    monkeypatch.setenv("DESKBOOK_CALL_DEADLINE", "1")
    monkeypatch.setenv("DESKBOOK_REPORT_TIMEOUT", "60")
    with Desk.open(world.url) as desk:
        admin = desk.login(f"{world.prefix}admin", PASSWORD)
        long_statement = text(_LONG_STATEMENT[desk.engine.dialect.name])

        def slow(s: Session, *_args: object) -> list[object]:
            s.execute(long_statement).scalar()
            return []

        def long_call(s: Session, *_args: object) -> list[object]:
            time.sleep(1.5)  # past the call deadline, well within the report's
            s.execute(text("SELECT 1")).scalar()
            return []

        monkeypatch.setattr(reports, "report", slow)
        assert within_deadline(lambda: admin.report("packages", today(), today())) == []
        monkeypatch.setattr(reports, "report", long_call)
        assert within_deadline(lambda: admin.report("packages", today(), today())) == []

        with pytest.raises(DatabaseError, match="stopped a step that took too long"):
            within_deadline(lambda: admin._read(slow))
        with pytest.raises(DatabaseError, match="did not answer within 1 seconds"):
            within_deadline(lambda: admin._read(long_call))
        # The report's bound went with its call: the connection it used is a desk's again.
        with pytest.raises(DatabaseError, match="stopped a step that took too long"):
            within_deadline(lambda: admin._read(slow))
