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
import sys
import threading
import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from sqlalchemy import Connection, Engine, inspect, text

from deskbook.config import default_database_url
from deskbook.db import demo_catalog as catalog
from deskbook.db.demo_bulk import BulkPatients
from deskbook.db.demo_load import loading_connection, writer_for
from deskbook.db.demo_people import DEMO_PATIENT, DEMO_PATIENTS, DemoPatient
from deskbook.db.demo_plan import Planner, group_count, history_days, provider_count
from deskbook.db.demo_reference import write_reference, write_time_off
from deskbook.db.demo_rows import Batch, TextForm
from deskbook.db.demo_rules import rules_set_aside
from deskbook.db.demo_target import build_site
from deskbook.db.engine import check_reachable, make_engine, parse_url, safe_url, sqlite_path
from deskbook.errors import DeskError

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
    with loading_connection(engine) as conn:
        with conn.begin():
            ref = write_reference(conn, rng, now, providers)
        planner = Planner(
            ref, rng, now, catalog.TENANT_TIMEZONE, past_days, FUTURE_DAYS, patients, form
        )
        task = progress.add_task("Patients", total=patients)
        counts = Batch()
        with rules_set_aside(conn, BULK_TABLES) as side, writer_for(conn, side) as writer:
            with conn.begin():
                write_time_off(conn, planner, ref)
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

    # The writer gives up the GIL for every row it steps (sqlite3, psycopg) and gets it back
    # only when the generator thread yields it, after sys.getswitchinterval() (5 ms) while
    # that thread computes. Handing it back sooner keeps the writer going: executemany of
    # 300,000 rows beside a busy Python thread took 2.7x its time alone at 5 ms, 1.9x at 1 ms.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.001))
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
        sys.setswitchinterval(interval)


def _analyze(conn: Connection) -> None:
    with conn.begin():
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=2000")
            conn.exec_driver_sql("ANALYZE")
        else:
            # The bulk tables were analyzed as their indexes were built (deskbook.db.demo_rules);
            # the rest of the build schema's (the first on the search path: the target's own
            # tables are no business of the demo's).
            rest = conn.execute(
                text(
                    "SELECT format('%I', relname) FROM pg_class WHERE relkind = 'r' "
                    "AND relnamespace = current_schema()::regnamespace "
                    "AND relname <> ALL(:done)"
                ),
                {"done": [*BULK_TABLES, "patient_phone_key"]},
            ).scalars()
            conn.exec_driver_sql(f"ANALYZE {', '.join(rest)}")
