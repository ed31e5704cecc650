"""A purchase's money and its administration, from the patient screen.

take_payment: amount (the balance prefilled), method CASH / CARD / TRANSFER, reference; the Desk
refuses a wrong amount with a sentence, shown in a notification, and the form stays with what
was typed. package_admin (administrators): extend the expiry, transfer the unused sessions to
a patient found by search, or cancel the package, saying the refund due before the desk
confirms. Each is one coroutine that awaits its dialogs; each write is confirmed first.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from deskbook.errors import DatabaseError, DeskError
from deskbook.results import PatientSummary, PurchaseView
from deskbook.results_course import PaymentView
from deskbook.tui.screens.base import DeskScreen
from deskbook.tui.screens.forms import Field, FormDialog, write_now
from deskbook.tui.screens.pickers import ConfirmScreen, DangerConfirm, PickScreen
from deskbook.tui.widgets.money import balance_text, money

METHODS = ("CASH", "CARD", "TRANSFER")
Host = DeskScreen[None]


async def choose_purchase(
    host: Host, purchases: tuple[PurchaseView, ...], title: str
) -> PurchaseView | None:
    """One of the patient's purchases (asked only when there are several)."""
    if not purchases:
        host.app.notify("This patient has no packages.", severity="warning")
        return None
    if len(purchases) == 1:
        return purchases[0]
    currency = host.session.staff.currency
    options = [
        (f"{p.name_en} · {p.status.lower()} · {balance_text(p, currency)}", p) for p in purchases
    ]
    return await host.app.push_screen_wait(PickScreen(title, options))


async def take_payment(host: Host, purchase: PurchaseView) -> PaymentView | None:
    app, session = host.app, host.session
    currency = session.staff.currency
    fields = [
        Field(
            "amount", f"Amount ({currency})", f"{purchase.balance:f}" if purchase.balance else ""
        ),
        Field("method", "Method", "CASH", choices=METHODS),
        Field("reference", "Reference", placeholder="receipt or transfer number"),
    ]
    info = (
        f"price {money(purchase.price, currency)} · paid {money(purchase.paid, currency)} · "
        f"balance {money(purchase.balance, currency)}"
    )
    # Kept while the answer is unknown (the link dropped): the same payment sent again is
    # taken once. A payment the Desk refused wrote nothing, so the next try is a new request.
    request = uuid.uuid4()
    while True:
        values = await app.push_screen_wait(
            FormDialog(f"Payment for {purchase.name_en}", info, fields)
        )
        if values is None:
            return None
        fields = [Field(f.id, f.label, values[f.id], f.placeholder, f.choices) for f in fields]
        lines = [
            f"Amount     {currency} {values['amount']}",
            f"Method     {values['method']}",
            f"Reference  {values['reference'] or '—'}",
        ]
        if not await app.push_screen_wait(ConfirmScreen("Take this payment?", lines)):
            continue
        record = partial(
            session.record_payment,
            purchase.id,
            values["amount"],
            values["method"],
            values["reference"] or None,
            request_id=request,
        )
        try:
            payment = await write_now(host, record)
        except DatabaseError as error:
            app.notify(f"{error} Send it again: it is taken once.", severity="error", timeout=10)
            continue
        except DeskError as error:
            request = uuid.uuid4()
            app.notify(str(error), severity="error", timeout=10)
            continue
        app.notify(
            f"Payment of {money(payment.amount, currency)} taken; "
            f"balance {money(payment.balance, currency)}."
        )
        return payment


async def package_admin(host: Host, purchase: PurchaseView) -> bool:
    """Extend, transfer or cancel the purchase (administrators). True once something changed."""
    what = await host.app.push_screen_wait(
        PickScreen(
            f"{purchase.name_en} ({purchase.status.lower()}, expires {purchase.expiry_date})",
            [
                ("Extend the expiry", "extend"),
                ("Transfer the unused sessions to another patient", "transfer"),
                ("Cancel the package", "cancel"),
            ],
        )
    )
    try:
        if what == "extend":
            return await _extend(host, purchase)
        if what == "transfer":
            return await _transfer(host, purchase)
        if what == "cancel":
            return await _cancel(host, purchase)
    except DeskError as error:
        host.app.notify(str(error), severity="error", timeout=10)
    return False


async def _extend(host: Host, purchase: PurchaseView) -> bool:
    app, session = host.app, host.session
    fields = [
        Field("expiry", "New expiry", (purchase.expiry_date + timedelta(days=30)).isoformat()),
        Field("reason", "Reason", placeholder="e.g. patient was ill"),
    ]
    while True:
        values = await app.push_screen_wait(
            FormDialog(f"Extend {purchase.name_en}", f"expires {purchase.expiry_date}", fields)
        )
        if values is None:
            return False
        fields = [Field(f.id, f.label, values[f.id], f.placeholder) for f in fields]
        try:
            new_expiry = date.fromisoformat(values["expiry"])
        except ValueError:
            app.notify("Give the new expiry as YYYY-MM-DD.", severity="error")
            continue
        lines = [f"From {purchase.expiry_date} to {new_expiry}", f"Reason: {values['reason']}"]
        if not await app.push_screen_wait(DangerConfirm("Extend the package?", lines, "Extend")):
            continue
        change = partial(session.extend_purchase, purchase.id, new_expiry, values["reason"])
        try:
            extended = await write_now(host, change)
        except DeskError as error:
            app.notify(str(error), severity="error", timeout=10)
            continue
        app.notify(f"{extended.name_en} now expires {extended.expiry_date}.")
        return True


async def _transfer(host: Host, purchase: PurchaseView) -> bool:
    app, session = host.app, host.session
    fields = [
        Field("who", "To patient", placeholder="name, phone or MRN"),
        Field("reason", "Reason", placeholder="e.g. sibling takes the sessions"),
    ]
    while True:
        values = await app.push_screen_wait(
            FormDialog(
                f"Transfer {purchase.name_en}",
                f"{purchase.remaining} unused sessions move to the other patient",
                fields,
            )
        )
        if values is None:
            return False
        fields = [Field(f.id, f.label, values[f.id], f.placeholder) for f in fields]
        found = await host.fetch(partial(session.search_patients, values["who"], 20))
        found = [p for p in found if p.id != purchase.patient_id]
        if not found:
            app.notify(f"No other patient matches “{values['who']}”.", severity="warning")
            continue
        to: PatientSummary | None = await app.push_screen_wait(
            PickScreen(
                "Transfer to whom?", [(f"{p.name_en}  {p.mrn}  {p.phone}", p) for p in found]
            )
        )
        if to is None:
            continue
        lines = [
            f"{purchase.remaining} unused sessions of {purchase.name_en}",
            f"to {to.name_en} ({to.mrn})",
            f"Reason: {values['reason']}",
        ]
        if not await app.push_screen_wait(
            DangerConfirm("Transfer the package?", lines, "Transfer")
        ):
            continue
        change = partial(session.transfer_purchase, purchase.id, to.id, values["reason"])
        try:
            moved = await write_now(host, change)
        except DeskError as error:
            app.notify(str(error), severity="error", timeout=10)
            continue
        app.notify(f"{moved.sessions_moved} sessions moved to {to.name_en}.")
        return True


def refund_preview(purchase: PurchaseView) -> Decimal:
    """The refund cancel_purchase will say: its visits to come are cancelled with it, so the
    sessions they hold count as unused (the same rule, deskbook.purchases.refund_due)."""
    from deskbook.purchases import refund_due

    unused = purchase.remaining + purchase.scheduled
    return refund_due(purchase.price_paid, purchase.paid, purchase.total, unused)


async def _cancel(host: Host, purchase: PurchaseView) -> bool:
    app, session = host.app, host.session
    currency = session.staff.currency
    fields = [Field("reason", "Reason", placeholder="e.g. family moved away")]
    values = await app.push_screen_wait(
        FormDialog(f"Cancel {purchase.name_en}", "Its visits to come are cancelled too.", fields)
    )
    if values is None:
        return False
    lines = [
        f"{purchase.scheduled} booked visits are cancelled",
        f"Paid {money(purchase.paid, currency)} · refund due "
        f"{money(refund_preview(purchase), currency)}",
        f"Reason: {values['reason']}",
    ]
    if not await app.push_screen_wait(DangerConfirm("Cancel the package?", lines, "Cancel it")):
        return False
    change = partial(session.cancel_purchase, purchase.id, values["reason"])
    cancelled = await write_now(host, change)
    app.notify(
        f"Package cancelled ({cancelled.cancelled_visits} visits); refund due "
        f"{money(cancelled.refund_due, cancelled.currency)}.",
        timeout=10,
    )
    return True
