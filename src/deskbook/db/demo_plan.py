"""The demo's calendar and its hand-made parts: provider leave, group sessions and the
well-known patients (DEMO_PATIENTS), placed one by one. The random patients are placed in
bulk by deskbook.db.demo_bulk on the same calendar.

A provider's day is filled by a cursor that only moves forward (`cursor[provider, day]`, the
minute of the day the next appointment may start, -1 before the first), so a provider never
holds two overlapping spans; a patient's appointments fall on distinct days, so they never
overlap; a purchase never gets more live appointments per service than its quota, its live
appointments are numbered 1..k by start time, and none lies after its expiry day. Times are
whole minutes since the Unix epoch (UTC); days are offsets from today in the clinic's zone.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from deskbook.db.demo_people import DEMO_PATIENTS, DemoPatient
from deskbook.db.demo_rows import (
    Batch,
    Pkg,
    Reference,
    Row,
    Svc,
    TextForm,
)
from deskbook.normalize import patient_name_norm
from deskbook.phones import DEFAULT_REGION, parse_phone

_CLEAR = ~((0xF << 76) | (0x3 << 62))
_V4 = (0x4 << 76) | (0x2 << 62)
BOOKED_AHEAD_MIN = 3 * 24 * 60
DAY_MIN = 24 * 60
SUN_THU = frozenset((6, 0, 1, 2, 3))
# Minutes a provider's day starts late, and left free between two appointments.
FIRST_GAP = (0, 0, 0, 15, 30, 60)
GAP = (0, 0, 0, 0, 15, 30)


@dataclass
class Group:
    id: str
    svc: Svc
    provider: str
    day: int
    start: int
    end: int
    capacity: int
    seats_left: int


class Planner:
    def __init__(
        self,
        ref: Reference,
        rng: random.Random,
        now: datetime,
        timezone: str,
        past_days: int,
        future_days: int,
        patients: int,
        form: TextForm,
    ) -> None:
        self.ref = ref
        self.rng = rng
        self.form = form
        self.now_minute = int(now.timestamp() // 60)
        zone = ZoneInfo(timezone)
        self.today = now.astimezone(zone).date()
        self.past_days = past_days
        self.future_days = future_days
        span = range(-past_days, future_days + 1)
        # Index day + past_days: each day's local midnight in UTC minutes, and its weekday.
        self.midnight = np.array(
            [
                datetime.combine(self.today + timedelta(days=d), time(0), zone).timestamp() // 60
                for d in span
            ],
            dtype=np.int64,
        )
        self.weekday = np.array([(self.today + timedelta(days=d)).weekday() for d in span])
        self.workdays = [d for d in span if self.weekday[d + past_days] in SUN_THU]
        self.cursor = np.full((len(ref.providers), len(span)), -1, dtype=np.int32)
        self.by_clinic_day: dict[tuple[str, int], list[int]] = {}
        for index, prov in enumerate(ref.providers):
            for weekday, specialty in prov.week.items():
                self.by_clinic_day.setdefault((specialty, weekday), []).append(index)
        self.groups: list[Group] = []
        self.patients = patients
        self.p_group = 0.0
        self.next_number = 1

    # -- ids and time ------------------------------------------------------------------------

    def new_id(self) -> str:
        return "%032x" % ((self.rng.getrandbits(128) & _CLEAR) | _V4)

    def minute_at(self, day: int, minute_of_day: int) -> int:
        return int(self.midnight[day + self.past_days]) + minute_of_day

    def place(self, svc: Svc, day: int) -> tuple[int, int, int] | None:
        """A span for svc on day with one of the clinic's providers, or None if all are full."""
        candidates = self.by_clinic_day.get(
            (svc.specialty, int(self.weekday[day + self.past_days]))
        )
        if not candidates:
            return None
        rng = self.rng
        for _ in range(4):
            index = candidates[int(rng.random() * len(candidates))]
            prov = self.ref.providers[index]
            start = int(self.cursor[index, day + self.past_days])
            if start < 0:
                start = prov.start_min + FIRST_GAP[int(rng.random() * len(FIRST_GAP))]
            end = start + svc.minutes
            if end > prov.end_min:
                continue
            self.cursor[index, day + self.past_days] = end + GAP[int(rng.random() * len(GAP))]
            return index, self.minute_at(day, start), self.minute_at(day, end)
        return None

    def workday_between(self, lo: int, hi: int) -> list[int]:
        return self.workdays[bisect_left(self.workdays, lo) : bisect_right(self.workdays, hi)]

    def pick_days(self, lo: int, hi: int, count: int, taken: set[int]) -> list[int]:
        """Up to count distinct working days in [lo, hi] that the patient has free."""
        lo, hi = max(lo, -self.past_days), min(hi, self.future_days)
        i0, i1 = bisect_left(self.workdays, lo), bisect_right(self.workdays, hi)
        if count <= 0 or i1 <= i0:
            return []
        tries = self.rng.sample(range(i0, i1), min(i1 - i0, count + 4))
        days = [self.workdays[i] for i in tries if self.workdays[i] not in taken]
        return days[:count]

    def status_at(self, start: int) -> str:
        r = self.rng.random()
        if start < self.now_minute:
            return "CANCELLED" if r < 0.06 else "NO_SHOW" if r > 0.93 else "COMPLETED"
        return "CANCELLED" if r < 0.04 else "BOOKED"

    # -- provider time off and group sessions -----------------------------------------------

    def time_off(self) -> list[tuple[int, int, int, str]]:
        """Some leave in the past and some ahead; those days take no appointments."""
        rng = self.rng
        rows = []
        for index, prov in enumerate(self.ref.providers):
            spans = []
            if rng.random() < 0.6:
                spans.append((-rng.randint(20, 200), rng.randint(1, 3), "Annual leave"))
            if rng.random() < 0.35 or index == 1:
                spans.append((rng.randint(3, 40), rng.randint(1, 2), "Conference"))
            for first, length, reason in spans:
                days = self.workday_between(first, first + length + 2)[:length]
                if not days:
                    continue
                for day in days:
                    self.cursor[index, day + self.past_days] = DAY_MIN
                start = self.minute_at(days[0], prov.start_min)
                end = self.minute_at(days[-1], prov.end_min)
                rows.append((index, start, end, reason))
        return rows

    def group_sessions(self, count: int, out: Batch) -> None:
        """Group sessions and their provider blocks; their seats are filled by the patients."""
        rng = self.rng
        form = self.form
        group_services = [s for s in self.ref.services.values() if s.group]
        sessions: list[Row] = []
        blocks: list[Row] = []
        seats = 0
        for n in range(count):
            svc = group_services[n % len(group_services)]
            near = n < 8 or rng.random() < 0.4
            lo, hi = (1, 21) if n < 8 else (-7, 21) if near else (-self.past_days, 60)
            placed, day = None, 0
            for day in self.pick_days(lo, hi, 3, set()):
                placed = self.place(svc, day)
                if placed:
                    break
            if placed is None:
                continue
            index, start, end = placed
            capacity = rng.choice((4, 5, 6, 8))
            # The first few, all ahead: alternately full and with seats left.
            if n < 8:
                wanted = capacity if n % 2 == 0 else rng.randint(1, capacity - 2)
            else:
                wanted = capacity if rng.random() < 0.35 else rng.randint(0, capacity - 1)
            gid = self.new_id()
            provider = self.ref.providers[index].id
            self.groups.append(Group(gid, svc, provider, day, start, end, capacity, wanted))
            seats += wanted
            starts, ends = form.moment(start), form.moment(end)
            sessions.append(
                (gid, self.ref.tenant, svc.clinic_id, svc.id, provider, starts, ends,
                 str(capacity), form.false)
            )  # fmt: skip
            blocks.append((self.new_id(), self.ref.tenant, provider, starts, ends, None, gid))
            self._audit(out, start - BOOKED_AHEAD_MIN, "schedule_group_session", "group_session",
                        gid)  # fmt: skip
        out.add_rows("group_session", sessions)
        out.add_rows("provider_block", blocks)
        self.p_group = min(1.0, 1.5 * seats / max(self.patients, 1))

    def open_groups(self) -> list[Group]:
        return [g for g in self.groups if g.seats_left > 0]

    # -- the well-known patients -------------------------------------------------------------

    def scripted(self, out: Batch) -> None:
        for spec in DEMO_PATIENTS:
            self._scripted(spec, out)
        self.next_number = len(DEMO_PATIENTS) + 1
        out.patients += len(DEMO_PATIENTS)

    def _scripted(self, spec: DemoPatient, out: Batch) -> None:
        pid = self.new_id()
        dob = self.today - timedelta(days=6 * 365 + 40 * len(spec.key))
        created = self.minute_at(-self.past_days, self.rng.randrange(600))
        # Typed in several ways (DEMO_PATIENTS), stored as registration stores them.
        phone = parse_phone(spec.phone, DEFAULT_REGION)
        out.add_rows(
            "patient",
            [(pid, self.ref.tenant, spec.mrn, spec.name_en, spec.name_ar,
              self.form.day(dob.toordinal()), spec.sex, phone.stored, spec.national_id,
              patient_name_norm(spec.name_en, spec.name_ar), phone.digits,
              self.form.moment(created))],
        )  # fmt: skip
        taken: set[int] = set()
        for item in spec.purchases:
            pkg = next(p for p in self.ref.packages if p.name == item.package)
            bought = -item.bought_days_ago
            # Completed sessions fall between the purchase and its expiry (or yesterday).
            last = min(-1, bought + pkg.validity_days)
            past = self.pick_days(bought, last, item.completed, taken)
            taken.update(past)
            # Booked from the second week on: the patient is free on the first days ahead,
            # where "first available" lands when someone tries booking them another session.
            ahead = self.pick_days(8, 21, item.booked, taken)
            taken.update(ahead)
            self._purchase(out, pid, pkg, bought, past + ahead)
        if spec.group_seat:
            # Wanted seats are at most capacity - 2 there, so one stays free after everyone.
            group = next(g for g in self.groups if g.day > 0 and 0 < g.seats_left <= g.capacity - 2)
            taken.add(group.day)
            aid = self.new_id()
            self._appointment_row(out, aid, pid, group.svc, group.provider, group.start,
                                  group.end, "GROUP", "BOOKED", None, None, group.id)  # fmt: skip
            group.seats_left -= 1

    def _purchase(self, out: Batch, pid: str, pkg: Pkg, bought: int, days: list[int]) -> None:
        """A purchase with live appointments on days (past ones COMPLETED, the rest BOOKED),
        numbered 1..k by start."""
        purchase = self.new_id()
        svc = self.ref.services[pkg.services[0][0]]
        placed = (self.place(svc, day) for day in days)
        live = sorted((p for p in placed if p is not None), key=lambda p: p[1])
        for number, (index, start, end) in enumerate(live, start=1):
            status = "COMPLETED" if start < self.now_minute else "BOOKED"
            provider = self.ref.providers[index].id
            aid = self.new_id()
            self._appointment_row(out, aid, pid, svc, provider, start, end, "PACKAGE", status,
                                  purchase, number, None)  # fmt: skip
            out.add_rows(
                "provider_block",
                [(self.new_id(), self.ref.tenant, provider, self.form.moment(start),
                  self.form.moment(end), aid, None)],
            )  # fmt: skip
        expiry = bought + pkg.validity_days
        quota_total = sum(quota for _, quota in pkg.services)
        spent = all(start < self.now_minute for _, start, _ in live)
        if expiry < 0 and len(live) < quota_total:
            status = "EXPIRED"
        elif len(live) >= quota_total and spent:
            status = "COMPLETED"
        else:
            status = "ACTIVE"
        bought_on = self.today.toordinal() + bought
        created = self.minute_at(max(bought, -self.past_days), 9 * 60)
        out.add_rows(
            "package_purchase",
            [(purchase, self.ref.tenant, pid, pkg.id, self.form.day(bought_on),
              self.form.day(bought_on + pkg.validity_days), str(pkg.price), status,
              self.ref.booked_by, self.form.moment(created))],
        )  # fmt: skip
        self._audit(out, created, "assign_package", "package_purchase", purchase)
        out.add_rows(
            "purchase_quota",
            [(self.new_id(), self.ref.tenant, purchase, self.ref.services[code].id, str(quota))
             for code, quota in pkg.services],
        )  # fmt: skip

    def _appointment_row(
        self,
        out: Batch,
        aid: str,
        pid: str,
        svc: Svc,
        provider: str,
        start: int,
        end: int,
        kind: str,
        status: str,
        purchase: str | None,
        number: int | None,
        group: str | None,
    ) -> None:
        created = self.form.moment(min(self.now_minute, start) - BOOKED_AHEAD_MIN)
        out.add_rows(
            "appointment",
            [(aid, self.ref.tenant, pid, svc.clinic_id, svc.id, provider,
              self.form.moment(start), self.form.moment(end), kind, status, purchase,
              None if number is None else str(number), group, self.ref.booked_by, None, None,
              created, created)],
        )  # fmt: skip
        self._audit(out, min(self.now_minute, start) - BOOKED_AHEAD_MIN, "book", "appointment",
                    aid)  # fmt: skip

    def _audit(self, out: Batch, at: int, action: str, entity: str, entity_id: str) -> None:
        # Every demo row carries the audit event its real write would have, so the project's
        # invariant checker holds on the demo like on any database.
        out.add_rows(
            "audit_event",
            [(self.new_id(), self.ref.tenant, self.ref.booked_by, self.form.moment(at), action,
              entity, entity_id, None, None)],
        )  # fmt: skip


def group_count(patients: int) -> int:
    return max(16, patients // 60)


def provider_count(patients: int, workdays: int, named: int) -> int:
    """Enough providers that about three appointments per patient fill their days to about
    half, so slots stay free for trying the app."""
    per_provider = max(workdays, 1) * 4.5
    return max(named, -(-3 * patients // int(per_provider)))


def history_days(patients: int) -> int:
    return 365 if patients <= 100_000 else 3 * 365
