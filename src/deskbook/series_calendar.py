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

import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
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
from deskbook.results import PlannedVisit, SeriesAlternative
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
        # Provider time is filed by local day as it is read (read()); what was read is kept
        # as (provider, slot start) and (provider, day), so nothing is read twice.
        self.blocks: dict[tuple[uuid.UUID, date], list[Span]] = defaultdict(list)
        self.time_off: dict[tuple[uuid.UUID, date], list[Span]] = defaultdict(list)
        self._filed: set[tuple[str, uuid.UUID, datetime, datetime]] = set()
        self._read_at: set[tuple[uuid.UUID, datetime]] = set()
        self._read_days: set[tuple[uuid.UUID, date]] = set()
        self._status: dict[tuple[uuid.UUID, datetime], str] = {}
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
        return (provider_id, start) in self._read_at or (
            provider_id,
            self.day(start),
        ) in self._read_days

    def read(
        self,
        provider_ids: Iterable[uuid.UUID],
        starts: Iterable[datetime] = (),
        days: Iterable[date] = (),
    ) -> None:
        """Read the providers' blocks and time off over the slots that begin at `starts` and
        over whole local `days`, in one statement each, leaving out what was read before.
        A passed slot or one after the expiry is never asked about, so it is not read."""
        pids = list(provider_ids)
        slots = sorted(
            {
                s
                for s in starts
                if s >= self.now
                and self.day(s) <= self.expiry
                and not all(self._known(p, s) for p in pids)
            }
        )
        whole = sorted({d for d in days if not all((p, d) in self._read_days for p in pids)})
        spans = [(s, s + self.minutes) for s in slots] + [day_span(self.actor, d) for d in whole]
        if not pids or not spans:
            return
        low, high = min(a for a, _ in spans), max(b for _, b in spans)
        for kind, model, filed in (
            ("block", ProviderBlock, self.blocks),
            ("off", ProviderTimeOff, self.time_off),
        ):
            starts_at, ends_at = col(model.start_at), col(model.end_at)
            # end_at first: ix_block_provider_end seeks (provider, end_at > low); the spans
            # then keep only what touches the slots asked about.
            rows = self.session.execute(
                select(col(model.provider_id), starts_at, ends_at).where(
                    col(model.provider_id).in_(pids),
                    ends_at > low,
                    starts_at < high,
                    or_(*(and_(starts_at < b, ends_at > a) for a, b in spans)),
                )
            )
            for pid, s, e in rows:
                if (kind, pid, s, e) not in self._filed:
                    self._filed.add((kind, pid, s, e))
                    self._file(filed, pid, s, e)
        self._read_at.update(itertools.product(pids, slots))
        self._read_days.update(itertools.product(pids, whole))

    @staticmethod
    def _overlaps(spans: list[Span], start: datetime, end: datetime) -> bool:
        return any(s < end and start < e for s, e in spans)

    def works(self, provider_id: uuid.UUID, start: datetime) -> bool:
        local = start.astimezone(self.tz)
        end = (start + self.minutes).astimezone(self.tz)
        if end.date() != local.date():
            return False
        windows = self.windows[provider_id][local.date().weekday()]
        return any(ws <= local.time() and end.time() <= we for ws, we in windows)

    def status(self, provider_id: uuid.UUID, start: datetime) -> str:
        key = (provider_id, start)
        found = self._status.get(key)
        if found is None:
            found = self._status[key] = self._judge(provider_id, start)
        return found

    def _judge(self, provider_id: uuid.UUID, start: datetime) -> str:
        end, day = start + self.minutes, self.day(start)
        if start < self.now:
            return PAST
        if day > self.expiry:
            return AFTER_EXPIRY
        if not self.works(provider_id, start):
            return OFF
        if not self._known(provider_id, start):
            # Not read yet: the next question is usually another provider at the same time.
            self.read(dict.fromkeys([*self.ids, provider_id]), starts=[start])
        if self._overlaps(self.time_off[(provider_id, day)], start, end):
            return OFF
        if self._overlaps(self.blocks[(provider_id, day)], start, end):
            return PROVIDER_BUSY
        if self._overlaps(self.patient[(self.patient_id, day)], start, end):
            return PATIENT_BUSY
        return FREE

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
        others = [p.id for p in self.providers if p.id != provider_id]
        self.read(others, starts=[start])
        found: list[tuple[uuid.UUID, datetime]] = list(
            itertools.islice(((pid, start) for pid in others if self.status(pid, start) == FREE), 2)
        )
        self.read([provider_id], days=[day])
        for owners in ([provider_id], others):
            if len(found) >= limit:
                break
            near = sorted(
                ((pid, s) for pid in owners for s in self.grid(pid, day) if s != start),
                key=lambda item: (abs(item[1] - start), item[1]),
            )
            for pid, s in near:
                if len(found) >= limit:
                    break
                if self.status(pid, s) == FREE and (pid, s) not in found:
                    found.append((pid, s))
        return tuple(
            SeriesAlternative(provider_id=pid, start=s.astimezone(self.tz))
            for pid, s in found[:limit]
        )

    def judge(self, visits: list[tuple[uuid.UUID, datetime]]) -> list[PlannedVisit]:
        by_provider: dict[uuid.UUID, list[datetime]] = defaultdict(list)
        for provider_id, start in visits:
            by_provider[provider_id].append(start)
        for provider_id, starts in by_provider.items():
            self.read([provider_id], starts=starts)
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


def choose_providers(
    calendar: Calendar,
    starts: list[datetime],
    provider_id: uuid.UUID | None,
    prefer: uuid.UUID | None = None,
) -> list[tuple[uuid.UUID, datetime]]:
    """Who gives each visit. A chosen provider gives them all. "Any provider" keeps one
    therapist for the course where it can (the preferred one, the patient's usual therapist,
    else the one free most often), and takes another who is free for a visit the first
    cannot give."""
    if provider_id is not None:
        return [(provider_id, s) for s in starts]
    # Every provider at every visit's time, in one reading: each is asked about below.
    calendar.read(calendar.ids, starts=starts)
    free_count = {
        p.id: sum(calendar.status(p.id, s) == FREE for s in starts) for p in calendar.providers
    }
    order = {p.id: n for n, p in enumerate(calendar.providers)}
    main = max(free_count, key=lambda pid: (free_count[pid], -order[pid]))
    if prefer is not None and free_count.get(prefer):
        main = prefer
    chosen = []
    for s in starts:
        pid = main
        if calendar.status(main, s) != FREE:
            pid = next((p.id for p in calendar.providers if calendar.status(p.id, s) == FREE), main)
        chosen.append((pid, s))
    return chosen
