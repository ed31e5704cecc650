"""What every area of the staff-scoped session shares: who is signed in, and one read or one
locked write transaction per use case."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from deskbook import client_requests, logins
from deskbook.access import (
    BOOKERS,
    Actor,
    as_id,
    require,
)
from deskbook.config import DEFAULT_TIMEZONE
from deskbook.db import engine as db
from deskbook.db.deadline import call_deadline
from deskbook.db.models import (
    Staff,
    Tenant,
)
from deskbook.desk_place import this_desk
from deskbook.errors import (
    Busy,
    DatabaseError,
    DeskError,
    PackageExhausted,
    PatientBusy,
    SlotTaken,
)
from deskbook.results import StaffView

Id = uuid.UUID | str
T = TypeVar("T")

_RULE_ERRORS: dict[str, type[DeskError]] = {
    db.PROVIDER_OVERLAP: SlotTaken,
    db.PATIENT_OVERLAP: PatientBusy,
    db.PURCHASE_SESSION: PackageExhausted,
    "uq_patient_tenant_mrn": Busy,
}


def zone_of(name: str) -> ZoneInfo:
    # Never a silent stand-in: a clinic in Dubai shown Riyadh times would book wrong hours.
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DatabaseError(
            f"The organisation's time zone '{name}' is not a known zone (such as "
            f"{DEFAULT_TIMEZONE}); an administrator must correct it in the database."
        ) from None


def write_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """One locked transaction; a broken schema rule becomes the sentence a desk understands.
    Bounded, retries included, by the engine's call deadline."""
    try:
        with call_deadline(db.call_deadline_s(engine), db.where(engine)):
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


def view_of_staff(session: Session, staff: Staff) -> StaffView:
    tenant = session.get(Tenant, staff.tenant_id)
    assert tenant is not None  # a foreign key
    return logins.staff_view(staff, tenant)


class SessionBase:
    """The signed-in staff member and the two ways to reach the database."""

    def __init__(self, engine: Engine, staff: StaffView, desk: str | None = None) -> None:
        self._engine = engine
        self.staff = staff
        # Where this staff member sits, named in the audit trail when they open a patient.
        self.desk = this_desk() if desk is None else desk
        self._actor = Actor(
            staff_id=staff.id,
            tenant_id=staff.tenant_id,
            role=staff.role,
            provider_id=staff.provider_id,
            tz=zone_of(staff.timezone),
        )

    # -- plumbing -------------------------------------------------------------------------

    def _read(self, work: Callable[[Session], T]) -> T:
        engine = self._engine
        with (
            call_deadline(db.call_deadline_s(engine), db.where(engine)),
            db.read_session(engine) as session,
        ):
            return work(session)

    def _report_read(self, work: Callable[[Session], T]) -> T:
        """_read for a report: it reads a year of visits by design, so its call and each of
        its statements get the report bound (DESKBOOK_REPORT_TIMEOUT), not a desk call's."""
        engine = self._engine
        seconds = db.report_timeout_s(engine)
        with (
            call_deadline(seconds, db.where(engine)),
            db.long_read_session(engine, seconds) as session,
        ):
            return work(session)

    def _write(self, work: Callable[[Session], T]) -> T:
        return write_transaction(self._engine, work)

    def _write_once(
        self,
        request_id: Id | None,
        action: str,
        work: Callable[[Session], T],
        made: Callable[[T], uuid.UUID],
        again: Callable[[Session, uuid.UUID], T],
    ) -> T:
        """_write, done once per request id (deskbook.client_requests): a re-send of a request
        that landed gets again(session, what it made) instead of doing the work twice."""
        if request_id is None:
            return self._write(work)
        rid, actor = as_id(request_id, "request"), self._actor

        def once(s: Session) -> T:
            request = client_requests.claim(s, actor, rid, action)
            if request.result_id is not None:
                return again(s, request.result_id)
            value = work(s)
            request.result_id = made(value)
            return value

        try:
            return self._write(once)
        except IntegrityError as exc:
            if not client_requests.is_claim_clash(exc):
                raise
            return self._write(once)  # the other try committed first: its result

    def request_landed(self, request_id: Id) -> bool:
        """Whether a write sent under request_id was saved (for a desk that lost the answer)."""
        rid, actor = as_id(request_id, "request"), self._actor
        return self._read(lambda s: client_requests.landed(s, actor, rid))

    def _booker(self, what: str) -> Actor:
        require(self._actor, BOOKERS, what)
        return self._actor
