"""The demo clinic: `deskbook demo`.

Builds "Riyadh Therapy Centre" into an empty database: staff logins (DEMO_LOGINS), clinics
SLP / ABA / OT / PT with their services, providers with Sunday-Thursday schedules and some
leave, a catalog with "10 SLP Sessions" and "20 ABA Therapy Package", and patients with
purchases at every stage, group sessions with free and full seats, and appointments past and
ahead. DEMO_PATIENTS (deskbook.db.demo_people) are always there and are what tests and the
README rely on; the rest is random but repeatable for a given --seed and --patients.

It refuses a database that already holds a clinic: demo logins (admin/admin) have no place next
to real data. At a million patients it writes about 200,000 purchases and 3,000,000
appointments; the big tables go in by executemany (SQLite) or COPY (PostgreSQL).
"""

from __future__ import annotations

import queue
import random
import threading
import time as clock
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from sqlalchemy import Connection, Engine, Table, insert, inspect, text

from deskbook.config import default_database_url
from deskbook.db import demo_catalog as catalog
from deskbook.db import models as m
from deskbook.db.demo_bulk import BulkPatients
from deskbook.db.demo_load import rules_set_aside, writer_for
from deskbook.db.demo_people import DEMO_PATIENT, DEMO_PATIENTS, DemoPatient
from deskbook.db.demo_plan import Planner, group_count, history_days, provider_count
from deskbook.db.demo_rows import Batch, Pkg, Prov, Reference, Svc, TextForm
from deskbook.db.demo_target import build_site
from deskbook.db.engine import check_reachable, make_engine, parse_url, safe_url, sqlite_path
from deskbook.errors import DeskError
from deskbook.passwords import hash_password

__all__ = ["DEMO_LOGINS", "DEMO_PATIENT", "DEMO_PATIENTS", "DemoPatient", "build_demo"]

DEMO_LOGINS = catalog.DEMO_LOGINS
FUTURE_DAYS = 60
CHUNK = 25_000
# Their secondary indexes and overlap rules are rebuilt once, after the load; costliest to
# rebuild first (on PostgreSQL two tables are rebuilt at a time, in this order).
BULK_TABLES = (
    "provider_block",
    "appointment",
    "patient",
    "audit_event",
    "package_purchase",
    "purchase_quota",
    "group_session",
)


class DemoRefused(DeskError):
    default_message = "The demo clinic is built only into an empty database."


class DemoAlreadyThere(DemoRefused):
    """The database holds the demo clinic already: nothing to build, and nothing wrong."""


@dataclass(frozen=True)
class DemoSummary:
    tenant_id: str
    patients: int
    providers: int
    purchases: int
    appointments: int
    group_sessions: int
    seconds: float


def build_demo(
    url: str,
    *,
    patients: int = 2000,
    seed: int = 7,
    now: datetime | None = None,
    show_progress: bool = False,
    console: Console | None = None,
) -> DemoSummary:
    """Build the demo clinic beside the database at url and put it in its place (see
    deskbook.db.demo_target): a build that dies leaves url as it was."""
    if patients < len(DEMO_PATIENTS):
        raise DeskError(f"The demo needs at least {len(DEMO_PATIENTS)} patients.")
    started = clock.perf_counter()
    _refuse_if_not_empty(url)
    site = build_site(url)
    try:
        engine = site.make_engine()
        try:
            site.migrate(engine)
            rng = random.Random(seed)
            now = now or datetime.now(UTC)
            with _progress(show_progress, console) as progress:
                summary = _fill(engine, rng, seed, now, patients, progress)
        finally:
            engine.dispose()
        site.finish(_still_empty)
    except BaseException:
        site.abandon()
        raise
    return replace(summary, seconds=clock.perf_counter() - started)


def _open_command(where: str) -> str:
    return "deskbook" if where == safe_url(default_database_url()) else f"deskbook --db {where}"


def run_demo_command(url: str, *, patients: int, seed: int) -> None:
    console = Console()
    try:
        summary = build_demo(url, patients=patients, seed=seed, show_progress=True, console=console)
    except DemoAlreadyThere as there:
        # Running the README's first command twice just opens the clinic that is there.
        console.print(str(there), soft_wrap=True, highlight=False)
        return
    console.print(
        f"[bold green]Demo clinic ready[/] in {safe_url(url)} ({summary.seconds:.0f} s): "
        f"{summary.patients:,} patients, {summary.providers:,} providers, "
        f"{summary.purchases:,} package purchases, {summary.appointments:,} appointments, "
        f"{summary.group_sessions:,} group sessions."
    )
    table = RichTable(title=f"{catalog.TENANT_NAME} — demo logins (for trying the app only)")
    for heading in ("Username", "Password", "Role"):
        table.add_column(heading)
    for username, password, role, _ in DEMO_LOGINS:
        table.add_row(username, password, role)
    console.print(table)
    console.print(f"Open it with: {_open_command(safe_url(url))}")


def _refuse_if_not_empty(url: str) -> None:
    path = sqlite_path(parse_url(url))
    if path is not None and not path.exists():
        return
    engine = make_engine(url)
    try:
        check_reachable(engine)  # a server that is down is told in one sentence
        with engine.connect() as conn:
            _still_empty(conn)
    finally:
        engine.dispose()


def _still_empty(conn: Connection) -> None:
    """Refuse a database that holds a clinic (the demo's own is told apart)."""
    if not inspect(conn).has_table("tenant"):
        return
    name = conn.execute(text("SELECT name FROM tenant LIMIT 1")).scalar()
    if name is None:
        return
    where = safe_url(conn.engine.url)
    if name == catalog.TENANT_NAME:
        raise DemoAlreadyThere(
            f"{where} already holds the demo clinic; open it with `{_open_command(where)}`, "
            "or build a new one into another database with --db."
        )
    raise DemoRefused(
        f"{where} already holds the clinic '{name}'; the demo (with its admin/admin login) is "
        "built only into an empty database — give another one with --db."
    )


@contextmanager
def _progress(show: bool, console: Console | None) -> Iterator[Progress]:
    progress = Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
        transient=False,
    )
    with progress:
        yield progress


def _fill(
    engine: Engine,
    rng: random.Random,
    seed: int,
    now: datetime,
    patients: int,
    progress: Progress,
) -> DemoSummary:
    past_days = history_days(patients)
    workdays = (past_days + FUTURE_DAYS) * 5 // 7
    providers = provider_count(patients, workdays, len(catalog.PROVIDERS))
    form = TextForm(engine.dialect.name)
    with _loading_connection(engine) as conn:
        with conn.begin():
            ref = _write_reference(conn, rng, now, providers)
        planner = Planner(
            ref, rng, now, catalog.TENANT_TIMEZONE, past_days, FUTURE_DAYS, patients, form
        )
        writer = writer_for(conn)
        task = progress.add_task("Patients", total=patients)
        counts = Batch()
        with rules_set_aside(conn, BULK_TABLES):
            with conn.begin():
                _write_time_off(conn, planner, ref, m.metadata.tables["provider_time_off"])
                first = Batch()
                planner.group_sessions(group_count(patients), first)
                planner.scripted(first)
                writer.write(first)
            _count(counts, first)
            progress.advance(task, first.patients)
            for batch in _generated(BulkPatients(planner, seed), patients - first.patients):
                with conn.begin():
                    writer.write(batch)
                _count(counts, batch)
                progress.advance(task, batch.patients)
            indexing = progress.add_task("Building indexes", total=1)
        progress.advance(indexing)
        analyze = progress.add_task("Updating statistics", total=1)
        _analyze(conn)
        progress.advance(analyze)
    return DemoSummary(
        ref.tenant,
        patients,
        providers,
        counts.rows("package_purchase"),
        counts.rows("appointment"),
        counts.rows("group_session"),
        0.0,
    )


def _count(counts: Batch, batch: Batch) -> None:
    # Only the sizes are kept: one empty-valued column per table.
    for table, columns in batch.tables.items():
        counts.add(table, [[None] * len(columns[0])])
    counts.patients += batch.patients


def _generated(bulk: BulkPatients, patients: int) -> Iterator[Batch]:
    """The bulk planner's chunks, made in a second thread while this one writes the last:
    numpy, SQLite and psycopg release the GIL for much of their work, so the two overlap."""
    chunks: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        try:
            done = 0
            while done < patients and not stop.is_set():
                batch = bulk.chunk(min(CHUNK, patients - done))
                done += batch.patients
                _put(batch)
            _put(None)
        except BaseException as exc:
            _put(exc)

    def _put(item: Batch | BaseException | None) -> None:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    worker = threading.Thread(target=produce, name="demo-planner", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


@contextmanager
def _loading_connection(engine: Engine) -> Iterator[Connection]:
    """One connection for the whole load. On SQLite the file is a new one that nothing else
    reads and that is thrown away if the build dies (deskbook.db.demo_target), so it is
    written without a journal, without syncs and under an exclusive lock; the index sorts
    use a second core."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        if sqlite:
            conn = conn.execution_options(deskbook_write=True)
            # Outside any transaction (pysqlite is in autocommit mode here): for this load only.
            for pragma in (
                "journal_mode=OFF",
                "locking_mode=EXCLUSIVE",
                "synchronous=OFF",
                "cache_size=-1000000",
                "temp_store=MEMORY",
                "threads=2",
            ):
                raw.execute(f"PRAGMA {pragma}")
        else:
            # The build schema is dropped whole if the build dies, so its commits need not
            # wait for the disk; the switch into place (demo_target) commits as usual.
            conn.exec_driver_sql("SET synchronous_commit TO off")
            conn.commit()
        try:
            yield conn
        finally:
            if sqlite:
                raw.execute("PRAGMA cache_size=-2000")
                raw.execute("PRAGMA locking_mode=NORMAL")


def _analyze(conn: Connection) -> None:
    with conn.begin():
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=2000")
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.execute(text("ANALYZE"))


def _write_reference(
    conn: Connection, rng: random.Random, now: datetime, provider_total: int
) -> Reference:
    """Tenant, staff, clinics, services, providers and the catalog: small, through Core."""
    tenant = m.new_id()
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in m.metadata.tables}
    rows["tenant"].append(
        dict(id=tenant, name=catalog.TENANT_NAME, timezone=catalog.TENANT_TIMEZONE,
             currency=catalog.TENANT_CURRENCY, created_at=now)
    )  # fmt: skip
    clinic_ids: dict[str, Any] = {}
    services: dict[str, Svc] = {}
    for clinic in catalog.CLINICS:
        clinic_ids[clinic.specialty] = cid = m.new_id()
        rows["clinic"].append(
            dict(id=cid, tenant_id=tenant, name_en=clinic.name_en, name_ar=clinic.name_ar,
                 specialty=clinic.specialty)
        )  # fmt: skip
        for offered in clinic.services:
            sid = m.new_id()
            services[offered.code] = Svc(
                sid.hex, offered.code, cid.hex, clinic.specialty, offered.minutes, offered.group
            )
            rows["service"].append(
                dict(id=sid, tenant_id=tenant, clinic_id=cid, name_en=offered.name_en,
                     name_ar=offered.name_ar, duration_minutes=offered.minutes,
                     price=offered.price, group_capable=offered.group)
            )  # fmt: skip
    providers = _provider_specs(rng, provider_total)
    refs: list[Prov] = []
    for provider in providers:
        pid = m.new_id()
        start, end = _minutes(provider.start), _minutes(provider.end)
        refs.append(Prov(pid.hex, provider.week, start, end))
        rows["provider"].append(
            dict(id=pid, tenant_id=tenant, name_en=provider.name_en, name_ar=provider.name_ar,
                 active=True)
        )  # fmt: skip
        for specialty in sorted(set(provider.week.values())):
            rows["provider_clinic"].append(
                dict(provider_id=pid, clinic_id=clinic_ids[specialty], tenant_id=tenant)
            )
            for svc in services.values():
                if svc.specialty == specialty:
                    rows["provider_service"].append(
                        dict(provider_id=pid, service_id=_uuid(svc.id), tenant_id=tenant)
                    )
        for weekday, specialty in provider.week.items():
            rows["provider_schedule"].append(
                dict(id=m.new_id(), tenant_id=tenant, provider_id=pid,
                     clinic_id=clinic_ids[specialty], weekday=weekday,
                     start_time=_clock(provider.start), end_time=_clock(provider.end))
            )  # fmt: skip
    packages: list[Pkg] = []
    for package in catalog.PACKAGES:
        package_id = m.new_id()
        packages.append(
            Pkg(package_id.hex, package.name_en, package.price, package.validity_days,
                package.services, package.active, package.weight)
        )  # fmt: skip
        rows["package"].append(
            dict(id=package_id, tenant_id=tenant, name_en=package.name_en, name_ar=package.name_ar,
                 price=package.price, validity_days=package.validity_days, active=package.active)
        )  # fmt: skip
        for code, sessions in package.services:
            rows["package_service"].append(
                dict(id=m.new_id(), tenant_id=tenant, package_id=package_id,
                     service_id=_uuid(services[code].id), sessions=sessions)
            )  # fmt: skip
    staff_ids = {}
    for username, password, role, display in DEMO_LOGINS:
        staff_ids[username] = sid = m.new_id()
        rows["staff"].append(
            dict(id=sid, tenant_id=tenant, username=username, display_name=display,
                 password_hash=hash_password(password), role=role,
                 provider_id=_uuid(refs[0].id) if role == "PROVIDER" else None, active=True,
                 failed_logins=0, locked_until=None, created_at=now)
        )  # fmt: skip
    for table in m.metadata.sorted_tables:
        if rows[table.name]:
            conn.execute(insert(table), rows[table.name])
    return Reference(tenant.hex, staff_ids["frontdesk"].hex, services, refs, packages)


def _write_time_off(conn: Connection, planner: Planner, ref: Reference, table: Table) -> None:
    rows = [
        dict(id=m.new_id(), tenant_id=_uuid(ref.tenant),
             provider_id=_uuid(ref.providers[index].id), start_at=_moment(start),
             end_at=_moment(end),
             reason=reason)
        for index, start, end, reason in planner.time_off()
    ]  # fmt: skip
    if rows:
        conn.execute(insert(table), rows)


def _provider_specs(rng: random.Random, total: int) -> list[catalog.ProviderSpec]:
    """The named providers, then (for a big demo) enough more to carry the appointments."""
    specs = list(catalog.PROVIDERS)
    specialties = [c.specialty for c in catalog.CLINICS]
    hours = (("08:00", "16:00"), ("09:00", "17:00"), ("10:00", "18:00"))
    while len(specs) < total:
        female = rng.random() < 0.6
        first = rng.choice(catalog.FEMALE_FIRST if female else catalog.MALE_FIRST)
        family = rng.choice(catalog.FAMILY)
        doctor = rng.random() < 0.3
        start, end = rng.choice(hours)
        specs.append(
            catalog.ProviderSpec(
                f"{'Dr. ' if doctor else ''}{first[0]} {family[0]}",
                f"{'د. ' if doctor else ''}{first[1]} {family[1]}",
                catalog.week_of(specialties[len(specs) % len(specialties)]),
                start,
                end,
            )
        )
    return specs


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(hhmm: str) -> time:
    return time(_minutes(hhmm) // 60, _minutes(hhmm) % 60)


def _moment(minute: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)


def _uuid(hex_id: str) -> uuid.UUID:
    return uuid.UUID(hex_id)
