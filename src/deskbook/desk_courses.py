"""Courses of treatment (a purchase's sessions booked as a series) and the package reports."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import TypeVar

from sqlalchemy.orm import Session

from deskbook import (
    reports,
    series,
    series_changes,
    utilization,
)
from deskbook.access import (
    ADMINS,
    Actor,
    as_day,
    as_id,
    optional_id,
    require,
)
from deskbook.results_course import (
    PackageReportRow,
    RevenueReportRow,
    SeriesPlan,
    SeriesView,
    UtilizationReportRow,
)
from deskbook.session_base import Id, SessionBase

R = TypeVar("R")  # a report's row


class CourseDesk(SessionBase):
    """Series of visits and the reports over packages."""

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
        request_id: Id | None = None,
    ) -> SeriesView:
        """Every visit, all or nothing (SeriesConflict names the one that failed). rule is the
        plan's RRULE text; without it the series keeps the visits' dates. A re-send under the
        same request_id returns the course booked the first time."""
        actor = self._booker("book courses")
        kid, sid = as_id(purchase_id, "purchase"), as_id(service_id, "service")
        return self._write_once(
            request_id,
            "book_series",
            lambda s: series.book(s, actor, kid, sid, visits, rule),
            lambda view: view.id,
            lambda s, made: series.view(s, actor, made),
        )

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

    # -- reports (issue 14): grouped SQL over the period, for administrators ---------------

    def report(
        self, kind: str, from_day: date, to_day: date, clinic_id: Id | None = None
    ) -> list[PackageReportRow] | list[UtilizationReportRow] | list[RevenueReportRow]:
        """kind: packages, utilization or revenue; the period's days, both included."""
        require(self._actor, ADMINS, "see reports")
        actor, cid = self._actor, optional_id(clinic_id, "clinic")
        first, last = reports.check_period(from_day, to_day)
        return self._report_read(lambda s: reports.report(s, actor, kind, first, last, cid))

    def package_report(
        self, from_day: date, to_day: date, clinic_id: Id | None = None
    ) -> list[PackageReportRow]:
        return self._report(reports.packages_report, from_day, to_day, clinic_id)

    def utilization_report(
        self, from_day: date, to_day: date, clinic_id: Id | None = None
    ) -> list[UtilizationReportRow]:
        return self._report(utilization.utilization_report, from_day, to_day, clinic_id)

    def revenue_report(
        self, from_day: date, to_day: date, clinic_id: Id | None = None
    ) -> list[RevenueReportRow]:
        return self._report(reports.revenue_report, from_day, to_day, clinic_id)

    def _report(
        self,
        compute: Callable[[Session, Actor, date, date, uuid.UUID | None], list[R]],
        from_day: date,
        to_day: date,
        clinic_id: Id | None,
    ) -> list[R]:
        """One report for ADMIN over the period's days (both included), in one read."""
        require(self._actor, ADMINS, "see reports")
        actor, cid = self._actor, optional_id(clinic_id, "clinic")
        first, last = reports.check_period(from_day, to_day)
        return self._report_read(lambda s: compute(s, actor, first, last, cid))
