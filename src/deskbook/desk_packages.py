"""The package use cases of the staff-scoped session: the chooser, assigning, voiding, and a
purchase from sale to its last session with its money."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from deskbook import (
    package_sale,
    packages,
    payments,
    purchases,
)
from deskbook.access import (
    ADMINS,
    as_day,
    as_id,
    count,
    get_owned,
    optional_id,
    require,
    within_horizon,
)
from deskbook.db.models import PackagePurchase
from deskbook.results import PackageChoice, PurchaseView, SessionPreview
from deskbook.results_course import (
    CancelledPurchase,
    ExpiringPurchase,
    PaymentView,
    TransferredPurchase,
)
from deskbook.session_base import Id, SessionBase


class PackageDesk(SessionBase):
    """Packages and purchases, from the chooser to the refund."""

    # -- packages -------------------------------------------------------------------------

    def packages_for_patient(self, patient_id: Id) -> PackageChoice:
        actor = self._booker("see packages")
        pid = as_id(patient_id, "patient")
        return self._read(lambda s: packages.for_patient(s, actor, pid, self.staff.currency))

    def assign_package(
        self, patient_id: Id, package_id: Id, request_id: Id | None = None
    ) -> PurchaseView:
        """Sell the package to the patient; a re-send under the same request_id returns the
        first purchase instead of selling it twice (SessionBase._write_once)."""
        actor = self._booker("assign packages")
        pid, package_uuid = as_id(patient_id, "patient"), as_id(package_id, "package")
        return self._write_once(
            request_id,
            "assign_package",
            lambda s: package_sale.assign(s, actor, pid, package_uuid),
            lambda view: view.id,
            lambda s, made: packages.purchase_view(
                s, actor, get_owned(s, PackagePurchase, made, actor, "package purchase")
            ),
        )

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
        request_id: Id | None = None,
    ) -> PaymentView:
        """amount: Decimal (or its text) in the tenant's currency; method CASH, CARD, TRANSFER.
        A re-send under the same request_id returns the first payment, never takes it twice."""
        actor = self._booker("take payments")
        kid, currency = as_id(purchase_id, "purchase"), self.staff.currency

        def again(s: Session, made: uuid.UUID) -> PaymentView:
            return next(p for p in payments.of_purchase(s, actor, kid) if p.id == made)

        return self._write_once(
            request_id,
            "record_payment",
            lambda s: payments.record(s, actor, kid, amount, method, reference, currency),
            lambda view: view.id,
            again,
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
