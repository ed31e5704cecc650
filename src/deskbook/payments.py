"""Money received against a purchase. Amounts are Decimal in the tenant's currency, two
decimals; a payment never takes a purchase past its price."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from deskbook import audit, packages
from deskbook.access import Actor, clean_text, get_owned, lock_owned
from deskbook.db.models import PackagePurchase, Payment, PaymentMethod, PurchaseStatus
from deskbook.errors import InvalidInput
from deskbook.results_course import PaymentView

CENT = Decimal("0.01")


def amount_of(value: Any, currency: str) -> Decimal:
    """A positive amount with at most two decimals, from a Decimal, an int or text."""
    if isinstance(value, bool | float):
        # A float cannot hold 0.1 exactly; money comes as text or Decimal.
        raise InvalidInput("Give the amount as a number with up to two decimals, like 250.50.")
    try:
        amount = Decimal(value.strip().replace(",", "") if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput(
            "Give the amount as a number with up to two decimals, like 250.50."
        ) from None
    if not amount.is_finite():
        raise InvalidInput("Give the amount as a number with up to two decimals, like 250.50.")
    if amount <= 0:
        raise InvalidInput(f"A payment must be more than {currency} 0.")
    if amount != amount.quantize(CENT):
        raise InvalidInput(f"{currency} {amount} has more than two decimals.")
    if amount >= Decimal("10000000000"):
        raise InvalidInput("That amount is too large.")
    return amount.quantize(CENT)


def method_of(value: Any) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in PaymentMethod.__members__:
        raise InvalidInput("The payment method is CASH, CARD or TRANSFER.")
    return code


def money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def record(
    session: Session,
    actor: Actor,
    purchase_id: uuid.UUID,
    amount: Any,
    method: Any,
    reference: Any,
    currency: str,
) -> PaymentView:
    value = amount_of(amount, currency)
    code = method_of(method)
    ref = clean_text(reference, "reference", 100)
    purchase = lock_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    if purchase.status in (PurchaseStatus.VOIDED, PurchaseStatus.CANCELLED):
        raise InvalidInput(f"This package was {purchase.status.lower()}; it takes no payments.")
    view = packages.purchase_view(session, actor, purchase)
    if value > view.balance:
        owed = money(view.balance, currency)
        raise InvalidInput(
            f"{money(value, currency)} is more than the {owed} still owed on this package."
            if view.balance > 0
            else "This package is paid in full; it takes no more payments."
        )
    payment = Payment(
        tenant_id=actor.tenant_id,
        purchase_id=purchase.id,
        amount=value,
        method=code,
        reference=ref,
        created_by=actor.staff_id,
    )
    session.add(payment)
    session.flush()
    packages.settle_status(session, actor, purchase)
    paid = view.paid + value
    audit.log(
        session,
        actor,
        "record_payment",
        "payment",
        payment.id,
        after={
            "purchase_id": purchase.id,
            "amount": value,
            "method": code,
            "reference": ref,
            "paid": paid,
        },
    )
    return PaymentView(
        id=payment.id,
        purchase_id=purchase.id,
        amount=value,
        method=code,
        reference=ref,
        at=payment.created_at.astimezone(actor.tz),
        paid=paid,
        balance=view.price - paid,
    )


def of_purchase(session: Session, actor: Actor, purchase_id: uuid.UUID) -> list[PaymentView]:
    purchase = get_owned(session, PackagePurchase, purchase_id, actor, "package purchase")
    price = purchase.price_paid
    paid = Decimal("0.00")
    views = []
    for p in session.scalars(
        select(Payment)
        .where(col(Payment.tenant_id) == actor.tenant_id, col(Payment.purchase_id) == purchase.id)
        .order_by(col(Payment.created_at), col(Payment.id))
    ):
        paid += p.amount
        views.append(
            PaymentView(
                id=p.id,
                purchase_id=purchase.id,
                amount=p.amount,
                method=p.method,
                reference=p.reference,
                at=p.created_at.astimezone(actor.tz),
                paid=paid,
                balance=max(Decimal("0.00"), price - paid),
            )
        )
    return views
