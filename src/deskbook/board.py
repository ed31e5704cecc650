"""The board: one clinic's day as providers (columns) by time (rows).

Built from nine small queries whatever the size of the day (clinic, its services, its
providers, their hours, how many visits each provider has and from when to when, the visits
of the providers asked for, groups, time off and time held at other clinics), then laid out in
Python. A board can be asked for a window of its providers (first, limit): the rows, the
provider count and the visit count are the whole clinic's, the columns only the window's, so a
200-provider clinic costs a screen what the dozen columns it shows cost.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import board_reads as reads
from deskbook import schedule
from deskbook.access import Actor, count, get_owned
from deskbook.db.models import (
    Clinic,
    Provider,
    ProviderClinic,
    ProviderSchedule,
    Service,
)
from deskbook.results_day import Board, BoardCell, BoardColumn

FREE, OFF, VISIT, GROUP = "FREE", "OFF", "VISIT", "GROUP"
# No row is finer than this, whatever odd durations a catalog holds; without services or hours
# the board falls back to half-hour rows.
MIN_STEP, DEFAULT_STEP = 5, 30

Span = tuple[datetime, datetime]


def step_minutes(durations: list[int], window_starts: list[time]) -> int:
    """The clinic's slot step: the greatest common divisor of its services' durations and of
    the minute at which each provider's working window opens (counted from midnight).
    free_slots cuts every service's slots from a window's opening in steps of that service's
    duration, so every slot the desk can be offered starts on a row of this step (45- and
    60-minute services from 08:00 give 15-minute rows; all 60-minute ones give hourly rows)."""
    values = [d for d in durations if d > 0] + [t.hour * 60 + t.minute for t in window_starts]
    step = 0
    for value in values:
        step = math.gcd(step, value)
    if step == 0 or step == 24 * 60:
        return DEFAULT_STEP if not durations else max(MIN_STEP, min(durations))
    return max(MIN_STEP, step)


def board(
    session: Session,
    actor: Actor,
    day: date,
    clinic_id: uuid.UUID,
    first: int = 0,
    limit: int | None = None,
) -> Board:
    """The clinic's day; columns for the providers first .. first+limit-1 of the clinic's
    providers in name order (all of them when limit is None)."""
    first = count(first, "first provider", 0, 10**6, default=0)
    limit = None if limit is None else count(limit, "number of providers", 1, 10**4)
    clinic = get_owned(session, Clinic, clinic_id, actor, "clinic")
    span = schedule.day_span(actor, day)
    durations = list(
        session.scalars(
            select(col(Service.duration_minutes)).where(
                col(Service.tenant_id) == actor.tenant_id, col(Service.clinic_id) == clinic_id
            )
        )
    )
    # Plain columns, not ORM rows: a clinic may have hundreds of providers.
    names = select(
        col(Provider.id), col(Provider.name_en), col(Provider.name_ar), col(Provider.active)
    )
    linked = {
        r[0]: r
        for r in session.execute(
            names.join(ProviderClinic, col(ProviderClinic.provider_id) == col(Provider.id)).where(
                col(ProviderClinic.clinic_id) == clinic_id,
                col(Provider.tenant_id) == actor.tenant_id,
            )
        )
    }
    windows: dict[uuid.UUID, list[Span]] = {}
    window_starts: list[time] = []
    hours = select(
        col(ProviderSchedule.provider_id),
        col(ProviderSchedule.start_time),
        col(ProviderSchedule.end_time),
    ).where(
        col(ProviderSchedule.tenant_id) == actor.tenant_id,
        col(ProviderSchedule.clinic_id) == clinic_id,
        col(ProviderSchedule.weekday) == day.weekday(),
    )
    for pid, opens, closes in session.execute(hours):
        provider = linked.get(pid)
        if provider is None or not provider[3]:
            continue
        window_starts.append(opens)
        windows.setdefault(pid, []).append((_utc(day, opens, actor), _utc(day, closes, actor)))
    spans = reads.visit_spans(session, actor, clinic_id, span)
    groups = reads.groups(session, actor, clinic_id, span)
    wanted = set(windows) | set(spans) | {pid for pid, _ in groups}
    missing = wanted - set(linked)
    if missing:  # visits of a provider who has since left the clinic still show
        linked.update(
            {r[0]: r for r in session.execute(names.where(col(Provider.id).in_(missing)))}
        )
    providers = sorted((linked[pid] for pid in wanted), key=lambda p: (p[1], str(p[0])))
    window = providers[first:] if limit is None else providers[first : first + limit]
    window_ids = [p[0] for p in window]
    visits = (
        reads.visits(session, actor, clinic_id, span, None if limit is None else window_ids)
        if window
        else []
    )
    in_window = set(window_ids)
    groups_here = [(pid, g) for pid, g in groups if pid in in_window]
    shown = {v.id for _, v in visits} | {g.id for _, g in groups}
    held = reads.held(session, window_ids, span, shown)

    step = timedelta(minutes=step_minutes(durations, window_starts))
    edges = [s for spans_ in windows.values() for s in spans_]
    edges += [(s, e) for _, s, e in spans.values()] + [(g.start, g.end) for _, g in groups]
    times = _rows(actor, day, edges, step)
    placed: dict[uuid.UUID, list[tuple[datetime, datetime, BoardCell]]] = {}
    for pid, v in visits:
        placed.setdefault(pid, []).append((v.start, v.end, BoardCell(VISIT, visit=v)))
    for pid, g in groups_here:
        placed.setdefault(pid, []).append((g.start, g.end, BoardCell(GROUP, group=g)))
    free, off = BoardCell(FREE), BoardCell(OFF)  # frozen: one of each serves every cell
    columns = []
    for pid, name_en, name_ar, _active in window:
        cells: list[BoardCell | None] = [None] * len(times)
        for start, end, cell in placed.get(pid, []):
            _place(cells, times, step, start, end, cell)
        mine_windows, mine_held = windows.get(pid, []), held.get(pid, [])
        filled = tuple(
            cell
            if cell is not None
            else (free if _free(t, t + step, mine_windows, mine_held) else off)
            for t, cell in zip(times, cells, strict=True)
        )
        columns.append(BoardColumn(pid, name_en, name_ar, filled))
    return Board(
        day=day,
        clinic_id=clinic.id,
        clinic_name_en=clinic.name_en,
        clinic_name_ar=clinic.name_ar,
        step_minutes=int(step.total_seconds() // 60),
        times=tuple(times),
        columns=tuple(columns),
        first=min(first, len(providers)),
        provider_count=len(providers),
        visit_count=sum(n for n, _, _ in spans.values()),
    )


def _utc(day: date, at: time, actor: Actor) -> datetime:
    return datetime.combine(day, at, tzinfo=actor.tz).astimezone(UTC)


def _rows(actor: Actor, day: date, edges: list[Span], step: timedelta) -> list[datetime]:
    """Row starts from the earliest opening or visit to the latest close, on the step's grid
    counted from local midnight."""
    if not edges:
        return []
    midnight = datetime.combine(day, time(0), tzinfo=actor.tz)
    first = min(s for s, _ in edges).astimezone(actor.tz)
    last = max(e for _, e in edges).astimezone(actor.tz)
    first_row = max(0, math.floor((first - midnight) / step))
    last_row = math.ceil((last - midnight) / step)
    return [midnight + n * step for n in range(first_row, last_row)]


def _place(
    cells: list[BoardCell | None],
    times: list[datetime],
    step: timedelta,
    start: datetime,
    end: datetime,
    cell: BoardCell,
) -> None:
    """Put a visit or group on every row it overlaps; the row holding its start shows it, the
    rows after it continue it. A row already taken keeps what it has (an off-grid visit can
    share a row with the one before it)."""
    first_row = max(0, math.floor((start.astimezone(times[0].tzinfo) - times[0]) / step))
    last_row = min(len(times), math.ceil((end.astimezone(times[0].tzinfo) - times[0]) / step))
    continued = BoardCell(cell.state, cell.visit, cell.group, continues=True)
    for n in range(first_row, last_row):
        if cells[n] is None:
            cells[n] = cell if n == first_row else continued


def _free(start: datetime, end: datetime, windows: list[Span], held: list[Span]) -> bool:
    working = any(ws <= start and end <= we for ws, we in windows)
    return working and not any(hs < end and start < he for hs, he in held)
