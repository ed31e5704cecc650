"""The branch's use cases of the staff-scoped session: the board, the paged day sheet, live
refresh, the waitlist, confirm calls, the day's export, and the administrator's own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time

from deskbook import (
    appointments,
    audit,
    audit_log,
    calls,
    daysheet,
    exports,
    groups,
    homeclinic,
    waitlist,
)
from deskbook import board as boards
from deskbook.access import (
    ADMINS,
    as_day,
    as_id,
    future_time,
    optional_id,
    require,
    within_horizon,
)
from deskbook.errors import InvalidInput
from deskbook.logins import set_display_mode
from deskbook.passwords import hash_password, password_problem
from deskbook.results import AppointmentView, AuditView, GroupSessionView, StaffView
from deskbook.results_day import Board, CallView, DaySheetPage, WaitlistView
from deskbook.session_base import Id, SessionBase, view_of_staff
from deskbook.staff import set_password, unlock_login


class BranchDesk(SessionBase):
    """The branch's day and its administration."""

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
            lambda s: view_of_staff(
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
            lambda s: view_of_staff(
                s,
                set_password(s, username, new_hash, tenant_id=actor.tenant_id, by=actor.staff_id),
            )
        )

    def audit_log(
        self,
        limit: int = 100,
        *,
        offset: int = 0,
        patient_id: Id | None = None,
        patient_mrn: str | None = None,
        staff: str | None = None,
        action: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[AuditView]:
        """The audit trail, newest first, `limit` events after skipping `offset`; each filter
        left None matches everything. since/until are the clinic's local days, inclusive."""
        require(self._actor, ADMINS, "read the audit log")
        query = audit_log.AuditQuery(
            patient_id=None if patient_id is None else as_id(patient_id, "patient"),
            patient_mrn=patient_mrn,
            staff=staff,
            action=action,
            since=since,
            until=until,
            offset=offset,
            limit=limit,
        )
        return self._read(lambda s: audit_log.page(s, self._actor, query))

    # -- the branch's day (issue 13): board, paged day sheet, live refresh, waitlist, calls ----

    def set_home_clinic(self, staff_id_or_username: Id, clinic_id: Id | None) -> None:
        """ADMIN: the clinic a staff member's desk opens on (None clears it)."""
        require(self._actor, ADMINS, "set home clinics")
        actor, cid = self._actor, optional_id(clinic_id, "clinic")
        who = self._write(lambda s: homeclinic.set_home_clinic(s, actor, staff_id_or_username, cid))
        if who == self.staff.id:
            self.staff = homeclinic.with_home(self.staff, cid)

    def board(self, day: date, clinic_id: Id, first: int = 0, limit: int | None = None) -> Board:
        """The clinic's day as providers by time rows (see deskbook.board). first/limit: a
        window of the providers in name order (all when limit is None); the Board says how many
        there are in all, for scrolling to the others."""
        actor = self._booker("see the board")
        cid, day = as_id(clinic_id, "clinic"), as_day(day)
        return self._read(lambda s: boards.board(s, actor, day, cid, first, limit))

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

    def book_from_waitlist(
        self,
        entry_id: Id,
        provider_id: Id,
        start: datetime,
        purchase_id: Id | None = None,
        request_id: Id | None = None,
    ) -> AppointmentView:
        """Book a waiting patient into a freed time (from waitlist_matches) and take them off
        the waitlist in one transaction; purchase_id pays it from one of their packages."""
        actor = self._booker("book appointments")
        eid, vid = as_id(entry_id, "waitlist entry"), as_id(provider_id, "provider")
        when, paid = future_time(start, "start time"), optional_id(purchase_id, "purchase")
        return self._write_once(
            request_id,
            "book_from_waitlist",
            lambda s: waitlist.book_entry(s, actor, eid, vid, when, paid),
            lambda view: view.id,
            lambda s, made: appointments.view(s, actor, made),
        )

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
