"""Money as the desk reads it: "SAR 3,200", and "unpaid SAR 3,200" on a purchase."""

from __future__ import annotations

from decimal import Decimal

from deskbook.results import PurchaseView


def money(amount: Decimal, currency: str) -> str:
    """ "SAR 3,200" for whole amounts, "SAR 3,200.50" otherwise."""
    whole = amount == amount.to_integral_value()
    return f"{currency} {amount:,.0f}" if whole else f"{currency} {amount:,.2f}"


def balance_text(purchase: PurchaseView, currency: str) -> str:
    """What the desk must know at a glance: what is still owed, or that it is paid."""
    if purchase.balance > 0:
        return f"unpaid {money(purchase.balance, currency)}"
    return "paid" if purchase.paid > 0 else ""
