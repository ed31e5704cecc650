"""The Desk: open a database, log in, and the staff-scoped session with one method per use case.

Ids may be given as UUIDs or as their string form. Days are dates in the tenant's time zone;
times are timezone-aware datetimes (results come back in the tenant's zone). Every method raises
only DeskError subclasses for what a user can cause, and each write is one locked transaction
with its audit event: when it fails, nothing of it is left.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from deskbook import logins
from deskbook.access import printable
from deskbook.db import engine as db
from deskbook.db.migrate import ensure_current
from deskbook.db.search import check_search_support
from deskbook.desk_booking import BookingDesk
from deskbook.desk_branch import BranchDesk
from deskbook.desk_courses import CourseDesk
from deskbook.desk_packages import PackageDesk
from deskbook.desk_patients import PatientDesk
from deskbook.errors import LoginFailed
from deskbook.logins import LOCKOUT, MAX_FAILED_LOGINS
from deskbook.passwords import password_problem, verify_password
from deskbook.session_base import write_transaction

__all__ = ["LOCKOUT", "MAX_FAILED_LOGINS", "Desk", "DeskSession"]


class Desk:
    """One open database. Thread-safe: several sessions (desks) may share it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Desk:
        """The database at url, which must exist and be at the newest schema."""
        engine = db.make_engine(url, must_exist=True, bounded=True)
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
        attempt = write_transaction(self.engine, lambda s: logins.admit(s, name, now))
        # Hashed outside the lock, so one desk's check does not hold up the others.
        ok = verify_password(attempt.password_hash, password if usable else "")
        write_transaction(self.engine, lambda s: logins.settle(s, attempt, ok, now))
        if not ok or attempt.staff is None:
            raise LoginFailed()
        return DeskSession(self.engine, attempt.staff)


class DeskSession(PatientDesk, PackageDesk, BookingDesk, CourseDesk, BranchDesk):
    """What one logged-in staff member may do, scoped to their tenant and role: one method per
    use case, kept by area in the desk_* modules over SessionBase's plumbing."""
