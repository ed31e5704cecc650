"""The soak: N processes as N front-desk terminals on one database, then every invariant.

Each process opens its own Desk, logs in as its own desk, and for a set time does what a
receptionist does, at random: search, assign a package, book (single, package, group), cancel,
reschedule, check in, complete, no-show, read the day sheet. The clinic is small on purpose
(deskbook.testing.soak_seed) so the desks fight over the same slots, packages and group seats. Every
outcome is counted by type: a typed DeskError is a normal answer ("slot taken"), anything else
is a bug and is kept with its traceback. At the end the database is judged from outside with
plain SQL (deskbook.testing.invariants), and the audit trail must hold exactly one event per write.

bench/soak.py is the command line; tests/slow/test_soak.py runs a short one on both engines.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import random
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from deskbook.db.engine import make_engine
from deskbook.errors import DeskError
from deskbook.testing.invariants import check_invariants, violations
from deskbook.testing.soak_seed import SeedInfo, seed_clinic

WRITES = frozenset(
    {"assign", "book_single", "book_package", "book_group", "cancel", "reschedule"}
    | {"check_in", "complete", "no_show", "register"}
)
# Relative weights of what a desk does next.
MIX: dict[str, int] = {
    "search": 20,
    "day_sheet": 6,
    "assign": 5,
    "book_single": 16,
    "book_package": 14,
    "book_group": 5,
    "cancel": 12,
    "reschedule": 9,
    "check_in": 6,
    "complete": 3,
    "no_show": 2,
    "register": 2,
}
DAYS = 4  # today and the next three: a crowded calendar
QUERIES = ["rash", "fatima", "al-harbi", "القحطاني", "نورة", "055", "S0000", "omar al", "zz"]
UNEXPECTED = "UNEXPECTED"
OVERTIME_S = 120  # how long past `seconds` a desk may go on to reach its min_writes


@dataclass
class DeskTally:
    ops: Counter[str] = field(default_factory=Counter)  # op -> successful calls
    errors: Counter[str] = field(default_factory=Counter)  # "op:ErrorName" -> count
    skipped: Counter[str] = field(default_factory=Counter)  # nothing to do (no free slot, ...)
    tracebacks: list[str] = field(default_factory=list)
    said: dict[str, str] = field(default_factory=dict)  # "op:ErrorName" -> a message it gave

    def merge(self, other: DeskTally) -> None:
        self.ops.update(other.ops)
        self.errors.update(other.errors)
        self.skipped.update(other.skipped)
        self.said = {**other.said, **self.said}
        self.tracebacks.extend(other.tracebacks[: max(0, 5 - len(self.tracebacks))])


@dataclass
class SoakReport:
    engine: str
    processes: int
    seconds: float
    tally: DeskTally
    writes_ok: int
    audit_events: int
    violations: dict[str, int]

    @property
    def errors_by_type(self) -> Counter[str]:
        by_type: Counter[str] = Counter()
        for key, n in self.tally.errors.items():
            by_type[key.split(":", 1)[1]] += n
        return by_type

    @property
    def unexpected(self) -> int:
        return sum(n for key, n in self.tally.errors.items() if UNEXPECTED in key)

    @property
    def sound(self) -> bool:
        return not self.violations and self.unexpected == 0 and self.audit_events == self.writes_ok

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "processes": self.processes,
            "seconds": round(self.seconds, 1),
            "ops_ok": dict(sorted(self.tally.ops.items())),
            "ops_total": sum(self.tally.ops.values()) + sum(self.tally.errors.values()),
            "errors": dict(sorted(self.tally.errors.items())),
            "errors_by_type": dict(sorted(self.errors_by_type.items())),
            "skipped": dict(sorted(self.tally.skipped.items())),
            "messages": dict(sorted(self.tally.said.items())),
            "writes_ok": self.writes_ok,
            "audit_events": self.audit_events,
            "violations": self.violations,
            "unexpected": self.unexpected,
            "tracebacks": self.tracebacks_text(),
            "sound": self.sound,
        }

    def tracebacks_text(self) -> list[str]:
        return self.tally.tracebacks[:5]


class Terminal:
    """One desk's random walk through the workflow."""

    def __init__(self, d: Any, info: SeedInfo, rng: random.Random) -> None:
        self.d = d
        self.info = info
        self.rng = rng
        self.tz = ZoneInfo(getattr(d.staff, "timezone", "Asia/Riyadh"))

    def day(self) -> date:
        return datetime.now(self.tz).date() + timedelta(days=self.rng.randrange(DAYS))

    def patient(self) -> Any:
        return self.rng.choice(self.info.patient_ids)

    def do(self, op: str) -> str | None:
        """Run one operation; the name of what was done, None when there was nothing to do."""
        done = getattr(self, f"op_{op}")()
        return op if done is True else done or None

    def op_search(self) -> bool:
        self.d.search_patients(self.rng.choice(QUERIES), limit=50)
        return True

    def op_day_sheet(self) -> bool:
        self.d.day_sheet(self.day())
        return True

    def op_register(self) -> bool:
        n = self.rng.randrange(10**8)
        self.d.register_patient(f"Soak Walkin {n}", f"05{n:08d}", date(2015, 5, 17))
        return True

    def op_assign(self) -> bool:
        self.d.assign_package(self.patient(), self.rng.choice(self.info.package_ids))
        return True

    def _slot(self, provider_id: Any, service_id: Any, purchase_id: Any = None) -> Any:
        slots = self.d.free_slots(provider_id, service_id, self.day(), purchase_id=purchase_id)
        return self.rng.choice(slots) if slots else None

    def op_book_single(self) -> bool:
        provider = self.rng.choice(self.info.provider_ids)
        service = self.info.provider_services[provider][0]
        start = self._slot(provider, service)
        if start is None:
            return False
        self.d.book(self.patient(), service, provider, start)
        return True

    def op_book_package(self) -> bool | str:
        # Mostly the patients who came with a purchase; one with none is sold one first.
        patient = self.rng.choice(self.info.patient_ids[:: self.rng.choice((3, 1))])
        usable = [p for p in self.d.packages_for_patient(patient).assigned if p.usable]
        if not usable:
            self.d.assign_package(patient, self.rng.choice(self.info.package_ids))
            return "assign"
        purchase = self.rng.choice(usable)
        quotas = [q for q in purchase.services if q.remaining > 0]
        if not quotas:
            return False
        service = self.rng.choice(quotas).service_id
        for clinic in self.d.clinics_for(purchase_id=purchase.id):
            providers = self.d.providers_for(clinic.id, service_id=service)
            if providers:
                provider = self.rng.choice(providers).id
                start = self._slot(provider, service, purchase.id)
                if start is None:
                    return False
                self.d.book(patient, service, provider, start, purchase_id=purchase.id)
                return True
        return False

    def op_book_group(self) -> bool:
        open_ = [g for g in self.d.group_sessions(self.day()) if g.seats_left > 0]
        if not open_:
            return False
        group = self.rng.choice(open_)
        self.d.book(
            self.patient(),
            group.service_id,
            group.provider_id,
            group.start,
            group_session_id=group.id,
        )
        return True

    def _pick(self, statuses: tuple[str, ...], today: bool = False) -> Any:
        day = datetime.now(self.tz).date() if today else self.day()
        live = [a for a in self.d.day_sheet(day) if a.status in statuses]
        return self.rng.choice(live) if live else None

    def op_cancel(self) -> bool:
        appt = self._pick(("BOOKED", "CONFIRMED"))
        if appt is None:
            return False
        self.d.cancel(appt.id, "soak: patient called to cancel")
        return True

    def op_reschedule(self) -> bool:
        appt = self._pick(("BOOKED", "CONFIRMED"))
        if appt is None or appt.kind == "GROUP":
            return False
        start = self._slot(appt.provider_id, appt.service_id, appt.purchase_id)
        if start is None:
            return False
        self.d.reschedule(appt.id, start)
        return True

    def op_check_in(self) -> bool:
        appt = self._pick(("BOOKED", "CONFIRMED"), today=True)
        if appt is None:
            return False
        self.d.check_in(appt.id)
        return True

    def op_complete(self) -> bool:
        appt = self._pick(("ARRIVED",), today=True)
        if appt is None:
            return False
        self.d.complete(appt.id)
        return True

    def op_no_show(self) -> bool:
        appt = self._pick(("BOOKED", "CONFIRMED"), today=True)
        if appt is None:
            return False
        self.d.no_show(appt.id)
        return True


def desk_process(
    url: str,
    username: str,
    info: SeedInfo,
    seconds: float,
    min_writes: int,
    seed: int,
    start: Any,
    out: Any,
) -> None:
    """One terminal: log in, wait for the others, work for `seconds` (and until it has made
    `min_writes` writes, so a slow machine still tests something), report the tally."""
    from deskbook import Desk

    tally = DeskTally()
    rng = random.Random(seed)
    ops, weights = list(MIX), list(MIX.values())
    desk = None
    try:
        desk = Desk.open(url)
        terminal = Terminal(desk.login(username, info.password), info, rng)
        start.wait()
        began = time.monotonic()
        deadline, cap = began + seconds, began + seconds + OVERTIME_S
        while time.monotonic() < deadline or (
            sum(tally.ops[w] for w in WRITES) < min_writes and time.monotonic() < cap
        ):
            op = rng.choices(ops, weights)[0]
            _count(tally, op, partial(terminal.do, op))
    except BaseException:
        tally.errors[f"start:{UNEXPECTED}"] += 1
        tally.tracebacks.append(traceback.format_exc())
    finally:
        if desk is not None:
            desk.close()
        out.put(tally)


def _count(tally: DeskTally, op: str, call: Callable[[], str | None]) -> None:
    try:
        done = call()
        if done:
            tally.ops[done] += 1
        else:
            tally.skipped[op] += 1
    except DeskError as exc:
        key = f"{op}:{type(exc).__name__}"
        tally.errors[key] += 1
        tally.said.setdefault(key, str(exc))
    except Exception as exc:
        tally.errors[f"{op}:{UNEXPECTED} {type(exc).__name__}"] += 1
        if len(tally.tracebacks) < 5:
            tally.tracebacks.append(traceback.format_exc())


def _audit_count(url: str) -> int:
    """Audit events of the desks' writes (a login is not a write of the clinic's data)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT count(*) FROM audit_event WHERE action NOT LIKE '%login%'")
            ).scalar_one()
            return int(found)
    finally:
        engine.dispose()


def run_soak(
    url: str,
    *,
    processes: int,
    seconds: float,
    min_writes: int = 0,
    patients: int = 200,
    providers: int = 6,
    seed: int = 1,
    on_seeded: Callable[[SeedInfo], None] | None = None,
) -> SoakReport:
    """Seed the stress clinic into the migrated, empty database at url, run the desks, judge."""
    info = seed_clinic(url, patients=patients, providers=providers, desks=processes, seed=seed)
    if on_seeded is not None:
        on_seeded(info)
    audit_before = _audit_count(url)
    ctx = multiprocessing.get_context("fork")
    # Every desk logs in first; then all start together.
    start, out = ctx.Barrier(processes + 1, timeout=300), ctx.Queue()
    workers = [
        ctx.Process(
            target=desk_process,
            args=(url, username, info, seconds, min_writes, seed * 1000 + i, start, out),
            name=f"desk-{username}",
        )
        for i, username in enumerate(info.desk_usernames[:processes])
    ]
    for worker in workers:
        worker.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait()  # a desk that could not log in breaks it; its tally says why
    began = time.monotonic()
    tally = DeskTally()
    for _ in workers:
        tally.merge(out.get(timeout=seconds + OVERTIME_S + 300))
    elapsed = time.monotonic() - began
    for worker in workers:
        worker.join(60)

    engine = make_engine(url)
    try:
        found = violations(check_invariants(engine))
        engine_name = engine.dialect.name
    finally:
        engine.dispose()
    writes_ok = sum(n for op, n in tally.ops.items() if op in WRITES)
    return SoakReport(
        engine=engine_name,
        processes=processes,
        seconds=elapsed,
        tally=tally,
        writes_ok=writes_ok,
        audit_events=_audit_count(url) - audit_before,
        violations=found,
    )
