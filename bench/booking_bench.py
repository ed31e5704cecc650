"""Booking engine benchmark: median and p95 of book, packages_for_patient and free_slots on the
100,000-patient demo, and the throughput of 16 desks booking at once against one provider,
next to the same transaction written as plain SQL.

    python bench/booking_bench.py                       # SQLite file + local PostgreSQL
    python bench/booking_bench.py --url sqlite:////tmp/demo.db --calls 300

An empty database is filled with `deskbook.db.demo` first (minutes); a filled one is reused.
Bookings land 200+ days ahead so repeated runs do not collide with the demo's own visits.
Not a test: numbers go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from deskbook import Desk
from deskbook.db.demo import build_demo
from deskbook.db.engine import make_engine, read_session, run_write
from deskbook.db.models import (
    Appointment,
    AuditEvent,
    PackagePurchase,
    Patient,
    Provider,
    ProviderBlock,
    ProviderClinic,
    ProviderService,
    Service,
)
from deskbook.desk import DeskSession
from deskbook.errors import DeskError

WRITERS = 16
DEFAULT_URLS = [
    "sqlite:////tmp/deskbook-bench/demo100k.db",
    "postgresql+psycopg://postgres@127.0.0.1:5432/deskbook_bench_booking",
]


def ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(calls: list[Callable[[], object]]) -> tuple[list[float], list[float]]:
    """Wall-clock and own-CPU seconds per call. The CPU time is shown too because a shared
    machine's load inflates wall-clock time, not the process's own work."""
    wall, cpu = [], []
    for call in calls:
        started, cpu_started = time.perf_counter(), time.process_time()
        with contextlib.suppress(DeskError):
            call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return wall, cpu


def ensure(url: str) -> None:
    engine = make_engine(url)
    try:
        with read_session(engine) as s:
            s.execute(text("SELECT count(*) FROM patient"))
        filled = True
    except Exception:
        filled = False
    finally:
        engine.dispose()
    if not filled:
        print(f"building the 100,000-patient demo in {url} ...", flush=True)
        build_demo(url, patients=100_000)


def pairs(desk: Desk) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(provider, service) pairs a desk can book: the provider delivers it at its clinic."""
    with read_session(desk.engine) as s:
        rows = s.execute(
            select(ProviderService.provider_id, ProviderService.service_id)
            .join(Service, Service.id == ProviderService.service_id)
            .join(
                ProviderClinic,
                (ProviderClinic.provider_id == ProviderService.provider_id)
                & (ProviderClinic.clinic_id == Service.clinic_id),
            )
            .where(Service.group_capable.is_(False))
        ).all()
    return [(p, sv) for p, sv in rows]


def slots_for(d: DeskSession, provider: uuid.UUID, service: uuid.UUID, first: date, n: int):
    found: list[datetime] = []
    day = first
    while len(found) < n and day < first + timedelta(days=400):
        found += d.free_slots(provider, service, day)
        day += timedelta(days=1)
    return found[:n]


def contended(d: DeskSession, work: list[Callable[[], object]]) -> float:
    """Bookings per second with WRITERS threads released together."""
    barrier = threading.Barrier(WRITERS)
    share = [work[i::WRITERS] for i in range(WRITERS)]
    done = [0] * WRITERS

    def run(i: int) -> None:
        barrier.wait()
        for call in share[i]:
            try:
                call()
                done[i] += 1
            except DeskError:
                pass

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WRITERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def raw_book(engine, tenant_id, patient_id, provider_id, clinic_id, service_id, start, end):
    """The same transaction as Desk.book for a single session, as plain statements."""

    def work(s) -> None:
        s.execute(select(Patient.id).where(Patient.id == patient_id).with_for_update())
        s.execute(select(Provider.id).where(Provider.id == provider_id).with_for_update())
        clash = s.scalar(
            select(ProviderBlock.id).where(
                ProviderBlock.provider_id == provider_id,
                ProviderBlock.start_at < end,
                ProviderBlock.end_at > start,
            )
        )
        busy = s.scalar(
            select(Appointment.id).where(
                Appointment.patient_id == patient_id,
                Appointment.status != "CANCELLED",
                Appointment.start_at < end,
                Appointment.end_at > start,
            )
        )
        if clash or busy:
            raise DeskError("taken")
        appointment_id = uuid.uuid4()
        now = datetime.now(UTC)
        s.execute(
            insert(Appointment.__table__).values(
                id=appointment_id,
                tenant_id=tenant_id,
                patient_id=patient_id,
                clinic_id=clinic_id,
                service_id=service_id,
                provider_id=provider_id,
                start_at=start,
                end_at=end,
                kind="SINGLE",
                status="BOOKED",
                created_at=now,
                updated_at=now,
            )
        )
        s.execute(
            insert(ProviderBlock.__table__).values(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                provider_id=provider_id,
                start_at=start,
                end_at=end,
                appointment_id=appointment_id,
            )
        )
        s.execute(
            insert(AuditEvent.__table__).values(
                id=uuid.uuid4(),
                tenant_id=tenant_id,
                at=now,
                action="book",
                entity="appointment",
                entity_id=appointment_id,
            )
        )

    run_write(engine, work)


def bench(url: str, calls: int, rng: random.Random) -> list[str]:
    ensure(url)
    desk = Desk.open(url)
    d = desk.login("frontdesk", "frontdesk")
    tz = ZoneInfo(d.staff.timezone)
    today = datetime.now(tz).date()
    with read_session(desk.engine) as s:
        patients = list(s.scalars(select(Patient.id).order_by(func.random()).limit(calls * 8)))
        holders = list(
            s.scalars(select(PackagePurchase.patient_id).order_by(func.random()).limit(calls))
        )
    both = pairs(desk)
    rows = []

    rows.append(
        ("packages_for_patient", *timed([lambda p=p: d.packages_for_patient(p) for p in holders]))
    )

    slot_calls = []
    for _ in range(calls):
        provider, service = rng.choice(both)
        day = today + timedelta(days=rng.randint(1, 30))
        slot_calls.append(lambda p=provider, s=service, dd=day: d.free_slots(p, s, dd))
    rows.append(("free_slots", *timed(slot_calls)))

    book_calls = []
    far = today + timedelta(days=200 + rng.randint(0, 100))
    pool = iter(patients)
    for provider, service in rng.sample(both, min(len(both), 20)):
        for start in slots_for(d, provider, service, far, max(1, calls // 20)):
            book_calls.append(
                lambda p=next(pool), pr=provider, sv=service, st=start: d.book(p, sv, pr, st)
            )
    rows.append(("book", *timed(book_calls)))

    # Contention: all desks on one provider, each booking its own slot for its own patient.
    provider, service = rng.choice(both)
    first = far + timedelta(days=120)
    starts = slots_for(d, provider, service, first, WRITERS * 12)
    desk_calls = [
        lambda p=next(pool), st=st: d.book(p, service, provider, st)
        for st in starts[: len(starts) // 2]
    ]
    with read_session(desk.engine) as s:
        svc = s.get(Service, service)
        clinic_id, minutes = svc.clinic_id, svc.duration_minutes
        tenant_id = s.get(Provider, provider).tenant_id
    raw_calls = [
        lambda p=next(pool), st=st: raw_book(
            desk.engine,
            tenant_id,
            p,
            provider,
            clinic_id,
            service,
            st,
            st + timedelta(minutes=minutes),
        )
        for st in starts[len(starts) // 2 :]
    ]
    desk_rate = contended(d, desk_calls)
    raw_rate = contended(d, raw_calls)
    desk.close()

    engine = url.split(":")[0].split("+")[0]
    lines = [
        f"| {engine} | {name} | {ms(w)[0]:.2f} | {ms(w)[1]:.2f} | {ms(c)[0]:.2f} | {len(w)} |"
        for name, w, c in rows
    ]
    lines.append(
        f"| {engine} | 16 writers, one provider | {desk_rate:.0f} bookings/s via Desk | "
        f"{raw_rate:.0f} bookings/s raw SQL | ratio {desk_rate / raw_rate:.2f} | |"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="database URL (repeatable)")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(11)
    print("| engine | operation | median ms | p95 ms | cpu median ms | calls |")
    print("|---|---|---|---|---|---|")
    for url in args.url or DEFAULT_URLS:
        for line in bench(url, args.calls, rng):
            print(line, flush=True)


if __name__ == "__main__":
    main()
