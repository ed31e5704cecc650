"""A writer killed with SIGKILL in the middle of a booking leaves no trace on either engine.

The writers are real processes: one that stops inside the transaction after writing the
appointment, its provider block and its audit event but before COMMIT; one that books and
cancels in a tight loop and is killed at random moments (on SQLite, often mid-commit, with the
WAL half written). Afterwards there is no partial booking, every invariant holds, the SQLite
file passes `PRAGMA integrity_check`, and the next desk books the same slot at once.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import selectors
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from deskbook.db.engine import make_engine, write_session
from deskbook.db.models import Appointment, AuditEvent, ProviderBlock
from deskbook.testing.invariants import check_invariants, table_counts, violations
from deskbook.testing.soak_seed import SeedInfo, seed_clinic

# The child: the same models and the same locked write transaction the use cases run in.
WRITER = r"""
import json, sys, time, uuid
from datetime import datetime, timedelta
from deskbook.db.engine import make_engine, write_session
from deskbook.db.models import Appointment, AuditEvent, ProviderBlock

job = json.loads(sys.argv[1])
engine = make_engine(job["url"])
ids = {k: uuid.UUID(v) for k, v in job["ids"].items()}
patients = [uuid.UUID(p) for p in job["patients"]]
base = datetime.fromisoformat(job["base"])

def book(session, n):
    start = base + timedelta(minutes=30 * n)
    appt = Appointment(tenant_id=ids["tenant"], patient_id=patients[n % len(patients)],
        clinic_id=ids["clinic"], service_id=ids["service"], provider_id=ids["provider"],
        start_at=start, end_at=start + timedelta(minutes=30), booked_by=ids["staff"])
    session.add(appt)
    session.flush()
    session.add(ProviderBlock(tenant_id=ids["tenant"], provider_id=ids["provider"],
        start_at=appt.start_at, end_at=appt.end_at, appointment_id=appt.id))
    session.add(AuditEvent(tenant_id=ids["tenant"], staff_id=ids["staff"], action="book",
        entity="appointment", entity_id=appt.id, after=json.dumps({"start": str(start)})))
    session.flush()
    return appt

def cancel(session, appt_id):
    appt = session.get(Appointment, appt_id)
    appt.status = "CANCELLED"
    session.query(ProviderBlock).filter_by(appointment_id=appt_id).delete()
    session.add(AuditEvent(tenant_id=ids["tenant"], staff_id=ids["staff"], action="cancel",
        entity="appointment", entity_id=appt_id, before='{"status": "BOOKED"}',
        after='{"status": "CANCELLED"}'))
    session.flush()

if job["mode"] == "pause":
    with write_session(engine) as session:
        book(session, 0)
        print("READY", flush=True)
        time.sleep(600)
else:
    n = job["start"]
    while True:
        with write_session(engine) as session:
            appt = book(session, n)
        if n == job["start"]:
            # One booking is in; from now on the kill may land anywhere in the stream.
            print("READY", flush=True)
        if n % 3 == 0:
            with write_session(engine) as session:
                cancel(session, appt.id)
        n += 1
"""


def _seeded(db_url: str) -> tuple[SeedInfo, dict[str, str], list[str]]:
    seed = seed_clinic(db_url, patients=40, desks=1)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        staff = conn.execute(text("SELECT id FROM staff WHERE username = 'desk01'")).scalar_one()
    engine.dispose()
    provider = seed.provider_ids[1]
    ids = {
        "tenant": str(seed.tenant_id),
        "clinic": str(seed.clinic_ids[1]),
        "service": str(seed.provider_services[provider][0]),
        "provider": str(provider),
        "staff": str(staff),
    }
    return seed, ids, [str(p) for p in seed.patient_ids]


def _spawn(job: dict[str, Any]) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, json.dumps(job)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_ready(child)
    return child


def _wait_ready(child: subprocess.Popen[str]) -> None:
    assert child.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)
    ready = selector.select(timeout=120)
    selector.close()
    line = child.stdout.readline() if ready else ""
    if line.strip() != "READY":
        child.kill()
        _out, err = child.communicate()
        pytest.fail(f"the writer did not start: {err[-2000:]}")


def _kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL


def _assert_sound(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    try:
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        assert violations(check_invariants(engine)) == {}
        counts = table_counts(engine)
        with engine.connect() as conn:
            # One audit event per write: a booking and, for a third of them, its cancellation.
            booked = conn.execute(text("SELECT count(*) FROM appointment")).scalar_one()
            cancelled = conn.execute(
                text("SELECT count(*) FROM appointment WHERE status = 'CANCELLED'")
            ).scalar_one()
            events = conn.execute(
                text("SELECT count(*) FROM audit_event WHERE action IN ('book', 'cancel')")
            ).scalar_one()
        assert events == booked + cancelled
        assert counts["provider_block"] == booked - cancelled + 3  # + the seeded group sessions
        return counts
    finally:
        engine.dispose()


def _base() -> datetime:
    day = datetime.now(UTC).date() + timedelta(days=20)
    return datetime(day.year, day.month, day.day, 5, 0, tzinfo=UTC)


def test_writer_killed_before_commit_leaves_no_partial_booking(db_url: str) -> None:
    _seed, ids, patients = _seeded(db_url)
    base = _base()
    before = table_counts(make_engine(db_url))
    job = {"url": db_url, "ids": ids, "patients": patients, "base": base.isoformat()}
    child = _spawn({**job, "mode": "pause"})
    _kill(child)

    assert table_counts(make_engine(db_url)) == before
    _assert_sound(db_url)

    # The dead writer's lock and its uncommitted rows are gone: the same slot books at once.
    ids_ = {key: uuid.UUID(value) for key, value in ids.items()}
    engine = make_engine(db_url)
    try:
        with write_session(engine) as session:
            appt = Appointment(
                tenant_id=ids_["tenant"],
                patient_id=uuid.UUID(patients[0]),
                clinic_id=ids_["clinic"],
                service_id=ids_["service"],
                provider_id=ids_["provider"],
                start_at=base,
                end_at=base + timedelta(minutes=30),
                booked_by=ids_["staff"],
            )
            session.add(appt)
            session.flush()
            session.add(
                ProviderBlock(
                    tenant_id=ids_["tenant"],
                    provider_id=ids_["provider"],
                    start_at=appt.start_at,
                    end_at=appt.end_at,
                    appointment_id=appt.id,
                )
            )
            session.add(
                AuditEvent(
                    tenant_id=ids_["tenant"],
                    staff_id=ids_["staff"],
                    action="book",
                    entity="appointment",
                    entity_id=appt.id,
                )
            )
    finally:
        engine.dispose()
    after = _assert_sound(db_url)
    assert after["appointment"] == before["appointment"] + 1


def test_writer_killed_at_random_moments_never_leaves_half_a_write(db_url: str) -> None:
    _seed, ids, patients = _seeded(db_url)
    job = {"url": db_url, "ids": ids, "patients": patients, "base": _base().isoformat()}
    rng = random.Random(6)
    done = 0
    for round_ in range(5):
        # Each round books far from the last one's slots, so only the kill decides what fails.
        child = _spawn({**job, "mode": "loop", "start": round_ * 10_000})
        time.sleep(rng.uniform(0.2, 0.8))
        _kill(child)
        counts = _assert_sound(db_url)
        assert counts["appointment"] > done
        done = counts["appointment"]
    assert done >= 5


@pytest.fixture(autouse=True)
def _no_leftover_pg_sessions(db_url: str) -> Iterator[None]:
    yield
    url = make_url(db_url)
    if url.get_backend_name() != "postgresql":
        return
    # The server ended every killed writer's transaction: nothing is left idle in one.
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            stuck = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
                    "AND state LIKE 'idle in transaction%'"
                ),
                {"db": url.database},
            ).scalar_one()
        assert stuck == 0
    finally:
        engine.dispose()


# The child for the Desk-level test: a terminal doing the soak's writes as fast as it can.
DESK_WRITER = r"""
import pickle, random, sys
from deskbook import Desk
from deskbook.errors import DeskError
from deskbook.testing.soak import Terminal

url, seed_file, username, rng_seed = sys.argv[1:5]
with open(seed_file, "rb") as f:
    info = pickle.load(f)
desk = Desk.open(url)
terminal = Terminal(desk.login(username, info.password), info, random.Random(int(rng_seed)))
ops = ["book_single", "book_package", "book_group", "cancel", "reschedule", "assign"]
ready = False
while True:
    try:
        done = terminal.do(terminal.rng.choice(ops))
    except DeskError:
        continue
    if not ready and done and done.startswith("book"):
        # Killed from now on, at a random moment of its stream of writes.
        print("READY", flush=True)
        ready = True
"""


def test_desk_killed_while_booking_leaves_every_invariant_whole(
    db_url: str, tmp_path: Path
) -> None:
    seed = seed_clinic(db_url, patients=30, desks=2)
    seed_file = tmp_path / "seed.pickle"
    seed_file.write_bytes(pickle.dumps(seed))
    rng = random.Random(66)
    engine = make_engine(db_url)
    try:
        for round_ in range(4):
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    DESK_WRITER,
                    db_url,
                    str(seed_file),
                    seed.desk_usernames[round_ % 2],
                    str(round_),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            _wait_ready(child)
            time.sleep(rng.uniform(0.5, 1.5))
            _kill(child)
            if engine.dialect.name == "sqlite":
                with engine.connect() as conn:
                    assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            assert violations(check_invariants(engine)) == {}
        with engine.connect() as conn:
            booked = conn.execute(text("SELECT count(*) FROM appointment")).scalar_one()
        assert booked > 0
    finally:
        engine.dispose()
