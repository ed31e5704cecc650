"""The demo's bulk rows, generated so that every schema rule holds by construction.

A provider's day is filled by a cursor that only moves forward, so a provider never holds two
overlapping spans; a patient's appointments fall on distinct days, so they never overlap; a
purchase never gets more live appointments per service than its quota, and its live
appointments are numbered 1..k by start time. Rows are tuples in the column order of the
*_COLS constants of deskbook.db.demo_rows.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from deskbook.db.demo_people import DEMO_PATIENTS, DemoPatient, PatientMaker
from deskbook.db.demo_rows import Chunk, Pkg, Reference, Row, Svc

_CLEAR = ~((0xF << 76) | (0x3 << 62))
_V4 = (0x4 << 76) | (0x2 << 62)
_MINUTES = [timedelta(minutes=m) for m in range(24 * 60 + 1)]
_BOOKED_AHEAD = timedelta(days=3)
_SUN_THU = frozenset((6, 0, 1, 2, 3))
# Minutes a provider's day starts late, and left free between two appointments.
_FIRST_GAP = (0, 0, 0, 15, 30, 60)
_GAP = (0, 0, 0, 0, 15, 30)


@dataclass
class _Group:
    id: str
    svc: Svc
    provider: str
    day: int
    start: datetime
    end: datetime
    capacity: int
    seats_wanted: int


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
    ) -> None:
        self.ref = ref
        self.rng = rng
        self.now = now
        zone = ZoneInfo(timezone)
        self.today = now.astimezone(zone).date()
        self.past_days = past_days
        self.future_days = future_days
        span = range(-past_days, future_days + 1)
        self._midnight = {
            d: datetime.combine(self.today + timedelta(days=d), time(0), zone).astimezone(UTC)
            for d in span
        }
        self._weekday = {d: (self.today + timedelta(days=d)).weekday() for d in span}
        self.workdays = [d for d in span if self._weekday[d] in _SUN_THU]
        self._cursor: dict[int, int] = {}
        self._by_clinic_day: dict[tuple[str, int], list[int]] = {}
        for index, prov in enumerate(ref.providers):
            for weekday, specialty in prov.week.items():
                self._by_clinic_day.setdefault((specialty, weekday), []).append(index)
        self._clinic_services: dict[str, list[Svc]] = {}
        for svc in ref.services.values():
            if not svc.group:
                self._clinic_services.setdefault(svc.specialty, []).append(svc)
        self._specialties = sorted(self._clinic_services)
        self._live_packages = [p for p in ref.packages if p.active]
        self._package_weights = [p.weight for p in self._live_packages]
        self._all_weights = [p.weight for p in ref.packages]
        self.people = PatientMaker(rng, self.today)
        self._groups: list[_Group] = []
        self._open_groups: list[_Group] = []
        singles = 1.95 * patients
        capacity_near = 20 * len(ref.providers) * 4
        self._p_near = min(0.3, capacity_near / max(singles, 1.0))
        self._p_group = 0.0
        self.patients = patients
        self.next_number = 1

    # -- ids and time ------------------------------------------------------------------------

    def new_id(self) -> str:
        return "%032x" % ((self.rng.getrandbits(128) & _CLEAR) | _V4)

    def _key(self, provider: int, day: int) -> int:
        return provider * 8192 + day + self.past_days

    def place(self, svc: Svc, day: int) -> tuple[int, datetime, datetime] | None:
        """A span for svc on day with one of the clinic's providers, or None if all are full."""
        candidates = self._by_clinic_day.get((svc.specialty, self._weekday[day]))
        if not candidates:
            return None
        rng = self.rng
        for _ in range(4):
            index = candidates[int(rng.random() * len(candidates))]
            prov = self.ref.providers[index]
            key = self._key(index, day)
            start = self._cursor.get(key)
            if start is None:
                start = prov.start_min + _FIRST_GAP[int(rng.random() * len(_FIRST_GAP))]
            end = start + svc.minutes
            if end > prov.end_min:
                continue
            self._cursor[key] = end + _GAP[int(rng.random() * len(_GAP))]
            base = self._midnight[day]
            return index, base + _MINUTES[start], base + _MINUTES[end]
        return None

    def take_day_off(self, provider: int, day: int) -> None:
        self._cursor[self._key(provider, day)] = 24 * 60

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

    def status_at(self, start: datetime, may_cancel: bool = True) -> str:
        r = self.rng.random()
        if start < self.now:
            if may_cancel and r < 0.06:
                return "CANCELLED"
            return "NO_SHOW" if r > 0.93 else "COMPLETED"
        return "CANCELLED" if may_cancel and r < 0.04 else "BOOKED"

    # -- provider time off and group sessions -----------------------------------------------

    def time_off(self) -> list[tuple[int, datetime, datetime, str]]:
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
                    self.take_day_off(index, day)
                start = self._midnight[days[0]] + _MINUTES[prov.start_min]
                end = self._midnight[days[-1]] + _MINUTES[prov.end_min]
                rows.append((index, start, end, reason))
        return rows

    def group_sessions(self, count: int) -> tuple[list[Row], list[Row]]:
        """Group sessions (rows, provider blocks); their seats are filled by the patients."""
        rng = self.rng
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
            group = _Group(gid, svc, provider, day, start, end, capacity, wanted)
            self._groups.append(group)
            if wanted:
                self._open_groups.append(group)
            seats += wanted
            sessions.append(
                (gid, self.ref.tenant, svc.clinic_id, svc.id, provider, start, end, capacity, False)
            )
            blocks.append((self.new_id(), self.ref.tenant, provider, start, end, None, gid))
        self._p_group = min(1.0, 1.5 * seats / max(self.patients, 1))
        return sessions, blocks

    # -- patients --------------------------------------------------------------------------------

    def chunk(self, count: int) -> Chunk:
        out = Chunk()
        for _ in range(count):
            number = self.next_number
            self.next_number += 1
            if number <= len(DEMO_PATIENTS):
                self._scripted(DEMO_PATIENTS[number - 1], out)
            else:
                self._random_patient(number, out)
        return out

    def _patient_row(
        self, out: Chunk, mrn: str, en: str, ar: str, sex: str, phone: str, dob: date, nid: str
    ) -> str:
        pid = self.new_id()
        created = self._midnight[-self.past_days] + _MINUTES[self.rng.randrange(600)]
        norm = self.people.name_norm(en, ar)
        out.patients.append(
            (pid, self.ref.tenant, mrn, en, ar, dob, sex, phone, nid, norm,
             self.people.phone_norm(phone), created)
        )  # fmt: skip
        return pid

    def _scripted(self, spec: DemoPatient, out: Chunk) -> None:
        dob = self.today - timedelta(days=6 * 365 + 40 * len(spec.key))
        pid = self._patient_row(
            out, spec.mrn, spec.name_en, spec.name_ar, spec.sex, spec.phone, dob, spec.national_id
        )
        taken: set[int] = set()
        for item in spec.purchases:
            pkg = next(p for p in self.ref.packages if p.name == item.package)
            svc_code = pkg.services[0][0]
            past = self.pick_days(-item.bought_days_ago, -1, item.completed, taken)
            ahead = self.pick_days(1, 14, item.booked, taken)
            plan = {svc_code: past + ahead}
            self._purchase(out, pid, pkg, -item.bought_days_ago, plan, taken, exact=True)
        if spec.group_seat:
            # Wanted seats are at most capacity - 2 there, so one stays free after everyone.
            group = next(
                g for g in self._open_groups if g.day > 0 and g.seats_wanted <= g.capacity - 2
            )
            self._join(out, pid, group, taken, status="BOOKED")

    def _random_patient(self, number: int, out: Chunk) -> None:
        rng = self.rng
        mrn, en, ar, sex, phone, dob, nid = self.people.make(number)
        pid = self._patient_row(out, mrn, en, ar, sex, phone, dob, nid)
        taken: set[int] = set()
        if rng.random() < 0.175:
            for _ in range(2 if rng.random() < 0.15 else 1):
                self._random_purchase(out, pid, taken)
        if self._open_groups and rng.random() < self._p_group:
            group = self._open_groups[rng.randrange(len(self._open_groups))]
            if group.day not in taken:
                self._join(out, pid, group, taken)
        home = self._specialties[rng.randrange(len(self._specialties))]
        singles = rng.choices((0, 1, 2, 3, 4), (15, 25, 25, 20, 15))[0]
        if singles:
            if rng.random() < self._p_near:
                days = self.pick_days(-14, 14, singles, taken)
            else:
                days = self.pick_days(-self.past_days, self.future_days, singles, taken)
            for day in days:
                specialty = home if rng.random() < 0.8 else rng.choice(self._specialties)
                svc = rng.choice(self._clinic_services[specialty])
                self._single(out, pid, svc, day, taken)

    def _random_purchase(self, out: Chunk, pid: str, taken: set[int]) -> None:
        rng = self.rng
        pkg = rng.choices(self.ref.packages, self._all_weights)[0]
        validity = pkg.validity_days
        stage = rng.random() if pkg.active else 0.6 + 0.4 * rng.random()
        oldest = self.past_days
        if stage < 0.15:  # fresh
            bought, share = -rng.randint(0, 10), 0.0
        elif stage < 0.6:  # in use
            bought, share = -rng.randint(5, validity - 10), 0.2 + 0.6 * rng.random()
        elif stage < 0.8:  # used up
            bought, share = -rng.randint(validity // 2, min(oldest, validity + 365)), 1.0
        else:  # expired unused part
            bought = -rng.randint(validity + 1, max(validity + 2, min(oldest, validity + 365)))
            share = 0.9 * rng.random()
        bought = max(bought, -oldest)
        expiry = bought + validity
        plan: dict[str, list[int]] = {}
        for code, quota in pkg.services:
            wanted = quota if share >= 1.0 else min(quota - 1, round(quota * share))
            days = self.pick_days(bought, expiry, wanted, taken)
            taken.update(days)
            plan[code] = days
        self._purchase(out, pid, pkg, bought, plan, taken)

    def _purchase(
        self,
        out: Chunk,
        pid: str,
        pkg: Pkg,
        bought: int,
        plan: dict[str, list[int]],
        taken: set[int],
        exact: bool = False,
    ) -> None:
        """A purchase, its quotas, and live appointments on the planned days (session numbers
        1..k by start), plus now and then a cancelled one that keeps the number it held.
        exact (the well-known patients): past sessions COMPLETED, nothing cancelled."""
        rng = self.rng
        tenant = self.ref.tenant
        purchase = self.new_id()
        expiry = bought + pkg.validity_days
        live: list[tuple[datetime, datetime, int, Svc]] = []
        for code, days in plan.items():
            svc = self.ref.services[code]
            for day in days:
                taken.add(day)
                placed = self.place(svc, day)
                if placed is not None:
                    live.append((placed[1], placed[2], placed[0], svc))
        live.sort(key=lambda item: item[0])
        all_spent = True
        for number, (start, end, index, svc) in enumerate(live, start=1):
            if exact:
                status = "COMPLETED" if start < self.now else "BOOKED"
            else:
                status = self.status_at(start, may_cancel=False)
            all_spent = all_spent and status != "BOOKED"
            self._appointment(out, pid, svc, index, start, end, status, "PACKAGE", purchase, number)
        if live and not exact and rng.random() < 0.12:
            code = pkg.services[0][0]
            svc = self.ref.services[code]
            for day in self.pick_days(bought, min(expiry, self.future_days), 1, taken):
                placed = self.place(svc, day)
                if placed is not None:
                    taken.add(day)
                    number = 1 + sum(1 for item in live if item[0] < placed[1])
                    index, start, end = placed
                    self._appointment(
                        out, pid, svc, index, start, end, "CANCELLED", "PACKAGE", purchase, number
                    )
        quota_total = sum(quota for _, quota in pkg.services)
        if expiry < 0 and len(live) < quota_total:
            status = "EXPIRED"
        elif len(live) >= quota_total and all_spent:
            status = "COMPLETED"
        else:
            status = "ACTIVE"
        purchase_date = self.today + timedelta(days=bought)
        created = self._midnight[max(bought, -self.past_days)] + _MINUTES[9 * 60]
        out.purchases.append(
            (purchase, tenant, pid, pkg.id, purchase_date, purchase_date + timedelta(
                days=pkg.validity_days), pkg.price, status, self.ref.booked_by, created)
        )  # fmt: skip
        for code, quota in pkg.services:
            svc_id = self.ref.services[code].id
            out.quotas.append((self.new_id(), tenant, purchase, svc_id, quota))

    def _single(self, out: Chunk, pid: str, svc: Svc, day: int, taken: set[int]) -> None:
        placed = self.place(svc, day)
        if placed is None:
            return
        taken.add(day)
        index, start, end = placed
        status = self.status_at(start)
        self._appointment(out, pid, svc, index, start, end, status, "SINGLE", None, None)

    def _join(
        self, out: Chunk, pid: str, group: _Group, taken: set[int], status: str | None = None
    ) -> None:
        taken.add(group.day)
        status = status or self.status_at(group.start)
        aid = self.new_id()
        created = min(self.now, group.start) - _BOOKED_AHEAD
        out.appointments.append(
            (aid, self.ref.tenant, pid, group.svc.clinic_id, group.svc.id, group.provider,
             group.start, group.end, "GROUP", status, None, None, group.id, self.ref.booked_by,
             None, "Patient request" if status == "CANCELLED" else None, created, created)
        )  # fmt: skip
        if status != "CANCELLED":
            group.seats_wanted -= 1
            if group.seats_wanted <= 0 and group in self._open_groups:
                self._open_groups.remove(group)

    def _appointment(
        self,
        out: Chunk,
        pid: str,
        svc: Svc,
        provider_index: int,
        start: datetime,
        end: datetime,
        status: str,
        kind: str,
        purchase: str | None,
        number: int | None,
    ) -> None:
        aid = self.new_id()
        provider = self.ref.providers[provider_index].id
        created = min(self.now, start) - _BOOKED_AHEAD
        cancelled = status == "CANCELLED"
        out.appointments.append(
            (aid, self.ref.tenant, pid, svc.clinic_id, svc.id, provider, start, end, kind, status,
             purchase, number, None, self.ref.booked_by, None,
             "Patient request" if cancelled else None, created, created)
        )  # fmt: skip
        if not cancelled:
            out.blocks.append((self.new_id(), self.ref.tenant, provider, start, end, aid, None))


def group_count(patients: int) -> int:
    return max(16, patients // 60)


def provider_count(patients: int, workdays: int, named: int) -> int:
    """Enough providers that about three appointments per patient fill their days to about
    half, so slots stay free for trying the app."""
    per_provider = max(workdays, 1) * 4.5
    return max(named, -(-3 * patients // int(per_provider)))


def history_days(patients: int) -> int:
    return 365 if patients <= 100_000 else 3 * 365
