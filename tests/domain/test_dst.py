"""Daylight saving in free_slots, slot_grid and book (issue 11, #7), on both engines.

A sleep lab open 00:00-06:00 every night in a zone that changes its clocks (London, New York;
the demo's Riyadh does not), on the next night each way from today. Slots follow the wall
clock like every other night: a wall time the clocks skip is no slot and cannot be booked (it
is refused, never shifted to the hour after); a wall time they repeat is one slot, the first.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from deskbook.db.engine import write_session
from deskbook.desk import Desk, DeskSession
from deskbook.errors import InvalidInput, OutsideSchedule
from deskbook.passwords import hash_password
from deskbook.statuses import Role
from deskbook.testing.clock import today
from deskbook.testing.rows import Rows
from deskbook.testing.small_clinic import PASSWORD

OPENS, CLOSES = time(0), time(6)
_labs = itertools.count(1)
_HASH = hash_password(PASSWORD)


@dataclass
class Lab:
    desk: DeskSession
    tz: ZoneInfo
    provider: uuid.UUID
    hour: uuid.UUID  # a 60-minute study
    long: uuid.UUID  # a 90-minute study
    patient: uuid.UUID
    gap_day: date  # the clocks go forward in the night
    fold_day: date  # the clocks go back in the night


def exists(moment: datetime) -> bool:
    """The wall time happens (the test's own rule, not the code under test's)."""
    return moment.astimezone(UTC).astimezone(moment.tzinfo).replace(tzinfo=None) == (
        moment.replace(tzinfo=None)
    )


def next_change(tz: ZoneInfo, forward: bool) -> date:
    for offset in range(1, 400):
        day = today() + timedelta(days=offset)
        before = datetime.combine(day, time(0), tz).utcoffset()
        after = datetime.combine(day, time(12), tz).utcoffset()
        assert before is not None and after is not None
        if (after > before) if forward else (after < before):
            return day
    raise AssertionError(f"{tz.key} changes no clocks in the next 400 days")


@pytest.fixture(params=["Europe/London", "America/New_York"])
def lab(module_url: str, request: pytest.FixtureRequest) -> Iterator[Lab]:
    n, zone = next(_labs), str(request.param)
    desk = Desk.open(module_url)
    with write_session(desk.engine) as s:
        rows = Rows.new_tenant(s, f"Night Lab {n}", timezone=zone)
        clinic = rows.clinic("Sleep Clinic", "SLEEP")
        hour = rows.service(clinic, "Sleep study", 60, Decimal("500.00"))
        long = rows.service(clinic, "Long sleep study", 90, Decimal("700.00"))
        provider = rows.provider("Dr. Layla Night", clinic, (hour, long), hours=(OPENS, CLOSES))
        rows.staff(f"lab{n}_frontdesk", _HASH, Role.FRONT_DESK)
        patient = rows.patient(f"LAB{n:04d}", "Sami Sleeper", f"0559{n:06d}")
    tz = ZoneInfo(zone)
    yield Lab(
        desk=desk.login(f"lab{n}_frontdesk", PASSWORD),
        tz=tz,
        provider=provider.id,
        hour=hour.id,
        long=long.id,
        patient=patient.id,
        gap_day=next_change(tz, forward=True),
        fold_day=next_change(tz, forward=False),
    )
    desk.close()


def _wall(slots: list[datetime]) -> list[str]:
    return [f"{s:%H:%M}" for s in slots]


def _check_night(lab: Lab, slots: list[datetime], minutes: int) -> None:
    """What every night's slots must be, whatever the clocks do."""
    step = timedelta(minutes=minutes)
    closes = datetime.combine(slots[0].date(), CLOSES, lab.tz).astimezone(UTC)
    assert len(set(_wall(slots))) == len(slots), _wall(slots)  # no wall time twice
    for slot in slots:
        assert exists(slot), slot
        assert (slot.hour * 60 + slot.minute) % minutes == 0, _wall(slots)  # the usual grid
        assert slot.astimezone(UTC) + step <= closes
    for earlier, later in itertools.pairwise(slots):
        assert later - earlier >= step, _wall(slots)  # real time: they do not overlap


def test_no_slot_is_offered_in_the_hour_the_clocks_skip(lab: Lab) -> None:
    d, day = lab.desk, lab.gap_day
    night = [datetime.combine(day, time(h), lab.tz) for h in range(6)]
    skipped = [f"{t:%H:%M}" for t in night if not exists(t)]
    assert len(skipped) == 1
    hourly = d.free_slots(lab.provider, lab.hour, day)
    assert _wall(hourly) == [f"{h:02d}:00" for h in range(6) if f"{h:02d}:00" not in skipped]
    _check_night(lab, hourly, 60)
    longer = d.free_slots(lab.provider, lab.long, day)
    _check_night(lab, longer, 90)
    grid = d.slot_grid(lab.provider, lab.long, day)
    assert [g.start for g in grid] == longer


def test_a_time_the_clocks_skip_is_refused_not_shifted(lab: Lab) -> None:
    d, day = lab.desk, lab.gap_day
    hour = next(h for h in range(6) if not exists(datetime.combine(day, time(h), lab.tz)))
    missing = datetime.combine(day, time(hour, 30), lab.tz)
    for start in (missing, missing.replace(minute=0)):
        with pytest.raises(InvalidInput, match=r"does not exist in .*the clocks go forward"):
            d.book(lab.patient, lab.hour, lab.provider, start)
    assert d.appointments_of(lab.patient) == []


def test_the_hour_the_clocks_repeat_is_one_slot_booked_once(lab: Lab) -> None:
    d, day = lab.desk, lab.fold_day
    hourly = d.free_slots(lab.provider, lab.hour, day)
    assert _wall(hourly) == ["00:00", "01:00", "02:00", "03:00", "04:00", "05:00"]
    _check_night(lab, hourly, 60)
    _check_night(lab, d.free_slots(lab.provider, lab.long, day), 90)
    first = datetime.combine(day, time(1), lab.tz)  # fold 0: the first 01:00
    second = first.replace(fold=1)
    assert second.utcoffset() != first.utcoffset()
    assert hourly[1] == first and hourly[1].utcoffset() == first.utcoffset()

    with pytest.raises(OutsideSchedule, match="comes twice"):
        d.book(lab.patient, lab.hour, lab.provider, second)
    booked = d.book(lab.patient, lab.hour, lab.provider, first)
    assert booked.start == first
    assert _wall(d.free_slots(lab.provider, lab.hour, day)) == [
        "00:00",
        "02:00",
        "03:00",
        "04:00",
        "05:00",
    ]
    grid = d.slot_grid(lab.provider, lab.hour, day)
    assert [(f"{g.start:%H:%M}", g.reason) for g in grid if g.reason] == [("01:00", "booked")]
