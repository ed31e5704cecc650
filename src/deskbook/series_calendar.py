"""Who is free when, for one service and one patient, over the days of a course: the judge of
plan_series and book_series (series_plan.py lays the dates and checks the shape).

A provider's time is read only where a question needs it: at the course's own times (choosing
"any provider" asks each provider of the service about each visit), and the whole day only of
a visit that cannot be booked, for its nearest free times. Reading every provider's whole
course up front grew with the clinic's width, not with the plan: 16,800 blocks for a course of
20 over the 202 providers of a clinic at the million-patient demo, most never asked about.
What was read is kept, so every question is answered from one consistent reading, under the
locks of book_series as well as in a plan.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import BindParameter, Executable, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor
from deskbook.db.models import (
    Appointment,
    AppointmentStatus,
    Provider,
    ProviderBlock,
    ProviderTimeOff,
    Service,
)
from deskbook.results_course import PlannedVisit, SeriesAlternative
from deskbook.schedule import day_span, window_starts, windows_of

FREE, PROVIDER_BUSY, PATIENT_BUSY, OFF = "FREE", "PROVIDER_BUSY", "PATIENT_BUSY", "OFF"
AFTER_EXPIRY, PAST = "AFTER_EXPIRY", "PAST"
# The statuses a plan offers same-day alternatives for.
STUCK = (PROVIDER_BUSY, PATIENT_BUSY, OFF)

Span = tuple[datetime, datetime]
Window = tuple[time, time]


class Calendar:
    """Who is free when, for one service and one patient, over the days of a course."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        service: Service,
        providers: list[Provider],
        patient_id: uuid.UUID,
        days: tuple[date, date],
        expiry: date,
    ) -> None:
        self.session, self.actor, self.tz = session, actor, actor.tz
        self.expiry = expiry
        self.minutes = timedelta(minutes=service.duration_minutes)
        self.providers = providers
        self.ids = [p.id for p in providers]
        self.windows = windows_of(session, self.ids, service.clinic_id)
        self.now = datetime.now(UTC)
        span = (day_span(actor, days[0])[0], day_span(actor, days[1])[1])
        # Provider time is kept as it is read (read()): held or off at a (provider, slot
        # start), or the spans of a (provider, day); nothing is read twice.
        self.blocks: dict[tuple[uuid.UUID, date], list[Span]] = defaultdict(list)
        self.time_off: dict[tuple[uuid.UUID, date], list[Span]] = defaultdict(list)
        self._filed: set[tuple[str, uuid.UUID, datetime, datetime]] = set()
        # By slot start: the providers read there, and those held or off then.
        self._read_at: dict[datetime, set[uuid.UUID]] = defaultdict(set)
        self._held_at: dict[datetime, set[uuid.UUID]] = defaultdict(set)
        self._off_at: dict[datetime, set[uuid.UUID]] = defaultdict(set)
        self._read_days: set[tuple[uuid.UUID, date]] = set()
        self._status: dict[tuple[uuid.UUID, datetime], str] = {}
        self._working: dict[datetime, frozenset[uuid.UUID]] = {}
        self._by_shape: dict[int, dict[tuple[Window, ...], list[uuid.UUID]]] = {}
        self._free: dict[datetime, frozenset[uuid.UUID]] = {}
        self._days: dict[datetime, date] = {}
        self._grids: dict[tuple[tuple[Window, ...], date], list[datetime]] = {}
        # One patient's visits over the course are few: read them all now.
        rows = session.execute(
            select(col(Appointment.start_at), col(Appointment.end_at)).where(
                col(Appointment.tenant_id) == actor.tenant_id,
                col(Appointment.patient_id) == patient_id,
                col(Appointment.status) != AppointmentStatus.CANCELLED,
                col(Appointment.start_at) < span[1],
                col(Appointment.end_at) > span[0],
            )
        ).all()
        self.patient: dict[tuple[uuid.UUID, date], list[Span]] = defaultdict(list)
        for start, end in rows:
            self._file(self.patient, patient_id, start, end)
        self.patient_id = patient_id

    def day(self, start: datetime) -> date:
        found = self._days.get(start)
        if found is None:
            found = self._days[start] = start.astimezone(self.tz).date()
        return found

    def _file(
        self, spans: dict[tuple[uuid.UUID, date], list[Span]], owner: uuid.UUID, s: Any, e: Any
    ) -> None:
        day, last = s.astimezone(self.tz).date(), e.astimezone(self.tz).date()
        while day <= last:
            spans[(owner, day)].append((s, e))
            day += timedelta(days=1)

    def _known(self, provider_id: uuid.UUID, start: datetime) -> bool:
        return (
            provider_id in self._read_at[start]
            or (
                provider_id,
                self.day(start),
            )
            in self._read_days
        )

    def read(
        self,
        provider_ids: Iterable[uuid.UUID],
        starts: Iterable[datetime] = (),
        days: Iterable[date] = (),
    ) -> None:
        """Read the providers' blocks and time off at the slots that begin at `starts` and
        over whole local `days`, leaving out what was read before. Nobody is asked about a
        passed slot, one after the expiry, or one outside their weekly windows (status()
        answers those without it), so those are not read."""
        pids = list(dict.fromkeys(provider_ids))
        if not pids:
            return
        slots = sorted(
            {
                s
                for s in starts
                if self._closed(s) is None
                and not self._read_at[s].issuperset(pids)
                and any(not self._known(p, s) for p in self.working(s).intersection(pids))
            }
        )
        asked = [p for p in pids if any(p in self.working(s) for s in slots)]
        if asked:
            self._read_slots(asked, slots)
        whole = sorted({d for d in days if not all((p, d) in self._read_days for p in pids)})
        if whole:
            self._read_whole_days(pids, whole)

    def _read_slots(self, pids: list[uuid.UUID], slots: list[datetime]) -> None:
        """Which of the providers are held, and which off, at each slot: one row per provider
        with a flag per slot, as "any provider" asks a whole clinic about every visit.

        A provider's blocks never overlap (ex_provider_block_overlap, on both engines), so a
        slot is held exactly when the first block to end after the slot starts begins before
        it ends: one seek of ix_block_provider_end per provider and slot, however many
        blocks lie ahead (a range of blocks over the course read every later one too)."""
        values: dict[str, Any] = {"pids": pids}
        for n, start in enumerate(slots):
            values[f"a{n}"], values[f"b{n}"] = start, start + self.minutes
        held, off = _slot_reads(len(slots))
        for statement, found in ((held, self._held_at), (off, self._off_at)):
            for pid, *flags in self.session.execute(statement, values):
                for start, flag in zip(slots, flags, strict=True):
                    if flag:
                        found[start].add(pid)
        for s in slots:
            self._read_at[s].update(pids)

    def _read_whole_days(self, pids: list[uuid.UUID], days: list[date]) -> None:
        """The providers' blocks and time off over whole days, filed by day."""
        spans = [day_span(self.actor, d) for d in days]
        for kind, model, filed in (
            ("block", ProviderBlock, self.blocks),
            ("off", ProviderTimeOff, self.time_off),
        ):
            starts_at, ends_at = col(model.start_at), col(model.end_at)
            rows = self.session.execute(
                select(col(model.provider_id), starts_at, ends_at).where(
                    col(model.provider_id).in_(pids),
                    ends_at > spans[0][0],
                    starts_at < spans[-1][1],
                    or_(*(and_(starts_at < b, ends_at > a) for a, b in spans)),
                )
            )
            for pid, s, e in rows:
                if (kind, pid, s, e) not in self._filed:
                    self._filed.add((kind, pid, s, e))
                    self._file(filed, pid, s, e)
        self._read_days.update(itertools.product(pids, days))

    @staticmethod
    def _overlaps(spans: list[Span], start: datetime, end: datetime) -> bool:
        return any(s < end and start < e for s, e in spans)

    def working(self, start: datetime) -> frozenset[uuid.UUID]:
        """The providers whose weekly windows hold the whole slot (one local day)."""
        found = self._working.get(start)
        if found is None:
            local = start.astimezone(self.tz)
            end = (start + self.minutes).astimezone(self.tz)
            begins, ends = local.time(), end.time()
            found = frozenset(
                pid
                for windows, pids in self._shapes(local.weekday()).items()
                if end.date() == local.date()
                and any(ws <= begins and ends <= we for ws, we in windows)
                for pid in pids
            )
            self._working[start] = found
        return found

    def _shapes(self, weekday: int) -> dict[tuple[Window, ...], list[uuid.UUID]]:
        """The providers by their windows on a weekday: a clinic has a few shifts, so a slot
        is checked against each shift once, not against every provider."""
        found = self._by_shape.get(weekday)
        if found is None:
            found = self._by_shape[weekday] = defaultdict(list)
            for pid in self.ids:
                found[tuple(self.windows[pid][weekday])].append(pid)
        return found

    def works(self, provider_id: uuid.UUID, start: datetime) -> bool:
        return provider_id in self.working(start)

    def _closed(self, start: datetime) -> str | None:
        """Why nobody can give a visit then, whoever the provider: passed, after expiry."""
        if start < self.now:
            return PAST
        if self.day(start) > self.expiry:
            return AFTER_EXPIRY
        return None

    def _patient_busy(self, start: datetime) -> bool:
        spans = self.patient[(self.patient_id, self.day(start))]
        return self._overlaps(spans, start, start + self.minutes)

    def status(self, provider_id: uuid.UUID, start: datetime) -> str:
        key = (provider_id, start)
        found = self._status.get(key)
        if found is None:
            found = self._status[key] = self._judge(provider_id, start)
        return found

    def _judge(self, provider_id: uuid.UUID, start: datetime) -> str:
        closed = self._closed(start)
        if closed is not None:
            return closed
        if not self.works(provider_id, start):
            return OFF
        if not self._known(provider_id, start):
            # Not read yet: the next question is usually another provider then.
            self.read([*self.ids, provider_id], starts=[start])
        if provider_id in self._read_at[start]:
            off = provider_id in self._off_at[start]
            held = provider_id in self._held_at[start]
        else:
            end, day = start + self.minutes, self.day(start)
            off = self._overlaps(self.time_off[(provider_id, day)], start, end)
            held = self._overlaps(self.blocks[(provider_id, day)], start, end)
        if off:
            return OFF
        if held:
            return PROVIDER_BUSY
        if self._patient_busy(start):
            return PATIENT_BUSY
        return FREE

    def free_at(self, start: datetime) -> frozenset[uuid.UUID]:
        """The providers for whom status() says FREE at start, worked out for the whole
        clinic at once: "any provider" asks it of every provider about every visit."""
        found = self._free.get(start)
        if found is None:
            if self._closed(start) is not None or self._patient_busy(start):
                found = frozenset()
            else:
                self.read(self.ids, starts=[start])
                working = self.working(start)
                flagged = working & self._read_at[start]
                free = flagged - self._held_at[start] - self._off_at[start]
                rest = {pid for pid in working - flagged if self.status(pid, start) == FREE}
                found = frozenset(free | rest)
            self._free[start] = found
        return found

    def grid(self, provider_id: uuid.UUID, day: date) -> list[datetime]:
        """The provider's slot starts on the day (UTC): windows cut in steps of the service."""
        windows = tuple(self.windows[provider_id][day.weekday()])
        found = self._grids.get((windows, day))
        if found is None:
            minutes = self.minutes // timedelta(minutes=1)
            found = self._grids[(windows, day)] = [
                start
                for w_start, w_end in windows
                for start in window_starts(self.tz, day, w_start, w_end, minutes)
            ]
        return found

    def alternatives(
        self, provider_id: uuid.UUID, start: datetime, limit: int = 3
    ) -> tuple[SeriesAlternative, ...]:
        """Same day: another provider at the same time first, then the nearest free times."""
        day = self.day(start)
        others = [pid for pid in self.ids if pid != provider_id]
        free = self.free_at(start)
        found: list[tuple[uuid.UUID, datetime]] = [(pid, start) for pid in others if pid in free][
            :2
        ]
        self.read([provider_id], days=[day])
        for owners in ([provider_id], others):
            if len(found) >= limit:
                break
            near = sorted(
                ((pid, s) for pid in owners for s in self.grid(pid, day) if s != start),
                key=lambda item: (abs(item[1] - start), item[1]),
            )
            if owners is others:  # everyone at the few nearest times in one reading
                self.read(owners, starts=list(dict.fromkeys(s for _, s in near))[:4])
            for pid, s in near:
                if len(found) >= limit:
                    break
                is_free = (
                    pid in self.free_at(s) if owners is others else self.status(pid, s) == FREE
                )
                if is_free and (pid, s) not in found:
                    found.append((pid, s))
        return tuple(
            SeriesAlternative(provider_id=pid, start=s.astimezone(self.tz))
            for pid, s in found[:limit]
        )

    def judge(self, visits: list[tuple[uuid.UUID, datetime]]) -> list[PlannedVisit]:
        # The visits' providers at all the visits' times: one reading, a few seeks more.
        self.read([pid for pid, _ in visits], starts=[start for _, start in visits])
        statuses = [self.status(provider_id, start) for provider_id, start in visits]
        stuck = [visit for visit, status in zip(visits, statuses, strict=True) if status in STUCK]
        if stuck:
            # Alternatives ask everyone at the stuck times, and the provider's whole day.
            self.read(self.ids, starts=[start for _, start in stuck])
            for provider_id in {pid for pid, _ in stuck}:
                days = [self.day(s) for pid, s in stuck if pid == provider_id]
                self.read([provider_id], days=days)
        out = []
        for (provider_id, start), status in zip(visits, statuses, strict=True):
            alternatives: tuple[SeriesAlternative, ...] = ()
            if status in STUCK:
                alternatives = self.alternatives(provider_id, start)
            out.append(
                PlannedVisit(
                    start=start.astimezone(self.tz),
                    end=(start + self.minutes).astimezone(self.tz),
                    provider_id=provider_id,
                    status=status,
                    alternatives=alternatives,
                )
            )
        return out


@functools.cache
def _slot_reads(n: int) -> tuple[Executable, Executable]:
    """The two reads of Calendar._read_slots for n slots [a0, b0) .. (providers: pids),
    built once per n: a course asks about up to a hundred slots, everyone, in one go."""
    # Untyped: each takes the type of the column it is compared with (UTC text on SQLite).
    spans: list[tuple[BindParameter[datetime], BindParameter[datetime]]] = [
        (bindparam(f"a{k}"), bindparam(f"b{k}")) for k in range(n)
    ]
    pids: BindParameter[uuid.UUID] = bindparam("pids", expanding=True)
    held = []
    for a, b in spans:
        first_after = (
            select(col(ProviderBlock.start_at))
            .where(col(ProviderBlock.provider_id) == Provider.id, col(ProviderBlock.end_at) > a)
            .order_by(col(ProviderBlock.end_at))
            .limit(1)
            .scalar_subquery()
        )
        held.append(case((first_after < b, 1), else_=0))
    blocks = select(col(Provider.id), *held).where(col(Provider.id).in_(pids))
    # Time off may overlap itself and is a few rows a provider: those touching a slot.
    starts_at, ends_at = col(ProviderTimeOff.start_at), col(ProviderTimeOff.end_at)
    touches = [and_(starts_at < b, ends_at > a) for a, b in spans]
    off = (
        select(
            col(ProviderTimeOff.provider_id),
            *(func.max(case((touch, 1), else_=0)) for touch in touches),
        )
        .where(
            col(ProviderTimeOff.provider_id).in_(pids),
            ends_at > spans[0][0],
            starts_at < spans[-1][1],
            or_(*touches),
        )
        .group_by(col(ProviderTimeOff.provider_id))
    )
    return blocks, off
