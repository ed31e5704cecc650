"""Planning a course: lay a purchase's sessions on weekdays at a time, and say of each one
whether it can be booked, with same-day alternatives when it cannot. Nothing is written here.

The rule is RFC 5545 text (python-dateutil lays the dates, WKST=SU as clinics in the region
count their week). The providers' and the patient's time over the whole course is read in a
few queries up front (the Calendar), so judging twenty visits and their alternatives is plain
arithmetic, under the locks of book_series as well as in a plan.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule, weekday
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor
from deskbook.db.models import (
    Appointment,
    AppointmentStatus,
    PackagePurchase,
    Provider,
    ProviderBlock,
    ProviderTimeOff,
    PurchaseQuota,
    Service,
)
from deskbook.errors import InvalidInput, PackageExhausted
from deskbook.results import PlannedVisit, SeriesAlternative
from deskbook.schedule import _windows, day_span, window_starts

# A course longer than this is a typo; the biggest packages sold hold 40 sessions.
MAX_OCCURRENCES = 100
MAX_EVERY_WEEKS = 8

FREE, PROVIDER_BUSY, PATIENT_BUSY, OFF = "FREE", "PROVIDER_BUSY", "PATIENT_BUSY", "OFF"
AFTER_EXPIRY, PAST = "AFTER_EXPIRY", "PAST"

# Sunday first: the order of the week in the clinics' calendar, and of BYDAY in the rule.
DAY_CODES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_PYTHON_WEEKDAY = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}
_DAY_NAMES = {
    "SUN": "Sundays",
    "MON": "Mondays",
    "TUE": "Tuesdays",
    "WED": "Wednesdays",
    "THU": "Thursdays",
    "FRI": "Fridays",
    "SAT": "Saturdays",
}

Span = tuple[datetime, datetime]


def parse_weekdays(value: Any) -> tuple[str, ...]:
    """("SUN", "TUE") from codes or names in any case ("sun", "Tuesday"), Sunday first."""
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, list | tuple) or not value:
        raise InvalidInput("Choose at least one weekday for the course.")
    found = set()
    for item in value:
        code = item.strip().upper()[:3] if isinstance(item, str) else ""
        if code not in _PYTHON_WEEKDAY:
            raise InvalidInput(f"“{item}” is not a weekday; use SUN, MON, TUE, WED, THU, FRI, SAT.")
        found.add(code)
    return tuple(c for c in DAY_CODES if c in found)


def check_time(value: Any) -> time:
    if isinstance(value, datetime) or not isinstance(value, time) or value.tzinfo is not None:
        raise InvalidInput("The time of the course must be a time of day, such as 16:00.")
    if value.second or value.microsecond:
        raise InvalidInput("The time of the course must be a whole minute.")
    return value


def lay(
    weekdays: tuple[str, ...], at: time, first_day: date, count: int, every_weeks: int
) -> list[datetime]:
    """The local (naive) start times of the course, in order."""
    days = [weekday(_PYTHON_WEEKDAY[c]) for c in weekdays]
    rule = rrule(
        WEEKLY,
        dtstart=datetime.combine(first_day, at),
        interval=every_weeks,
        wkst=weekday(6),
        byweekday=days,
        count=count,
    )
    return list(rule)


def rule_text(
    tz_name: str, weekdays: tuple[str, ...], at: time, first_day: date, count: int, every_weeks: int
) -> str:
    start = datetime.combine(first_day, at)
    byday = ",".join(c[:2] for c in weekdays)
    return (
        f"DTSTART;TZID={tz_name}:{start:%Y%m%dT%H%M%S}\n"
        f"RRULE:FREQ=WEEKLY;INTERVAL={every_weeks};WKST=SU;COUNT={count};BYDAY={byday}"
    )


def dates_text(tz_name: str, starts: list[datetime]) -> str:
    """A rule for visits that follow no weekly pattern: DTSTART, and every date as RDATE in
    UTC (python-dateutil reads no TZID on RDATE)."""
    first = starts[0].astimezone(ZoneInfo(tz_name))
    utc = ",".join(f"{s.astimezone(UTC):%Y%m%dT%H%M%SZ}" for s in starts)
    return f"DTSTART;TZID={tz_name}:{first:%Y%m%dT%H%M%S}\nRDATE:{utc}"


def sessions_left(session: Session, purchase: PackagePurchase, service: Service) -> int:
    """The sessions of the service this purchase may still book (quota, less what a transfer
    moved out, less its live visits)."""
    quota = session.execute(
        select(col(PurchaseQuota.quota), col(PurchaseQuota.moved_out)).where(
            col(PurchaseQuota.purchase_id) == purchase.id,
            col(PurchaseQuota.service_id) == service.id,
        )
    ).first()
    if quota is None:
        raise InvalidInput(f"This package does not include {service.name_en}.")
    live = session.scalar(
        select(func.count(col(Appointment.id))).where(
            col(Appointment.purchase_id) == purchase.id,
            col(Appointment.service_id) == service.id,
            col(Appointment.status) != AppointmentStatus.CANCELLED,
        )
    )
    return max(0, quota[0] - quota[1] - (live or 0))


def check_count(count: Any, left: int, service: Service) -> int:
    if left <= 0:
        raise PackageExhausted(f"This package has no {service.name_en} sessions left.")
    if count is None:
        return min(left, MAX_OCCURRENCES)
    if isinstance(count, bool) or not isinstance(count, int):
        raise InvalidInput("The number of sessions must be a whole number.")
    if count < 1:
        raise InvalidInput("A course needs at least one session.")
    if count > left:
        raise InvalidInput(
            f"This package has {left} {service.name_en} session{'s' if left != 1 else ''} "
            f"left; a course of {count} is more than that."
        )
    return count


def check_every_weeks(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EVERY_WEEKS:
        raise InvalidInput(f"“Every N weeks” must be a whole number from 1 to {MAX_EVERY_WEEKS}.")
    return value


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
        self.tz = actor.tz
        self.expiry = expiry
        self.minutes = timedelta(minutes=service.duration_minutes)
        self.providers = providers
        ids = [p.id for p in providers]
        self.windows = _windows(session, ids, service.clinic_id)
        self.now = datetime.now(UTC)
        span = (day_span(actor, days[0])[0], day_span(actor, days[1])[1])
        self.blocks = self._by_day(
            session.execute(
                select(
                    col(ProviderBlock.provider_id),
                    col(ProviderBlock.start_at),
                    col(ProviderBlock.end_at),
                ).where(
                    col(ProviderBlock.provider_id).in_(ids),
                    col(ProviderBlock.start_at) < span[1],
                    col(ProviderBlock.end_at) > span[0],
                )
            ).all()
        )
        self.time_off = self._by_day(
            session.execute(
                select(
                    col(ProviderTimeOff.provider_id),
                    col(ProviderTimeOff.start_at),
                    col(ProviderTimeOff.end_at),
                ).where(
                    col(ProviderTimeOff.provider_id).in_(ids),
                    col(ProviderTimeOff.start_at) < span[1],
                    col(ProviderTimeOff.end_at) > span[0],
                )
            ).all()
        )
        rows = session.execute(
            select(col(Appointment.start_at), col(Appointment.end_at)).where(
                col(Appointment.tenant_id) == actor.tenant_id,
                col(Appointment.patient_id) == patient_id,
                col(Appointment.status) != AppointmentStatus.CANCELLED,
                col(Appointment.start_at) < span[1],
                col(Appointment.end_at) > span[0],
            )
        ).all()
        self.patient = self._by_day([(patient_id, s, e) for s, e in rows])
        self.patient_id = patient_id

    def _by_day(self, rows: Any) -> dict[tuple[uuid.UUID, date], list[Span]]:
        found: dict[tuple[uuid.UUID, date], list[Span]] = defaultdict(list)
        for owner, start, end in rows:
            day, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
            while day <= last:
                found[(owner, day)].append((start, end))
                day += timedelta(days=1)
        return found

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
        end, day = start + self.minutes, start.astimezone(self.tz).date()
        if start < self.now:
            return PAST
        if day > self.expiry:
            return AFTER_EXPIRY
        if not self.works(provider_id, start) or self._overlaps(
            self.time_off[(provider_id, day)], start, end
        ):
            return OFF
        if self._overlaps(self.blocks[(provider_id, day)], start, end):
            return PROVIDER_BUSY
        if self._overlaps(self.patient[(self.patient_id, day)], start, end):
            return PATIENT_BUSY
        return FREE

    def grid(self, provider_id: uuid.UUID, day: date) -> list[datetime]:
        """The provider's slot starts on the day (UTC): windows cut in steps of the service."""
        minutes = self.minutes // timedelta(minutes=1)
        return [
            start
            for w_start, w_end in self.windows[provider_id][day.weekday()]
            for start in window_starts(self.tz, day, w_start, w_end, minutes)
        ]

    def alternatives(
        self, provider_id: uuid.UUID, start: datetime, limit: int = 3
    ) -> tuple[SeriesAlternative, ...]:
        """Same day: another provider at the same time first, then the nearest free times."""
        day = start.astimezone(self.tz).date()
        found: list[tuple[uuid.UUID, datetime]] = [
            (p.id, start)
            for p in self.providers
            if p.id != provider_id and self.status(p.id, start) == FREE
        ][:2]
        for owners in ([provider_id], [p.id for p in self.providers if p.id != provider_id]):
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
        out = []
        for provider_id, start in visits:
            status = self.status(provider_id, start)
            alternatives: tuple[SeriesAlternative, ...] = ()
            if status in (PROVIDER_BUSY, PATIENT_BUSY, OFF):
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


def check_days_and_time(
    calendar: Calendar, weekdays: tuple[str, ...], at: time, clinic_name: str, service: Service
) -> None:
    """Every chosen weekday has someone giving the service at the clinic, and the time is a
    slot start there (the grid is each window cut in steps of the service's duration)."""
    working = {
        code: [p for p in calendar.providers if calendar.windows[p.id][_PYTHON_WEEKDAY[code]]]
        for code in weekdays
    }
    closed = [code for code in weekdays if not working[code]]
    if closed:
        names = " or ".join(_DAY_NAMES[c] for c in closed)
        raise InvalidInput(f"{clinic_name} has no {service.name_en} on {names}; choose other days.")
    step = service.duration_minutes
    on_grid = []
    for code in weekdays:
        for p in working[code]:
            for w_start, w_end in calendar.windows[p.id][_PYTHON_WEEKDAY[code]]:
                offset = _minutes(at) - _minutes(w_start)
                if offset >= 0 and offset % step == 0 and _minutes(at) + step <= _minutes(w_end):
                    on_grid.append(code)
    if not on_grid:
        hint = sorted(
            {
                _clock(_minutes(w_start) + step * k)
                for code in weekdays
                for p in working[code]
                for w_start, w_end in calendar.windows[p.id][_PYTHON_WEEKDAY[code]]
                for k in range((_minutes(w_end) - _minutes(w_start)) // step)
            },
            key=lambda t: abs(_minutes(time.fromisoformat(t)) - _minutes(at)),
        )[:2]
        raise InvalidInput(
            f"{at:%H:%M} is not a start time for {service.name_en} ({step}-minute slots); "
            f"pick {' or '.join(sorted(hint))}."
        )


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


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
