"""The booking use cases of the staff-scoped session: where and when, book, cancel, reschedule,
the visit's status, and the lists a desk reads."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import (
    appointments,
    booking,
    catalog,
    groups,
    patients,
    schedule,
    visit_status,
)
from deskbook.access import (
    Actor,
    as_day,
    as_id,
    future_time,
    get_owned,
    optional_id,
    within_horizon,
)
from deskbook.db.models import (
    Appointment,
    PackagePurchase,
    Patient,
    Provider,
    Service,
)
from deskbook.results import (
    AppointmentView,
    ClinicView,
    GroupSessionView,
    ProviderView,
    ServiceView,
    SlotView,
)
from deskbook.session_base import Id, SessionBase


class BookingDesk(SessionBase):
    """Clinics, providers and slots; booking and the visit's status."""

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
        return self._read(lambda s: catalog.clinics_for(s, actor, *ids))

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
        return self._read(lambda s: catalog.services_for(s, actor, *ids))

    def providers_for(self, clinic_id: Id, service_id: Id | None = None) -> list[ProviderView]:
        actor = self._booker("book")
        cid, sid = as_id(clinic_id, "clinic"), optional_id(service_id, "service")
        return self._read(
            lambda s: [catalog.provider_view(p) for p in catalog.providers_for(s, actor, cid, sid)]
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
            catalog.check_delivers(s, provider, service)
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
            catalog.check_delivers(s, provider, service)
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
            providers = catalog.providers_for(s, actor, cid, sid)
            if service.clinic_id != cid:
                return None
            found = schedule.first_available(
                s, actor, providers, service, after, self._expiry(s, purchase_uuid)
            )
            return None if found is None else (catalog.provider_view(found[0]), found[1])

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
        request_id: Id | None = None,
    ) -> AppointmentView:
        """Book the visit. request_id (the caller's, one per user action): a re-send after a
        lost answer returns the first booking instead of booking twice."""
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
        return self._visit_once(request_id, "book", actor, lambda s: booking.book(s, actor, *args))

    def cancel(
        self, appointment_id: Id, reason: str = "", request_id: Id | None = None
    ) -> AppointmentView:
        """Cancel the visit; a re-send under the same request_id returns the cancelled visit
        instead of saying it is already cancelled."""
        actor = self._booker("cancel appointments")
        aid = as_id(appointment_id, "appointment")
        return self._visit_once(
            request_id, "cancel", actor, lambda s: booking.cancel(s, actor, aid, reason)
        )

    def reschedule(
        self,
        appointment_id: Id,
        new_start: datetime,
        provider_id: Id | None = None,
        request_id: Id | None = None,
    ) -> AppointmentView:
        actor = self._booker("reschedule appointments")
        aid, pid = as_id(appointment_id, "appointment"), optional_id(provider_id, "provider")
        start = future_time(new_start, "new time")
        return self._visit_once(
            request_id, "reschedule", actor, lambda s: booking.reschedule(s, actor, aid, start, pid)
        )

    def check_in(self, appointment_id: Id, request_id: Id | None = None) -> AppointmentView:
        return self._status(appointment_id, "check_in", "check patients in", request_id)

    def complete(self, appointment_id: Id, request_id: Id | None = None) -> AppointmentView:
        return self._status(appointment_id, "complete", "complete appointments", request_id)

    def no_show(self, appointment_id: Id, request_id: Id | None = None) -> AppointmentView:
        return self._status(appointment_id, "no_show", "mark no-shows", request_id)

    def _status(
        self, appointment_id: Id, action: str, what: str, request_id: Id | None
    ) -> AppointmentView:
        actor = self._booker(what)
        aid = as_id(appointment_id, "appointment")
        return self._visit_once(
            request_id, action, actor, lambda s: visit_status.set_status(s, actor, aid, action)
        )

    def _visit_once(
        self,
        request_id: Id | None,
        action: str,
        actor: Actor,
        work: Callable[[Session], AppointmentView],
    ) -> AppointmentView:
        """A visit's write done once per request id; a re-send reads the visit it made."""
        return self._write_once(
            request_id, action, work, _made, lambda s, made: appointments.view(s, actor, made)
        )

    def undo_status(self, appointment_id: Id) -> AppointmentView:
        """Take back the last check-in, completion or no-show of the visit, made today."""
        actor = self._booker("change a visit's status")
        aid = as_id(appointment_id, "appointment")
        return self._write(lambda s: visit_status.undo(s, actor, aid))

    # -- lists ----------------------------------------------------------------------------

    def appointments_of(self, patient_id: Id) -> list[AppointmentView]:
        """Every appointment of the patient, cancelled ones too, by start time."""
        actor = self._booker("see appointments")
        pid = as_id(patient_id, "patient")

        def work(s: Session) -> list[AppointmentView]:
            patients.get(s, actor, pid)
            return appointments.views(s, actor, col(Appointment.patient_id) == pid)

        return self._read(work)

    def group_sessions(
        self,
        day: date,
        clinic_id: Id | None = None,
        service_id: Id | None = None,
        full_too: bool = False,
    ) -> list[GroupSessionView]:
        """The day's group sessions to come with a seat left (full_too: the full ones too)."""
        actor = self._booker("see group sessions")
        cid, sid, day = (
            optional_id(clinic_id, "clinic"),
            optional_id(service_id, "service"),
            as_day(day),
        )
        return self._read(lambda s: groups.open_sessions(s, actor, day, cid, sid, full_too))


def _made(view: AppointmentView) -> uuid.UUID:
    return view.id
