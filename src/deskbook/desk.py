"""The Desk: open a database, log in, and the staff-scoped session with one method per use case.

Ids may be given as UUIDs or as their string form. Days are dates in the tenant's time zone;
times are timezone-aware datetimes (results come back in the tenant's zone). Every method raises
only DeskError subclasses for what a user can cause, and each write is one locked transaction
with its audit event: when it fails, nothing of it is left.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import (
    appointments,
    audit,
    booking,
    calls,
    daysheet,
    exports,
    groups,
    homeclinic,
    logins,
    packages,
    patients,
    payments,
    purchases,
    reports,
    schedule,
    series,
    series_changes,
    visit_status,
    waitlist,
)
from deskbook import board as boards
from deskbook.access import (
    ADMINS,
    BOOKERS,
    Actor,
    as_day,
    as_id,
    count,
    future_time,
    get_owned,
    optional_id,
    printable,
    require,
    within_horizon,
)
from deskbook.config import DEFAULT_TIMEZONE
from deskbook.db import engine as db
from deskbook.db.migrate import ensure_current
from deskbook.db.models import (
    Appointment,
    PackagePurchase,
    Patient,
    Provider,
    Service,
    Staff,
    Tenant,
)
from deskbook.db.search import check_search_support
from deskbook.errors import (
    Busy,
    DatabaseError,
    DeskError,
    InvalidInput,
    LoginFailed,
    PackageExhausted,
    PatientBusy,
    SlotTaken,
)
from deskbook.logins import LOCKOUT, MAX_FAILED_LOGINS, set_display_mode
from deskbook.passwords import hash_password, password_problem, verify_password
from deskbook.results import (
    AppointmentView,
    AuditView,
    Board,
    CallView,
    CancelledPurchase,
    ClinicView,
    DaySheetPage,
    ExpiringPurchase,
    GroupSessionView,
    PackageChoice,
    PackageReportRow,
    PatientMatches,
    PatientSummary,
    PaymentView,
    ProviderView,
    PurchaseView,
    RevenueReportRow,
    SeriesPlan,
    SeriesView,
    ServiceView,
    SessionPreview,
    SlotView,
    StaffView,
    TransferredPurchase,
    UtilizationReportRow,
    WaitlistView,
)
from deskbook.staff import set_password, unlock_login

__all__ = ["LOCKOUT", "MAX_FAILED_LOGINS", "Desk", "DeskSession"]

Id = uuid.UUID | str
T = TypeVar("T")


_RULE_ERRORS: dict[str, type[DeskError]] = {
    db.PROVIDER_OVERLAP: SlotTaken,
    db.PATIENT_OVERLAP: PatientBusy,
    db.PURCHASE_SESSION: PackageExhausted,
    "uq_patient_tenant_mrn": Busy,
}


def _zone(name: str) -> ZoneInfo:
    # Never a silent stand-in: a clinic in Dubai shown Riyadh times would book wrong hours.
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DatabaseError(
            f"The organisation's time zone '{name}' is not a known zone (such as "
            f"{DEFAULT_TIMEZONE}); an administrator must correct it in the database."
        ) from None


class Desk:
    """One open database. Thread-safe: several sessions (desks) may share it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Desk:
        """The database at url, which must exist and be at the newest schema."""
        engine = db.make_engine(url, must_exist=True)
        try:
            ensure_current(engine)
            check_search_support(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def login(self, username: str, password: str) -> DeskSession:
        """A session for this staff member, or LoginFailed with the same sentence whatever
        went wrong. Guessing is slowed as deskbook.logins says."""
        # Text a database cannot compare (NUL, lone surrogates) never matches a login.
        usable = (
            isinstance(username, str)
            and printable(username, 64) == username
            and bool(username.strip())
            and password_problem(password) is None
        )
        name = username.strip() if usable else None
        now = datetime.now(UTC)
        attempt = _write(self.engine, lambda s: logins.admit(s, name, now))
        # Hashed outside the lock, so one desk's check does not hold up the others.
        ok = verify_password(attempt.password_hash, password if usable else "")
        _write(self.engine, lambda s: logins.settle(s, attempt, ok, now))
        if not ok or attempt.staff is None:
            raise LoginFailed()
        return DeskSession(self.engine, attempt.staff)


def _write(engine: Engine, work: Callable[[Session], T]) -> T:
    """One locked transaction; a broken schema rule becomes the sentence a desk understands."""
    try:
        return db.run_write(engine, work)
    except IntegrityError as exc:
        error = _RULE_ERRORS.get(db.violated_rule(exc) or "")
        if error is None:
            raise
        raise error() from None
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise DatabaseError(db.describe_connect_error(engine, exc)) from None
        raise


def _view(session: Session, staff: Staff) -> StaffView:
    tenant = session.get(Tenant, staff.tenant_id)
    assert tenant is not None  # a foreign key
    return logins.staff_view(staff, tenant)


class DeskSession:
    """What one logged-in staff member may do, scoped to their tenant and role."""

    def __init__(self, engine: Engine, staff: StaffView) -> None:
        self._engine = engine
        self.staff = staff
        self._actor = Actor(
            staff_id=staff.id,
            tenant_id=staff.tenant_id,
            role=staff.role,
            provider_id=staff.provider_id,
            tz=_zone(staff.timezone),
        )

    # -- plumbing -------------------------------------------------------------------------

    def _read(self, work: Callable[[Session], T]) -> T:
        with db.read_session(self._engine) as session:
            return work(session)

    def _write(self, work: Callable[[Session], T]) -> T:
        return _write(self._engine, work)

    def _booker(self, what: str) -> Actor:
        require(self._actor, BOOKERS, what)
        return self._actor

    # -- patients -------------------------------------------------------------------------

    def search_patients(self, query: str, limit: int = 50) -> list[PatientSummary]:
        actor = self._booker("search patients")
        return self._read(lambda s: patients.search(s, actor, query, limit))

    def find_patients(self, query: str, limit: int = 50) -> PatientMatches:
        """search_patients and the number of all matches, for "312 matches, first 50"."""
        actor = self._booker("search patients")
        return self._read(lambda s: patients.find(s, actor, query, limit))

    def get_patient(self, patient_id: Id) -> PatientSummary:
        actor = self._booker("see patients")
        pid = as_id(patient_id, "patient")
        return self._read(lambda s: patients.get(s, actor, pid))

    def register_patient(
        self,
        name_en: str,
        phone: str,
        date_of_birth: date | None,
        name_ar: str | None = None,
        sex: str | None = None,
        national_id: str | None = None,
    ) -> PatientSummary:
        actor = self._booker("register patients")
        return self._write(
            lambda s: patients.register(
                s, actor, name_en, phone, date_of_birth, name_ar, sex, national_id
            )
        )

    # -- packages -------------------------------------------------------------------------

    def packages_for_patient(self, patient_id: Id) -> PackageChoice:
        actor = self._booker("see packages")
        pid = as_id(patient_id, "patient")
        return self._read(lambda s: packages.for_patient(s, actor, pid, self.staff.currency))

    def assign_package(self, patient_id: Id, package_id: Id) -> PurchaseView:
        actor = self._booker("assign packages")
        pid, package_uuid = as_id(patient_id, "patient"), as_id(package_id, "package")
        return self._write(lambda s: packages.assign(s, actor, pid, package_uuid))

    def usable_purchases_for(self, patient_id: Id, service_id: Id) -> list[PurchaseView]:
        """The patient's packages that could pay a session of the service now, soonest expiry
        first: a screen warns before booking that service as a single paid session."""
        actor = self._booker("see packages")
        pid, sid = as_id(patient_id, "patient"), as_id(service_id, "service")
        return self._read(lambda s: packages.usable_for(s, actor, pid, sid))

    def next_session_number(
        self, purchase_id: Id, service_id: Id, start: datetime
    ) -> SessionPreview:
        """Which session of the purchase a visit at `start` would be, by the numbering rule
        booking applies ("Session 2 of 4"), for the confirm before booking."""
        actor = self._booker("book")
        purchase, sid = as_id(purchase_id, "purchase"), as_id(service_id, "service")
        when = within_horizon(start, "time")
        return self._read(lambda s: packages.session_preview(s, actor, purchase, sid, when))

    def void_purchase(self, purchase_id: Id, reason: str) -> PurchaseView:
        """Take back a package assigned by mistake, while nothing of it is used or booked."""
        actor = self._booker("void packages")
        purchase = as_id(purchase_id, "purchase")
        return self._write(lambda s: packages.void(s, actor, purchase, reason))

    # -- where and when -------------------------------------------------------------------

    def clinics_for(
        self,
        package_id: Id | None = None,
        purchase_id: Id | None = None,
        service_id: Id | None = None,
    ) -> list[ClinicView]:
        actor = self._booker("book")
        ids = (
            optional_id(package_id, "package"),
            optional_id(purchase_id, "purchase"),
            optional_id(service_id, "service"),
        )
        return self._read(lambda s: schedule.clinics_for(s, actor, *ids))

    def services_for(
        self,
        clinic_id: Id | None = None,
        package_id: Id | None = None,
        purchase_id: Id | None = None,
    ) -> list[ServiceView]:
        actor = self._booker("book")
        ids = (
            optional_id(clinic_id, "clinic"),
            optional_id(package_id, "package"),
            optional_id(purchase_id, "purchase"),
        )
        return self._read(lambda s: schedule.services_for(s, actor, *ids))

    def providers_for(self, clinic_id: Id, service_id: Id | None = None) -> list[ProviderView]:
        actor = self._booker("book")
        cid, sid = as_id(clinic_id, "clinic"), optional_id(service_id, "service")
        return self._read(
            lambda s: [
                schedule.provider_view(p) for p in schedule.providers_for(s, actor, cid, sid)
            ]
        )

    def free_slots(
        self, provider_id: Id, service_id: Id, day: date, purchase_id: Id | None = None
    ) -> list[datetime]:
        """Free start times of the provider for the service on the day, in tenant time."""
        actor = self._booker("book")
        pid, sid = as_id(provider_id, "provider"), as_id(service_id, "service")
        purchase_uuid, day = optional_id(purchase_id, "purchase"), as_day(day)

        def work(s: Session) -> list[datetime]:
            provider = get_owned(s, Provider, pid, actor, "provider")
            service = get_owned(s, Service, sid, actor, "service")
            schedule.check_delivers(s, provider, service)
            expiry = self._expiry(s, purchase_uuid)
            return schedule.free_slots(s, actor, provider, service, day, expiry)

        return self._read(work)

    def slot_grid(
        self,
        provider_id: Id,
        service_id: Id,
        day: date,
        purchase_id: Id | None = None,
        patient_id: Id | None = None,
        appointment_id: Id | None = None,
    ) -> list[SlotView]:
        """Every start time of the provider's day for the service, each free or with the reason
        it is not (booked, provider off, passed, the patient's other visit, after the package
        expires). With appointment_id, the grid of a reschedule: that visit's own time counts
        as free, its patient is the patient, and a visit that cannot move is refused here,
        in the words reschedule would use."""
        actor = self._booker("book")
        pid, sid = as_id(provider_id, "provider"), as_id(service_id, "service")
        purchase, day = optional_id(purchase_id, "purchase"), as_day(day)
        patient, moving = (
            optional_id(patient_id, "patient"),
            optional_id(appointment_id, "appointment"),
        )

        def work(s: Session) -> list[SlotView]:
            provider = get_owned(s, Provider, pid, actor, "provider")
            service = get_owned(s, Service, sid, actor, "service")
            schedule.check_delivers(s, provider, service)
            who, expiry = patient, self._expiry(s, purchase)
            if moving is not None:
                visit = get_owned(s, Appointment, moving, actor, "appointment")
                booking.check_movable(visit)
                who = visit.patient_id
                expiry = self._expiry(s, visit.purchase_id) if purchase is None else expiry
            elif who is not None:
                get_owned(s, Patient, who, actor, "patient")
            return schedule.slot_grid(s, actor, provider, service, day, expiry, who, moving)

        return self._read(work)

    def first_available(
        self, clinic_id: Id, service_id: Id, after: datetime, purchase_id: Id | None = None
    ) -> tuple[ProviderView, datetime] | None:
        """The earliest free slot at the clinic for the service, across its providers."""
        actor = self._booker("book")
        cid, sid = as_id(clinic_id, "clinic"), as_id(service_id, "service")
        purchase_uuid, after = optional_id(purchase_id, "purchase"), within_horizon(after, "time")

        def work(s: Session) -> tuple[ProviderView, datetime] | None:
            service = get_owned(s, Service, sid, actor, "service")
            providers = schedule.providers_for(s, actor, cid, sid)
            if service.clinic_id != cid:
                return None
            found = schedule.first_available(
                s, actor, providers, service, after, self._expiry(s, purchase_uuid)
            )
            return None if found is None else (schedule.provider_view(found[0]), found[1])

        return self._read(work)

    def _expiry(self, s: Session, purchase_id: uuid.UUID | None) -> date | None:
        if purchase_id is None:
            return None
        return get_owned(
            s, PackagePurchase, purchase_id, self._actor, "package purchase"
        ).expiry_date

    # -- booking --------------------------------------------------------------------------

    def book(
        self,
        patient_id: Id,
        service_id: Id,
        provider_id: Id,
        start: datetime,
        purchase_id: Id | None = None,
        group_session_id: Id | None = None,
        notes: str | None = None,
    ) -> AppointmentView:
        actor = self._booker("book appointments")
        args = (
            as_id(patient_id, "patient"),
            as_id(service_id, "service"),
            as_id(provider_id, "provider"),
            future_time(start, "start time"),
            optional_id(purchase_id, "purchase"),
            optional_id(group_session_id, "group session"),
            notes,
        )
        return self._write(lambda s: booking.book(s, actor, *args))

    def cancel(self, appointment_id: Id, reason: str = "") -> AppointmentView:
        actor = self._booker("cancel appointments")
        aid = as_id(appointment_id, "appointment")
        return self._write(lambda s: booking.cancel(s, actor, aid, reason))

    def reschedule(
        self, appointment_id: Id, new_start: datetime, provider_id: Id | None = None
    ) -> AppointmentView:
        actor = self._booker("reschedule appointments")
        aid, pid = as_id(appointment_id, "appointment"), optional_id(provider_id, "provider")
        start = future_time(new_start, "new time")
        return self._write(lambda s: booking.reschedule(s, actor, aid, start, pid))

    def check_in(self, appointment_id: Id) -> AppointmentView:
        return self._status(appointment_id, "check_in", "check patients in")

    def complete(self, appointment_id: Id) -> AppointmentView:
        return self._status(appointment_id, "complete", "complete appointments")

    def no_show(self, appointment_id: Id) -> AppointmentView:
        return self._status(appointment_id, "no_show", "mark no-shows")

    def _status(self, appointment_id: Id, action: str, what: str) -> AppointmentView:
        actor = self._booker(what)
        aid = as_id(appointment_id, "appointment")
        return self._write(lambda s: visit_status.set_status(s, actor, aid, action))

    def undo_status(self, appointment_id: Id) -> AppointmentView:
        """Take back the last check-in, completion or no-show of the visit, made today."""
        actor = self._booker("change a visit's status")
        aid = as_id(appointment_id, "appointment")
        return self._write(lambda s: visit_status.undo(s, actor, aid))

    # -- lists ----------------------------------------------------------------------------

    def day_sheet(
        self,
        day: date,
        clinic_id: Id | None = None,
        provider_id: Id | None = None,
        status: str | Iterable[str] | None = None,
        offset: int = 0,
        limit: int = 200,
    ) -> list[AppointmentView]:
        """One page of the day's visits in time order (live ones, or those of the statuses
        asked for); day_sheet_page also says how many the whole filter has. A provider sees
        only their own."""
        return list(
            self.day_sheet_page(
                day, clinic_id, provider_id, status, offset, limit, total=False
            ).rows
        )

    def appointments_of(self, patient_id: Id) -> list[AppointmentView]:
        """Every appointment of the patient, cancelled ones too, by start time."""
        actor = self._booker("see appointments")
        pid = as_id(patient_id, "patient")

        def work(s: Session) -> list[AppointmentView]:
            patients.get(s, actor, pid)
            return appointments.views(s, actor, col(Appointment.patient_id) == pid)

        return self._read(work)

    def group_sessions(
        self, day: date, clinic_id: Id | None = None, service_id: Id | None = None
    ) -> list[GroupSessionView]:
        actor = self._booker("see group sessions")
        cid, sid, day = (
            optional_id(clinic_id, "clinic"),
            optional_id(service_id, "service"),
            as_day(day),
        )
        return self._read(lambda s: groups.open_sessions(s, actor, day, cid, sid))

    # -- administration -------------------------------------------------------------------

    def schedule_group_session(
        self, service_id: Id, provider_id: Id, start: datetime, capacity: int
    ) -> GroupSessionView:
        require(self._actor, ADMINS, "schedule group sessions")
        actor = self._actor
        sid, pid = as_id(service_id, "service"), as_id(provider_id, "provider")
        when = future_time(start, "start time")
        return self._write(lambda s: groups.create(s, actor, sid, pid, when, capacity))

    def set_display_mode(self, mode: str) -> StaffView:
        """How this login wants Arabic painted (deskbook.display), kept for its next sign-in.
        Every role may choose its own."""
        actor = self._actor
        stored = self._write(lambda s: set_display_mode(s, actor, mode))
        self.staff = replace(self.staff, display_mode=stored)
        return self.staff

    def unlock_login(self, username: str) -> StaffView:
        """Clear a login's lock in this organisation (ADMIN), audited."""
        require(self._actor, ADMINS, "unlock logins")
        actor = self._actor
        return self._write(
            lambda s: _view(
                s, unlock_login(s, username, tenant_id=actor.tenant_id, by=actor.staff_id)
            )
        )

    def reset_password(self, username: str, new_password: str) -> StaffView:
        """Give a login of this organisation a new password, which also unlocks it (ADMIN)."""
        require(self._actor, ADMINS, "reset passwords")
        actor = self._actor
        problem = password_problem(new_password, new=True)
        if problem is not None:
            raise InvalidInput(problem)
        new_hash = hash_password(new_password)
        return self._write(
            lambda s: _view(
                s,
                set_password(s, username, new_hash, tenant_id=actor.tenant_id, by=actor.staff_id),
            )
        )

    def audit_log(self, limit: int = 100) -> list[AuditView]:
        require(self._actor, ADMINS, "read the audit log")
        return self._read(lambda s: audit.recent(s, self._actor, limit))

    # -- the branch's day (issue 13): board, paged day sheet, live refresh, waitlist, calls ----

    def set_home_clinic(self, staff_id_or_username: Id, clinic_id: Id | None) -> None:
        """ADMIN: the clinic a staff member's desk opens on (None clears it)."""
        require(self._actor, ADMINS, "set home clinics")
        actor, cid = self._actor, optional_id(clinic_id, "clinic")
        who = self._write(lambda s: homeclinic.set_home_clinic(s, actor, staff_id_or_username, cid))
        if who == self.staff.id:
            self.staff = homeclinic.with_home(self.staff, cid)

    def board(self, day: date, clinic_id: Id) -> Board:
        """The clinic's day as providers by time rows (see deskbook.board)."""
        actor = self._booker("see the board")
        cid, day = as_id(clinic_id, "clinic"), as_day(day)
        return self._read(lambda s: boards.board(s, actor, day, cid))

    def day_sheet_page(
        self,
        day: date,
        clinic_id: Id | None = None,
        provider_id: Id | None = None,
        status: str | Iterable[str] | None = None,
        offset: int = 0,
        limit: int = 200,
        total: bool = True,
        find: str | None = None,
        start_from: datetime | None = None,
        start_until: datetime | None = None,
    ) -> DaySheetPage:
        """A page of the day sheet and the total for the filter. find: the patient's MRN
        start or words of their names; start_from/start_until narrow the day ("next hour")."""
        actor = self._actor
        cid, pid, day = (
            optional_id(clinic_id, "clinic"),
            optional_id(provider_id, "provider"),
            as_day(day),
        )
        pid = daysheet.scope(actor, pid)
        where = daysheet.conditions(
            actor, day, cid, pid, daysheet.statuses(status), start_from, start_until
        )
        return self._read(lambda s: daysheet.page(s, actor, where, offset, limit, find, total))

    def changes_since(self, token: int | None) -> tuple[int, bool]:
        """(new token, whether anything of the tenant changed since token). One primary-key
        read: a screen may poll it every second; None always reports a change."""
        tenant = self._actor.tenant_id
        now = self._read(lambda s: audit.version(s, tenant))
        return now, now != token

    def waitlist_add(
        self,
        patient_id: Id,
        service_id: Id,
        clinic_id: Id | None = None,
        provider_id: Id | None = None,
        earliest: time | None = None,
        latest: time | None = None,
        weekdays: Iterable[int | str] | None = None,
        note: str = "",
    ) -> WaitlistView:
        """earliest/latest: a local time-of-day window; weekdays: MON..SUN or 0 (Monday)..6."""
        actor = self._booker("add to the waitlist")
        pid, sid = as_id(patient_id, "patient"), as_id(service_id, "service")
        cid, vid = optional_id(clinic_id, "clinic"), optional_id(provider_id, "provider")
        return self._write(
            lambda s: waitlist.add(s, actor, pid, sid, cid, vid, earliest, latest, weekdays, note)
        )

    def waitlist(
        self, clinic_id: Id | None = None, service_id: Id | None = None
    ) -> list[WaitlistView]:
        actor = self._booker("see the waitlist")
        cid, sid = optional_id(clinic_id, "clinic"), optional_id(service_id, "service")
        return self._read(lambda s: waitlist.listing(s, actor, cid, sid))

    def waitlist_remove(self, entry_id: Id) -> None:
        actor = self._booker("change the waitlist")
        eid = as_id(entry_id, "waitlist entry")
        self._write(lambda s: waitlist.remove(s, actor, eid))

    def waitlist_matches(self, provider_id: Id, start: datetime) -> list[WaitlistView]:
        """Who is waiting for the provider's time from start, oldest first: after a cancel,
        waitlist_matches(cancelled.provider_id, cancelled.start)."""
        actor = self._booker("see the waitlist")
        pid, when = as_id(provider_id, "provider"), within_horizon(start, "start time")
        return self._read(lambda s: waitlist.matches(s, actor, pid, when))

    def to_call(self, day: date, clinic_id: Id | None = None) -> list[CallView]:
        """The day's BOOKED visits not yet CONFIRMED, with phones (for tomorrow's calls)."""
        actor = self._booker("see the call list")
        cid, day = optional_id(clinic_id, "clinic"), as_day(day)
        return self._read(lambda s: calls.to_call(s, actor, day, cid))

    def confirm(self, appointment_id: Id) -> AppointmentView:
        """CONFIRMED, after a reminder call."""
        actor = self._booker("confirm appointments")
        aid = as_id(appointment_id, "appointment")
        return self._write(lambda s: calls.confirm(s, actor, aid))

    def export_day(self, day: date, clinic_id: Id, fmt: str = "csv") -> bytes:
        """The clinic's day sheet as a file: "csv" or "pdf" (one A4 page per provider)."""
        actor = self._booker("export the day sheet")
        cid, day = as_id(clinic_id, "clinic"), as_day(day)
        return self._read(lambda s: exports.export_day(s, actor, day, cid, fmt))

    # -- courses of treatment (issue 14): series.py; one locked transaction per write -------

    def plan_series(
        self,
        purchase_id: Id,
        service_id: Id,
        weekdays: Sequence[str] = ("SUN", "TUE"),
        at: time = time(16, 0),
        first_day: date | None = None,
        count: int | None = None,
        provider_id: Id | None = None,
        every_weeks: int = 1,
    ) -> SeriesPlan:
        """The purchase's next sessions of the service laid on weekdays at a time (count None:
        every session it has left), each with its status and same-day alternatives. Writes
        nothing; first_day None is today."""
        actor = self._booker("plan courses")
        kid, sid = as_id(purchase_id, "purchase"), as_id(service_id, "service")
        pid = optional_id(provider_id, "provider")
        course = series.course(weekdays, at, as_day(first_day or actor.today()), every_weeks)
        return self._read(lambda s: series.plan(s, actor, kid, sid, course, count, pid))

    def book_series(
        self,
        purchase_id: Id,
        service_id: Id,
        visits: Sequence[tuple[Id, datetime]],
        rule: str | None = None,
    ) -> SeriesView:
        """Every visit, all or nothing (SeriesConflict names the one that failed). rule is the
        plan's RRULE text; without it the series keeps the visits' dates."""
        actor = self._booker("book courses")
        kid, sid = as_id(purchase_id, "purchase"), as_id(service_id, "service")
        return self._write(lambda s: series.book(s, actor, kid, sid, visits, rule))

    def get_series(self, series_id: Id) -> SeriesView:
        actor = self._booker("see courses")
        xid = as_id(series_id, "series")
        return self._read(lambda s: series.view(s, actor, xid))

    def cancel_series(
        self, series_id: Id, reason: str = "", from_day: date | None = None
    ) -> SeriesView:
        """Cancels the course's booked visits still to come (from from_day on, if given)."""
        actor = self._booker("cancel courses")
        xid = as_id(series_id, "series")
        day = as_day(from_day) if from_day is not None else None
        return self._write(lambda s: series_changes.cancel(s, actor, xid, reason, day))

    def reschedule_series(
        self,
        series_id: Id,
        weekdays: Sequence[str],
        at: time,
        from_day: date,
        provider_id: Id | None = None,
    ) -> SeriesView:
        """The course's booked visits from from_day move to the new weekdays and time, as many
        as there were; provider None keeps the usual one where free, else anyone free."""
        actor = self._booker("reschedule courses")
        xid, pid = as_id(series_id, "series"), optional_id(provider_id, "provider")
        course = series.course(weekdays, at, as_day(from_day), 1)
        return self._write(lambda s: series_changes.reschedule(s, actor, xid, course, pid))

    # -- the purchase from sale to last session, and its money (issue 14) ------------------

    def extend_purchase(self, purchase_id: Id, new_expiry: date, reason: str) -> PurchaseView:
        require(self._actor, ADMINS, "extend packages")
        actor, kid = self._actor, as_id(purchase_id, "purchase")
        day = as_day(new_expiry, "new expiry day")
        return self._write(lambda s: purchases.extend(s, actor, kid, day, reason))

    def transfer_purchase(
        self, purchase_id: Id, to_patient_id: Id, reason: str
    ) -> TransferredPurchase:
        """The unused, unbooked sessions move to a new purchase of the other patient."""
        require(self._actor, ADMINS, "transfer packages")
        actor = self._actor
        kid, pid = as_id(purchase_id, "purchase"), as_id(to_patient_id, "patient")
        return self._write(lambda s: purchases.transfer(s, actor, kid, pid, reason))

    def cancel_purchase(self, purchase_id: Id, reason: str) -> CancelledPurchase:
        """Cancels the purchase and its visits still to come; says the refund due."""
        require(self._actor, ADMINS, "cancel packages")
        actor, kid, currency = self._actor, as_id(purchase_id, "purchase"), self.staff.currency
        return self._write(lambda s: purchases.cancel(s, actor, kid, reason, currency))

    def record_payment(
        self,
        purchase_id: Id,
        amount: Decimal | int | str,
        method: str,
        reference: str | None = None,
    ) -> PaymentView:
        """amount: Decimal (or its text) in the tenant's currency; method CASH, CARD, TRANSFER."""
        actor = self._booker("take payments")
        kid, currency = as_id(purchase_id, "purchase"), self.staff.currency
        return self._write(
            lambda s: payments.record(s, actor, kid, amount, method, reference, currency)
        )

    def payments_of(self, purchase_id: Id) -> list[PaymentView]:
        actor = self._booker("see payments")
        kid = as_id(purchase_id, "purchase")
        return self._read(lambda s: payments.of_purchase(s, actor, kid))

    def expiring_purchases(
        self, within_days: int = 14, clinic_id: Id | None = None
    ) -> list[ExpiringPurchase]:
        """Active packages expiring within the days with sessions left, soonest first, each
        with its warning sentence."""
        actor = self._booker("see expiring packages")
        days = count(within_days, "number of days", 0, 366)
        cid = optional_id(clinic_id, "clinic")
        return self._read(lambda s: purchases.expiring(s, actor, days, cid))

    # -- reports (issue 14): grouped SQL over the period, for administrators ---------------

    def report(
        self, kind: str, from_day: date, to_day: date, clinic_id: Id | None = None
    ) -> list[PackageReportRow] | list[UtilizationReportRow] | list[RevenueReportRow]:
        """kind: packages, utilization or revenue; the period's days, both included."""
        require(self._actor, ADMINS, "see reports")
        actor, cid = self._actor, optional_id(clinic_id, "clinic")
        first, last = reports.check_period(from_day, to_day)
        return self._read(lambda s: reports.report(s, actor, kind, first, last, cid))

    def package_report(
        self, from_day: date, to_day: date, clinic_id: Id | None = None
    ) -> list[PackageReportRow]:
        require(self._actor, ADMINS, "see reports")
        actor, cid = self._actor, optional_id(clinic_id, "clinic")
        first, last = reports.check_period(from_day, to_day)
        return self._read(lambda s: reports.packages_report(s, actor, first, last, cid))

    def utilization_report(
        self, from_day: date, to_day: date, clinic_id: Id | None = None
    ) -> list[UtilizationReportRow]:
        require(self._actor, ADMINS, "see reports")
        actor, cid = self._actor, optional_id(clinic_id, "clinic")
        first, last = reports.check_period(from_day, to_day)
        return self._read(lambda s: reports.utilization_report(s, actor, first, last, cid))

    def revenue_report(
        self, from_day: date, to_day: date, clinic_id: Id | None = None
    ) -> list[RevenueReportRow]:
        require(self._actor, ADMINS, "see reports")
        actor, cid = self._actor, optional_id(clinic_id, "clinic")
        first, last = reports.check_period(from_day, to_day)
        return self._read(lambda s: reports.revenue_report(s, actor, first, last, cid))
