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

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import schedule
from deskbook.access import Actor, count, get_owned
from deskbook.db.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Clinic,
    GroupSession,
    Patient,
    Provider,
    ProviderBlock,
    ProviderClinic,
    ProviderSchedule,
    ProviderTimeOff,
    PurchaseQuota,
    Service,
)
from deskbook.results_day import Board, BoardCell, BoardColumn, BoardGroup, BoardVisit

FREE, OFF, VISIT, GROUP = "FREE", "OFF", "VISIT", "GROUP"
# No row is finer than this, whatever odd durations a catalog holds; without services or hours
# the board falls back to half-hour rows.
MIN_STEP, DEFAULT_STEP = 5, 30

Span = tuple[datetime, datetime]


# A family name written apart from its particle ("Al Harbi", "bin Saad") keeps it.
_PARTICLES = frozenset({"al", "el", "bin", "bint", "ibn", "abu", "abd", "ben", "ال"})


def short_name(name_en: str) -> str:
    """First name and family name: what fits a board cell and still tells two patients apart
    ("Rashid Saad Al Harbi" -> "Rashid Al Harbi")."""
    words = name_en.split()
    if len(words) <= 2:
        return " ".join(words)
    last = words[-1:]
    if len(words) > 3 and words[-2].casefold() in _PARTICLES:
        last = words[-2:]
    return " ".join(words[:1] + last)


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


def _visits(
    session: Session,
    actor: Actor,
    clinic_id: uuid.UUID,
    span: Span,
    provider_ids: list[uuid.UUID] | None,
) -> list[tuple[uuid.UUID, BoardVisit]]:
    """The day's individual visits at the clinic, as plain columns: building ORM rows for a
    full clinic day cost more than the query itself."""
    total = (
        select(func.sum(col(PurchaseQuota.quota)))
        .where(col(PurchaseQuota.purchase_id) == col(Appointment.purchase_id))
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            col(Appointment.id),
            col(Appointment.provider_id),
            col(Appointment.patient_id),
            col(Patient.name_en),
            col(Patient.name_ar),
            col(Patient.mrn),
            col(Appointment.service_id),
            col(Service.name_en),
            col(Appointment.status),
            col(Appointment.kind),
            col(Appointment.session_number),
            total,
            col(Appointment.start_at),
            col(Appointment.end_at),
        )
        .join(Patient, col(Patient.id) == col(Appointment.patient_id))
        .join(Service, col(Service.id) == col(Appointment.service_id))
        .where(
            col(Appointment.tenant_id) == actor.tenant_id,
            col(Appointment.clinic_id) == clinic_id,
            col(Appointment.start_at) >= span[0],
            col(Appointment.start_at) < span[1],
            col(Appointment.status) != AppointmentStatus.CANCELLED,
            col(Appointment.kind) != AppointmentKind.GROUP,
            *([] if provider_ids is None else [col(Appointment.provider_id).in_(provider_ids)]),
        )
        .order_by(col(Appointment.start_at), col(Appointment.id))
    ).all()
    return [
        (
            r[1],
            BoardVisit(
                id=r[0],
                patient_id=r[2],
                patient_short_name=short_name(r[3]),
                patient_name_en=r[3],
                patient_name_ar=r[4],
                patient_mrn=r[5],
                service_id=r[6],
                service_name_en=r[7],
                status=str(r[8]),
                kind=str(r[9]),
                session_number=r[10],
                session_total=int(r[11]) if r[11] is not None else None,
                start=r[12].astimezone(actor.tz),
                end=r[13].astimezone(actor.tz),
            ),
        )
        for r in rows
    ]


def _groups(
    session: Session, actor: Actor, clinic_id: uuid.UUID, span: Span
) -> list[tuple[uuid.UUID, BoardGroup]]:
    taken = (
        select(func.count(col(Appointment.id)))
        .where(
            col(Appointment.group_session_id) == col(GroupSession.id),
            col(Appointment.status) != AppointmentStatus.CANCELLED,
        )
        .scalar_subquery()
    )
    # Plain columns, as for the visits: ORM rows of a busy day's groups cost more than the read.
    rows = session.execute(
        select(
            col(GroupSession.provider_id),
            col(GroupSession.id),
            col(GroupSession.service_id),
            col(Service.name_en),
            taken,
            col(GroupSession.capacity),
            col(GroupSession.start_at),
            col(GroupSession.end_at),
        )
        .join(Service, col(Service.id) == col(GroupSession.service_id))
        .where(
            col(GroupSession.tenant_id) == actor.tenant_id,
            col(GroupSession.clinic_id) == clinic_id,
            col(GroupSession.start_at) >= span[0],
            col(GroupSession.start_at) < span[1],
            col(GroupSession.cancelled).is_(False),
        )
        .order_by(col(GroupSession.start_at))
    ).all()
    return [
        (
            r[0],
            BoardGroup(
                id=r[1],
                service_id=r[2],
                service_name_en=r[3],
                taken=int(r[4] or 0),
                capacity=r[5],
                start=_aware(r[6]).astimezone(actor.tz),
                end=_aware(r[7]).astimezone(actor.tz),
            ),
        )
        for r in rows
    ]


def _held(
    session: Session,
    provider_ids: list[uuid.UUID],
    span: Span,
    shown: set[uuid.UUID],
) -> dict[uuid.UUID, list[Span]]:
    """Time off, and time held by visits or groups not on this board (another clinic)."""
    held: dict[uuid.UUID, list[Span]] = {}
    if not provider_ids:
        return held
    blocks = select(
        col(ProviderBlock.provider_id),
        col(ProviderBlock.start_at),
        col(ProviderBlock.end_at),
        col(ProviderBlock.appointment_id),
        col(ProviderBlock.group_session_id),
    ).where(
        col(ProviderBlock.provider_id).in_(provider_ids),
        col(ProviderBlock.end_at) > span[0],
        col(ProviderBlock.start_at) < span[1],
    )
    for pid, start, end, appointment_id, group_id in session.execute(blocks):
        if (appointment_id or group_id) not in shown:
            held.setdefault(pid, []).append((start, end))
    off = select(
        col(ProviderTimeOff.provider_id), col(ProviderTimeOff.start_at), col(ProviderTimeOff.end_at)
    ).where(
        col(ProviderTimeOff.provider_id).in_(provider_ids),
        col(ProviderTimeOff.start_at) < span[1],
        col(ProviderTimeOff.end_at) > span[0],
    )
    for pid, start, end in session.execute(off):
        held.setdefault(pid, []).append((start, end))
    return held


def _visit_spans(
    session: Session, actor: Actor, clinic_id: uuid.UUID, span: Span
) -> dict[uuid.UUID, tuple[int, datetime, datetime]]:
    """Per provider with visits at the clinic that day: how many, first start, last end. One
    grouped read of the day's range, so the rows and the provider list are the whole clinic's
    whatever window of columns is built."""
    rows = session.execute(
        select(
            col(Appointment.provider_id),
            func.count(),
            func.min(col(Appointment.start_at)),
            func.max(col(Appointment.end_at)),
        )
        .where(
            col(Appointment.tenant_id) == actor.tenant_id,
            col(Appointment.clinic_id) == clinic_id,
            col(Appointment.start_at) >= span[0],
            col(Appointment.start_at) < span[1],
            col(Appointment.status) != AppointmentStatus.CANCELLED,
            col(Appointment.kind) != AppointmentKind.GROUP,
        )
        .group_by(col(Appointment.provider_id))
    ).all()
    return {pid: (int(n), _aware(first), _aware(last)) for pid, n, first, last in rows}


def _aware(moment: datetime) -> datetime:
    # SQLite hands an aggregate's datetime back naive (it is stored in UTC).
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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
    spans = _visit_spans(session, actor, clinic_id, span)
    groups = _groups(session, actor, clinic_id, span)
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
        _visits(session, actor, clinic_id, span, None if limit is None else window_ids)
        if window
        else []
    )
    in_window = set(window_ids)
    groups_here = [(pid, g) for pid, g in groups if pid in in_window]
    shown = {v.id for _, v in visits} | {g.id for _, g in groups}
    held = _held(session, window_ids, span, shown)

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
