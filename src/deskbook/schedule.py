"""When: a provider's free slots for a service, and whether a time fits their schedule
(what there is to choose from, clinics, services and providers, is catalog.py's).

A provider's free time is their weekly schedule at the service's clinic (local tenant time,
weekday 0 = Monday), minus time off, minus provider_block rows (live appointments and group
sessions), cut in steps of the service's duration, never in the past.

Slots follow the local wall clock, as the schedule does: every day's grid is the same clock
times. On a day the clocks go forward, a wall time that does not happen is no slot; on a day
they go back, a wall time that happens twice is one slot, its first occurrence (window_starts).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook.access import Actor, exists
from deskbook.db.models import (
    Appointment,
    AppointmentStatus,
    Provider,
    ProviderBlock,
    ProviderSchedule,
    ProviderTimeOff,
    Service,
)
from deskbook.errors import OutsideSchedule
from deskbook.results import SlotView

# How many days first_available looks ahead before it says there is nothing.
SEARCH_DAYS = 62

Span = tuple[datetime, datetime]


def day_span(actor: Actor, day: date) -> Span:
    start = datetime.combine(day, time(0), tzinfo=actor.tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=actor.tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def windows_of(
    session: Session, provider_ids: list[uuid.UUID], clinic_id: uuid.UUID
) -> dict[uuid.UUID, dict[int, list[tuple[time, time]]]]:
    """Each provider's weekly windows at the clinic, by weekday (0 = Monday), in time order.
    Plain columns, not schedule objects: a course with "any provider" reads a whole clinic's
    (about a thousand rows at the million-patient demo)."""
    result: dict[uuid.UUID, dict[int, list[tuple[time, time]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for provider_id, weekday, start_time, end_time in session.execute(
        select(
            col(ProviderSchedule.provider_id),
            col(ProviderSchedule.weekday),
            col(ProviderSchedule.start_time),
            col(ProviderSchedule.end_time),
        )
        .where(
            col(ProviderSchedule.provider_id).in_(provider_ids),
            col(ProviderSchedule.clinic_id) == clinic_id,
        )
        .order_by(col(ProviderSchedule.start_time))
    ):
        result[provider_id][weekday].append((start_time, end_time))
    return result


def _busy(
    session: Session,
    provider_ids: list[uuid.UUID],
    span: Span,
    skip_appointment: uuid.UUID | None = None,
) -> dict[uuid.UUID, list[Span]]:
    start, end = span
    busy: dict[uuid.UUID, list[Span]] = defaultdict(list)
    blocks = select(
        col(ProviderBlock.provider_id), col(ProviderBlock.start_at), col(ProviderBlock.end_at)
    ).where(
        col(ProviderBlock.provider_id).in_(provider_ids),
        col(ProviderBlock.start_at) < end,
        col(ProviderBlock.end_at) > start,
    )
    if skip_appointment is not None:
        blocks = blocks.where(
            (col(ProviderBlock.appointment_id).is_(None))
            | (col(ProviderBlock.appointment_id) != skip_appointment)
        )
    off = select(
        col(ProviderTimeOff.provider_id), col(ProviderTimeOff.start_at), col(ProviderTimeOff.end_at)
    ).where(
        col(ProviderTimeOff.provider_id).in_(provider_ids),
        col(ProviderTimeOff.start_at) < end,
        col(ProviderTimeOff.end_at) > start,
    )
    for stmt in (blocks, off):
        for pid, s, e in session.execute(stmt):
            busy[pid].append((s, e))
    return busy


def window_starts(tz: tzinfo, day: date, opens: time, closes: time, minutes: int) -> list[datetime]:
    """The slot starts (UTC) of one schedule window: every `minutes` of the wall clock from
    its opening. A wall time the clocks skip is no slot; one they repeat is one slot, at its
    first occurrence (fold 0); a slot lasts `minutes` of real time, ends by the closing, and
    starts after the one before it ends (a slot over a gap is shorter on the wall clock)."""
    step = timedelta(minutes=minutes)
    wall, last = datetime.combine(day, opens), datetime.combine(day, closes)
    stop = last.replace(tzinfo=tz).astimezone(UTC)
    starts: list[datetime] = []
    while wall + step <= last:
        local = wall.replace(tzinfo=tz)
        start = local.astimezone(UTC)
        if exists(local) and start + step <= stop and (not starts or start >= starts[-1] + step):
            starts.append(start)
        wall += step
    return starts


def _cut(
    actor: Actor,
    day: date,
    windows: list[tuple[time, time]],
    busy: list[Span],
    minutes: int,
    not_before: datetime,
) -> list[datetime]:
    step = timedelta(minutes=minutes)
    slots = []
    for w_start, w_end in windows:
        for start in window_starts(actor.tz, day, w_start, w_end, minutes):
            end = start + step
            if start >= not_before and not any(s < end and start < e for s, e in busy):
                slots.append(start)
    return sorted(set(slots))


def free_slots(
    session: Session,
    actor: Actor,
    provider: Provider,
    service: Service,
    day: date,
    expiry: date | None,
) -> list[datetime]:
    if day < actor.today() or (expiry is not None and day > expiry):
        return []
    windows = windows_of(session, [provider.id], service.clinic_id)[provider.id][day.weekday()]
    if not windows:
        return []
    busy = _busy(session, [provider.id], day_span(actor, day))[provider.id]
    now = datetime.now(UTC)
    found = _cut(actor, day, windows, busy, service.duration_minutes, now)
    return [s.astimezone(actor.tz) for s in found]


def slot_grid(
    session: Session,
    actor: Actor,
    provider: Provider,
    service: Service,
    day: date,
    expiry: date | None,
    patient_id: uuid.UUID | None,
    skip_appointment: uuid.UUID | None,
) -> list[SlotView]:
    """Every start time of the provider's day for the service, free or with the reason it is
    not, so a screen greys out what booking would refuse. The free ones are free_slots'."""
    windows = windows_of(session, [provider.id], service.clinic_id)[provider.id][day.weekday()]
    if not windows:
        return []
    span = day_span(actor, day)
    start, end = span
    blocks = select(col(ProviderBlock.start_at), col(ProviderBlock.end_at)).where(
        col(ProviderBlock.provider_id) == provider.id,
        col(ProviderBlock.start_at) < end,
        col(ProviderBlock.end_at) > start,
    )
    if skip_appointment is not None:
        blocks = blocks.where(
            col(ProviderBlock.appointment_id).is_(None)
            | (col(ProviderBlock.appointment_id) != skip_appointment)
        )
    off = select(col(ProviderTimeOff.start_at), col(ProviderTimeOff.end_at)).where(
        col(ProviderTimeOff.provider_id) == provider.id,
        col(ProviderTimeOff.start_at) < end,
        col(ProviderTimeOff.end_at) > start,
    )
    visits: list[Span] = []
    if patient_id is not None:
        mine = select(col(Appointment.start_at), col(Appointment.end_at)).where(
            col(Appointment.tenant_id) == actor.tenant_id,
            col(Appointment.patient_id) == patient_id,
            col(Appointment.status) != AppointmentStatus.CANCELLED,
            col(Appointment.start_at) < end,
            col(Appointment.end_at) > start,
        )
        if skip_appointment is not None:
            mine = mine.where(col(Appointment.id) != skip_appointment)
        visits = [(s, e) for s, e in session.execute(mine)]
    taken = [(s, e) for s, e in session.execute(blocks)]
    away = [(s, e) for s, e in session.execute(off)]
    now, step = datetime.now(UTC), timedelta(minutes=service.duration_minutes)
    grid: list[SlotView] = []
    for w_start, w_end in windows:
        for cursor in window_starts(actor.tz, day, w_start, w_end, service.duration_minutes):
            reason = _why_not(actor, cursor, cursor + step, now, day, expiry, away, taken, visits)
            grid.append(SlotView(cursor.astimezone(actor.tz), reason is None, reason))
    return sorted(set(grid), key=lambda slot: slot.start)


def _why_not(
    actor: Actor,
    start: datetime,
    end: datetime,
    now: datetime,
    day: date,
    expiry: date | None,
    away: list[Span],
    taken: list[Span],
    visits: list[Span],
) -> str | None:
    def clash(spans: list[Span]) -> Span | None:
        return next(((s, e) for s, e in spans if s < end and start < e), None)

    if expiry is not None and day > expiry:
        return f"after the package expires on {expiry.isoformat()}"
    if start < now:
        return "passed"
    if clash(away):
        return "provider off"
    if clash(taken):
        return "booked"
    visit = clash(visits)
    if visit is not None:
        return f"the patient has a visit at {visit[0].astimezone(actor.tz):%H:%M}"
    return None


def first_available(
    session: Session,
    actor: Actor,
    providers: list[Provider],
    service: Service,
    after: datetime,
    expiry: date | None,
) -> tuple[Provider, datetime] | None:
    if not providers:
        return None
    ids = [p.id for p in providers]
    windows = windows_of(session, ids, service.clinic_id)
    not_before = max(after, datetime.now(UTC))
    first_day = max(actor.local_day(not_before), actor.today())
    for offset in range(SEARCH_DAYS):
        day = first_day + timedelta(days=offset)
        if expiry is not None and day > expiry:
            return None
        working = [p for p in providers if windows[p.id][day.weekday()]]
        if not working:
            continue
        busy = _busy(session, [p.id for p in working], day_span(actor, day))
        best: tuple[datetime, Provider] | None = None
        for p in working:
            found = _cut(
                actor,
                day,
                windows[p.id][day.weekday()],
                busy[p.id],
                service.duration_minutes,
                not_before,
            )
            if found and (best is None or found[0] < best[0]):
                best = (found[0], p)
        if best is not None:
            return best[1], best[0].astimezone(actor.tz)
    return None


def check_working(
    session: Session,
    actor: Actor,
    provider: Provider,
    clinic_id: uuid.UUID,
    start: datetime,
    end: datetime,
    on_grid: bool = False,
) -> None:
    """start..end lies inside one schedule window at the clinic and outside time off; with
    on_grid, it is also one of the window's slots (a booking, not a group session)."""
    local_start, local_end = start.astimezone(actor.tz), end.astimezone(actor.tz)
    day = local_start.date()
    windows = windows_of(session, [provider.id], clinic_id)[provider.id][day.weekday()]
    inside = local_end.date() == day or local_end.time() == time(0)
    end_t = (
        time.max if local_end.time() == time(0) and local_end.date() != day else local_end.time()
    )
    window = next(
        ((ws, we) for ws, we in windows if ws <= local_start.time() and end_t <= we), None
    )
    if not inside or window is None:
        raise OutsideSchedule(
            f"{provider.name_en} does not work at that clinic at "
            f"{local_start:%a %d %b %H:%M}; pick a time from the free slots."
        )
    # Slots follow one another from the window's start (as _cut lays them out); a start off
    # that grid would leave gaps no slot fits, wasting the neighbouring slot.
    minutes = (end - start) // timedelta(minutes=1)
    if on_grid and start not in window_starts(actor.tz, day, *window, minutes):
        if local_start.fold:  # a wall time the clocks repeat is one slot: the first
            raise OutsideSchedule(
                f"{local_start:%H:%M} comes twice on {local_start:%a %d %b} (the clocks go "
                "back); its slot is the first one. Pick a time from the free slots."
            )
        raise OutsideSchedule(
            f"{local_start:%H:%M:%S.%f}".removesuffix(":00.000000")
            + f" is not a slot start: {provider.name_en}'s slots start every "
            f"{minutes} minutes from {window[0]:%H:%M}; pick a time from the free slots."
        )
    off = session.scalar(
        select(col(ProviderTimeOff.id)).where(
            col(ProviderTimeOff.provider_id) == provider.id,
            col(ProviderTimeOff.start_at) < end,
            col(ProviderTimeOff.end_at) > start,
        )
    )
    if off is not None:
        raise OutsideSchedule(f"{provider.name_en} is off at {local_start:%a %d %b %H:%M}.")


def provider_clash(
    session: Session,
    provider_id: uuid.UUID,
    start: datetime,
    end: datetime,
    skip_appointment: uuid.UUID | None = None,
) -> bool:
    stmt = select(col(ProviderBlock.id)).where(
        col(ProviderBlock.provider_id) == provider_id,
        col(ProviderBlock.start_at) < end,
        col(ProviderBlock.end_at) > start,
    )
    if skip_appointment is not None:
        stmt = stmt.where(
            (col(ProviderBlock.appointment_id).is_(None))
            | (col(ProviderBlock.appointment_id) != skip_appointment)
        )
    return session.scalar(stmt.limit(1)) is not None
