"""Planning a course: lay a purchase's sessions on weekdays at a time, and say of each one
whether it can be booked, with same-day alternatives when it cannot. Nothing is written here.

The rule is RFC 5545 text (python-dateutil lays the dates, WKST=SU as clinics in the region
count their week). Who is free when is the Calendar's (series_calendar.py), which judges the
visits the same way in a plan and under the locks of book_series.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrule, weekday
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.db.models import (
    Appointment,
    AppointmentStatus,
    PackagePurchase,
    PurchaseQuota,
    Service,
)
from deskbook.errors import InvalidInput, PackageExhausted
from deskbook.series_calendar import Calendar

# A course longer than this is a typo; the biggest packages sold hold 40 sessions.
MAX_OCCURRENCES = 100
MAX_EVERY_WEEKS = 8

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


def check_days_and_time(
    calendar: Calendar, weekdays: tuple[str, ...], at: time, clinic_name: str, service: Service
) -> None:
    """Every chosen weekday has someone giving the service at the clinic, and the time is a
    slot start there (the grid is each window cut in steps of the service's duration)."""
    working = {
        code: [pid for pid in calendar.ids if calendar.windows[pid][_PYTHON_WEEKDAY[code]]]
        for code in weekdays
    }
    closed = [code for code in weekdays if not working[code]]
    if closed:
        names = " or ".join(_DAY_NAMES[c] for c in closed)
        raise InvalidInput(f"{clinic_name} has no {service.name_en} on {names}; choose other days.")
    step = service.duration_minutes
    on_grid = any(
        offset >= 0 and offset % step == 0 and _minutes(at) + step <= _minutes(w_end)
        for code in weekdays
        for pid in working[code]
        for w_start, w_end in calendar.windows[pid][_PYTHON_WEEKDAY[code]]
        for offset in (_minutes(at) - _minutes(w_start),)
    )
    if not on_grid:
        hint = sorted(
            {
                _clock(_minutes(w_start) + step * k)
                for code in weekdays
                for pid in working[code]
                for w_start, w_end in calendar.windows[pid][_PYTHON_WEEKDAY[code]]
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
    # Every provider at every visit's time, in one reading: each is asked about below.
    calendar.read(calendar.ids, starts=starts)
    free = [calendar.free_at(s) for s in starts]
    free_count = dict.fromkeys(calendar.ids, 0)
    for found in free:
        for pid in found:
            free_count[pid] += 1
    order = {pid: n for n, pid in enumerate(calendar.ids)}
    main = max(free_count, key=lambda pid: (free_count[pid], -order[pid]))
    if prefer is not None and free_count.get(prefer):
        main = prefer
    chosen = []
    for s, found in zip(starts, free, strict=True):
        pid = main
        if main not in found:
            pid = next((p for p in calendar.ids if p in found), main)
        chosen.append((pid, s))
    return chosen
