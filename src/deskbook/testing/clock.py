"""Days and times in the clinic's zone, as tests name them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from deskbook.config import DEFAULT_TIMEZONE

TZ = ZoneInfo(DEFAULT_TIMEZONE)


def today() -> date:
    return datetime.now(TZ).date()


def future_day(days: int = 3) -> date:
    return today() + timedelta(days=days)


def next_day(weekday: int, weeks: int = 1) -> date:
    """The first such weekday (0 Monday .. 6 Sunday) at least `weeks` weeks from today."""
    day = today() + timedelta(weeks=weeks)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware local time in the tenant's zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
