"""Courses of treatment benchmark: median and p95 of plan_series and book_series for courses
of 20 sessions, and the three reports over the whole demo (first visit to last), through the
public Desk API.

    python bench/series_bench.py                                  # both engines, 1,000,000
    python bench/series_bench.py --url sqlite:////tmp/s.db --patients 20000 --runs 15
    python bench/series_bench.py --url URL --reports-only      # the reports alone, no writes
    python bench/series_bench.py --url URL --plan-only         # plan, and book rolled back

An empty database is filled with `deskbook.db.demo` first; a filled one is reused. Each run
sells a fresh package to a demo patient and plans (then books) its sessions across the
clinic's providers, so runs never collide. --plan-only plans courses for purchases the demo
already holds (active, every session left, expiring after the course), then books each plan
in a transaction it rolls back, so it keeps nothing and can run on the shared databases.
Not a test: numbers go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from deskbook import Desk, series
from deskbook.access import Actor
from deskbook.db.demo import build_demo
from deskbook.db.engine import make_engine, read_session
from deskbook.db.models import (
    Appointment,
    AppointmentStatus,
    Package,
    PackagePurchase,
    PackageService,
    Patient,
    PurchaseQuota,
    PurchaseStatus,
    Series,
)
from deskbook.desk import DeskSession

WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU")
DEFAULT_URLS = [
    "sqlite:////tmp/deskbook-bench/demo1m.db",
    "postgresql+psycopg://postgres@127.0.0.1:5432/deskbook_bench_series",
]


def ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def ensure(url: str, patients: int) -> None:
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            s.execute(text("SELECT count(*) FROM series"))
        filled = True
    except Exception:
        filled = False
    finally:
        engine.dispose()
    if not filled:
        print(f"building the {patients:,}-patient demo in {url} ...", flush=True)
        build_demo(url, patients=patients)


def course_package(desk: Desk) -> tuple[uuid.UUID, uuid.UUID]:
    """An active package with the most sessions of one service (the course to plan)."""
    with read_session(desk.engine) as s:
        row = s.execute(
            select(Package.id, PackageService.service_id)
            .join(PackageService, PackageService.package_id == Package.id)
            .where(Package.active.is_(True))
            .order_by(PackageService.sessions.desc(), Package.id)
            .limit(1)
        ).one()
    return row[0], row[1]


def patients(desk: Desk, n: int, skip: int) -> list[uuid.UUID]:
    with read_session(desk.engine) as s:
        return list(s.scalars(select(Patient.id).order_by(Patient.mrn).offset(skip).limit(n)))


def held_courses(desk: Desk, service: uuid.UUID, last_day: date, n: int) -> list[uuid.UUID]:
    """Active purchases of the course's service with all 20 sessions left (no live visit
    yet) that expire after last_day: a plan of 20 for each is valid as the demo stands."""
    live = (
        select(Appointment.id)
        .where(
            Appointment.purchase_id == PackagePurchase.id,
            Appointment.status != AppointmentStatus.CANCELLED,
        )
        .exists()
    )
    with read_session(desk.engine) as s:
        return list(
            s.scalars(
                select(PackagePurchase.id)
                .join(PurchaseQuota, PurchaseQuota.purchase_id == PackagePurchase.id)
                .where(
                    PurchaseQuota.service_id == service,
                    PurchaseQuota.quota - PurchaseQuota.moved_out >= 20,
                    PackagePurchase.status == PurchaseStatus.ACTIVE,
                    PackagePurchase.expiry_date > last_day,
                    ~live,
                )
                .order_by(PackagePurchase.id)
                .limit(n)
            )
        )


def time_plans(desk: Desk, admin: DeskSession, zone: ZoneInfo, runs: int, ahead: int) -> None:
    """plan_series of 20 (SUN-THU, any provider) for purchases the demo holds: no writes."""
    _, service = course_package(desk)
    first = datetime.now(zone).date() + timedelta(days=ahead)
    purchases = held_courses(desk, service, first + timedelta(days=35), runs)
    samples: list[float] = []
    free: list[int] = []
    load = os.getloadavg()[0]
    for i, purchase in enumerate(purchases):
        plan, seconds = timed(
            lambda p=purchase, h=clock(8 + i % 9): admin.plan_series(
                p, service, WEEKDAYS, h, first, 20
            )
        )
        samples.append(seconds)
        free.append(len(plan.choices))  # type: ignore[attr-defined]
    p50, p95 = ms(samples)
    print(
        f"  plan_series of 20   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   ({len(samples)} runs, "
        f"from {first}, free visits per plan median {statistics.median(free)}; "
        f"load {load:.2f} .. {os.getloadavg()[0]:.2f})"
    )


def time_books(desk: Desk, admin: DeskSession, zone: ZoneInfo, runs: int, ahead: int) -> None:
    """book_series of each --plan-only plan's free visits in a transaction that is rolled
    back: the locks, the judging and the writes, nothing kept (nor the commit timed)."""
    _, service = course_package(desk)
    first = datetime.now(zone).date() + timedelta(days=ahead)
    staff = admin.staff
    actor = Actor(staff.id, staff.tenant_id, staff.role, staff.provider_id, zone)
    samples: list[float] = []
    load = os.getloadavg()[0]
    for i, purchase in enumerate(held_courses(desk, service, first + timedelta(days=35), runs)):
        plan = admin.plan_series(purchase, service, WEEKDAYS, clock(8 + i % 9), first, 20)
        with Session(desk.engine) as s:
            _, seconds = timed(
                lambda s=s, p=purchase, c=plan.choices, r=plan.rule: series.book(
                    s, actor, p, service, c, r
                )
            )
            s.rollback()
        samples.append(seconds)
    b50, b95 = ms(samples)
    print(
        f"  book_series, rolled back   p50 {b50:7.1f} ms   p95 {b95:7.1f} ms   "
        f"({len(samples)} runs; load {load:.2f} .. {os.getloadavg()[0]:.2f})"
    )


def run(
    url: str,
    demo_patients: int,
    runs: int,
    reports_only: bool = False,
    plan_only: bool = False,
    ahead: int = 45,
) -> None:
    ensure(url, demo_patients)
    with Desk.open(url) as desk:
        admin: DeskSession = desk.login("admin", "admin")
        zone = ZoneInfo(admin.staff.timezone)
        if reports_only or plan_only:
            print(f"{url}")
            if plan_only:
                time_plans(desk, admin, zone, runs, ahead)
                time_books(desk, admin, zone, runs, ahead)
            if reports_only:
                time_reports(desk, admin, zone)
            return
        package, service = course_package(desk)
        plan_times: list[float] = []
        book_times: list[float] = []
        sizes: list[int] = []
        # Past the demo's busiest weeks, so a course of 20 mostly finds free slots; the plan
        # is judged the same however busy the days are.
        # A run again on the same database starts a few days later, on time nobody holds yet.
        with read_session(desk.engine) as s:
            earlier = s.scalar(select(func.count()).select_from(Series)) or 0
        first: date = datetime.now(zone).date() + timedelta(days=45 + (earlier // runs) % 20 * 7)
        for i, patient in enumerate(patients(desk, runs, earlier)):
            purchase = admin.assign_package(patient, package).id
            hour = clock(8 + i % 9)
            plan, seconds = timed(
                lambda p=purchase, h=hour: admin.plan_series(
                    p, service, ("SUN", "MON", "TUE", "WED", "THU"), h, first, 20
                )
            )
            plan_times.append(seconds)
            choices = plan.choices  # type: ignore[attr-defined]
            sizes.append(len(choices))
            if not choices:
                continue
            rule = plan.rule  # type: ignore[attr-defined]
            _, seconds = timed(
                lambda p=purchase, c=choices, r=rule: admin.book_series(p, service, c, r)
            )
            book_times.append(seconds)
        p50, p95 = ms(plan_times)
        b50, b95 = ms(book_times)
        print(f"{url}")
        print(f"  plan_series of 20   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   ({runs} runs)")
        print(
            f"  book_series         p50 {b50:7.1f} ms   p95 {b95:7.1f} ms   "
            f"(visits booked per run: min {min(sizes)}, median {statistics.median(sizes)})"
        )
        time_reports(desk, admin, zone)


def time_reports(desk: Desk, admin: DeskSession, zone: ZoneInfo) -> None:
    start, end, visits = demo_span(desk, zone)
    for kind in ("packages", "utilization", "revenue"):
        load = os.getloadavg()[0]
        rows, seconds = timed(lambda k=kind: admin.report(k, start, end))
        print(
            f"  report {kind:<12} {seconds * 1000:9.1f} ms   ({len(rows)} rows, "  # type: ignore[arg-type]
            f"{start} .. {end}: the whole demo, {visits:,} visits; load {load:.2f})"
        )


def demo_span(desk: Desk, zone: ZoneInfo) -> tuple[date, date, int]:
    """The days from the demo's first visit to its last (a report covers at most three years,
    more than the demo's history), and how many visits they hold."""
    with read_session(desk.engine) as s:
        first, last, visits = s.execute(
            select(func.min(Appointment.start_at), func.max(Appointment.start_at), func.count())
        ).one()
    start, end = (as_utc(moment).astimezone(zone).date() for moment in (first, last))
    return max(start, end - timedelta(days=3 * 365 - 1)), end, int(visits)


def as_utc(moment: datetime | str) -> datetime:
    # SQLite hands an aggregate's time back as text.
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="database URL (repeatable)")
    parser.add_argument("--patients", type=int, default=1_000_000, help="demo size to build")
    parser.add_argument("--runs", type=int, default=20, help="courses planned and booked")
    parser.add_argument(
        "--reports-only", action="store_true", help="time the three reports only (no writes)"
    )
    parser.add_argument(
        "--plan-only", action="store_true", help="plan, then book rolled back: keeps nothing"
    )
    parser.add_argument(
        "--ahead", type=int, default=45, help="--plan-only: days from today to the first day"
    )
    args = parser.parse_args()
    for url in args.url or DEFAULT_URLS:
        run(url, args.patients, args.runs, args.reports_only, args.plan_only, args.ahead)


if __name__ == "__main__":
    main()
