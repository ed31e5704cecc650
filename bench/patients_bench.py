"""Patients as callers give them: p50 / p95 / max of phone search by 4-7 trailing digits, of
name variants and short MRNs, of possible_duplicates and near_misses, and the time to import a
clinic list of 100,000 rows.

    python bench/patients_bench.py --db sqlite:////work/benchdata/p100k.db --patients 100000
    python bench/patients_bench.py --db postgresql+psycopg://postgres@127.0.0.1/p100k

The search database is the demo clinic (built on first use by `deskbook demo`, then reused).
The import goes into a fresh, empty database on the same engine (a temporary SQLite file, or a
new PostgreSQL database on the same server, dropped afterwards), so runs do not pile up.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from deskbook.benchmarks import ensure_database
from deskbook.db.engine import make_engine, read_session, safe_url, write_session
from deskbook.db.migrate import upgrade
from deskbook.db.models import Patient, Tenant
from deskbook.desk import Desk
from deskbook.desk_patients import PatientDesk
from deskbook.patient_import import import_patients

VARIANTS = [
    "Mohamed",
    "Muhammad",
    "Mohammad Al Rashid",
    "Abdul Rahman",
    "Abdelrahman",
    "Yusuf",
    "Youssef",
    "Aysha",
    "El-Ghamdi",
    "alzahrani",
    "Hasan",
    "Husain",
]


# This process's CPU per call, beside the wall time: on a shared machine the wall time
# carries everyone else's load, the CPU time (all of SQLite's work, the client's part of
# PostgreSQL's) does not.
CPU: dict[int, list[float]] = {}


def timed(samples: list[float], work: Callable[[], object]) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    work()
    samples.append((time.perf_counter() - started) * 1000)
    CPU.setdefault(id(samples), []).append((time.process_time() - cpu) * 1000)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(name: str, samples: list[float]) -> str:
    cpu = CPU.get(id(samples), [0.0])
    return (
        f"  {name:<40} n={len(samples):>4}  p50 {statistics.median(samples):5.1f}"
        f"  p95 {_p95(samples):5.1f}  max {max(samples):5.1f} ms"
        f"  | cpu p50 {statistics.median(cpu):4.1f}  p95 {_p95(cpu):4.1f} ms"
    )


def sample_patients(url: str, count: int) -> list[tuple[str, str, str, object, str]]:
    """(mrn, phone_norm, name_en, date_of_birth, national_id) spread through the table."""
    engine = make_engine(url)
    try:
        with read_session(engine) as session:
            total = session.scalar(select(func.count()).select_from(Patient)) or 0
            rng = random.Random(11)
            picks = []
            for _ in range(count):
                row = session.execute(
                    select(
                        Patient.mrn,
                        Patient.phone_norm,
                        Patient.name_en,
                        Patient.date_of_birth,
                        Patient.national_id,
                    )
                    .order_by(Patient.mrn)
                    .offset(rng.randrange(max(1, total)))
                    .limit(1)
                ).first()
                if row is not None:
                    picks.append((row[0], row[1], row[2], row[3], row[4] or ""))
            return picks
    finally:
        engine.dispose()


def search_figures(url: str, rounds: int) -> None:
    picks = sample_patients(url, 40)
    desk = Desk.open(url)
    d: PatientDesk = desk.login("frontdesk", "frontdesk")
    d.search_patients("warm up")
    trailing: list[float] = []
    middle: list[float] = []
    variants: list[float] = []
    mrns: list[float] = []
    dups: list[float] = []
    near: list[float] = []
    for _ in range(rounds):
        for mrn, digits, name_en, born, nid in picks:
            for k in (4, 5, 6, 7):
                timed(trailing, lambda q=digits[-k:]: d.search_patients(q))
            timed(middle, lambda q=digits[2:7]: d.search_patients(q))
            timed(mrns, lambda q=mrn.lstrip("MRN").lstrip("0"): d.search_patients(q))
            check = partial(
                d.possible_duplicates,
                name_en=name_en,
                phone="0" + digits,
                date_of_birth=born,
                national_id=nid,
            )
            timed(dups, check)
            wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
            timed(near, lambda q="0" + wrong: d.near_misses(q))
        for query in VARIANTS:
            timed(variants, lambda q=query: d.search_patients(q))
    print(line("phone, 4-7 trailing digits", trailing))
    print(line("phone, 5 digits from the middle", middle))
    print(line("bare MRN digits", mrns))
    print(line("name variants (Mohamed, Abdul Rahman...)", variants))
    print(line("possible_duplicates (name+dob+phone+id)", dups))
    print(line("near_misses (phone one digit off)", near))
    desk.close()


def write_list(path: Path, rows: int) -> None:
    """A clinic's list as a spreadsheet holds it: three-part names from 60 given and 30 family
    names (about 100,000 full names), mixed phone formats, day-first birth dates."""
    rng = random.Random(5)
    given = [
        f"{a}{b}"
        for a in ("Mo", "Sa", "Yu", "Ai", "Om", "La", "Kh", "No", "Ha", "Ra")
        for b in ("ra", "lim", "sef", "ya", "dan", "mal")
    ]
    family = [
        f"Al-{a}{b}"
        for a in ("Ras", "Gha", "Zah", "Qah", "Har", "Mut")
        for b in ("hid", "mdi", "rani", "tani", "bi")
    ]
    formats = ("05{0}{1:07d}", "+966 5{0} {1:07d}", "009665{0}{1:07d}", "05{0}-{1:07d}")
    with path.open("w", encoding="utf-8") as out:
        out.write("Name,Mobile,DOB,National ID\n")
        for n in range(rows):
            name = f"{rng.choice(given)} {rng.choice(given)} {rng.choice(family)}"
            day = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2022)}"
            phone = rng.choice(formats).format(rng.randint(0, 9), n)
            out.write(f"{name},{phone},{day},2{n:09d}\n")


def import_figure(url: str, rows: int) -> None:
    kind = make_url(url).get_backend_name()
    folder = Path(tempfile.mkdtemp(prefix="deskbook-import-"))
    csv_path = folder / "list.csv"
    write_list(csv_path, rows)
    admin = None
    name = f"deskbook_import_{uuid.uuid4().hex[:8]}"
    if kind == "sqlite":
        target = f"sqlite:///{folder / 'import.db'}"
    else:
        admin = make_engine(url)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        target = make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(target)
        engine = make_engine(target)
        with write_session(engine) as session:
            tenant = Tenant(name="Import bench")
            session.add(tenant)
            session.flush()
            tenant_id = tenant.id
        mapping = {
            "name_en": "Name",
            "phone": "Mobile",
            "date_of_birth": "DOB",
            "national_id": "National ID",
        }
        started = time.perf_counter()
        result = import_patients(engine, csv_path, tenant_id, mapping=mapping)
        took = time.perf_counter() - started
        started = time.perf_counter()
        again = import_patients(engine, csv_path, tenant_id, mapping=mapping)
        rerun = time.perf_counter() - started
        engine.dispose()
        print(
            f"  import {rows:,} rows into {safe_url(target)}: {took:.1f} s "
            f"(loaded {result.loaded:,}, refused {len(result.rejected)}); "
            f"re-run skipping all: {rerun:.1f} s (already loaded {again.already_loaded:,})"
        )
    finally:
        if admin is not None:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", required=True, help="database URL (repeatable)")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--skip-search", action="store_true", help="only the import")
    args = parser.parse_args()
    for url in args.db:
        print(f"{safe_url(url)}")
        if not args.skip_search:
            ensure_database(url, args.patients, print)
            search_figures(url, args.rounds)
        if args.import_rows:
            import_figure(url, args.import_rows)


if __name__ == "__main__":
    main()
