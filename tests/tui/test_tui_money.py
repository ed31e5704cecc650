"""A purchase's money and administration through the screens (issue 14), on both engines:
the balance and the expiry warning at a glance, a payment (a refused amount gets the Desk's
sentence), and the administrator's extend, transfer and cancel, each confirmed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tui_pilot import (
    ADMIN_PASSWORD,
    at_patient,
    make_app,
    notes,
    open_patient,
    screen_name,
    settle,
    step,
    texts,
    type_text,
)

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.tui.app import DeskApp

pytestmark = pytest.mark.usefixtures("admin")


def admin_app(desk: Desk) -> DeskApp:
    return DeskApp(desk, username="boss", password=ADMIN_PASSWORD)


async def test_balance_warning_and_a_payment(desk: Desk, clinic: tui_clinic.Seed) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with at_patient(app, "sami") as pilot:
        # Sami's package runs out tomorrow with all ten sessions left.
        assert "⚠ expires tomorrow, 10 sessions left — not enough weekly slots" in texts(app)
        await step(pilot, "escape")
        app.screen.query_one("#search").value = ""  # type: ignore[attr-defined]
        await settle(pilot)
        await open_patient(pilot, "rana")
        assert "unpaid SAR 2,500" in texts(app)
        await step(pilot, "m")
        assert screen_name(app) == "FormDialog"
        assert "2500" in texts(app)  # the balance, prefilled
        await type_text(pilot, "0")
        await step(pilot, "enter")
        assert screen_name(app) == "ConfirmScreen"
        await step(pilot, "enter")
        # Refused with the Desk's sentence; the form is back with what was typed.
        assert any("A payment must be more than SAR 0" in n for n in notes(app))
        assert screen_name(app) == "FormDialog"
        await type_text(pilot, "1000")
        await step(pilot, "enter")
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert any("Payment of SAR 1,000 taken; balance SAR 1,500" in n for n in notes(app))
        assert "unpaid SAR 1,500" in texts(app)
        # A front desk has no package administration.
        assert app.screen.check_action("package_admin", ()) is False
    session = desk.login("frontdesk", tui_clinic.PASSWORD)
    payments = session.payments_of(ids["rana_slp"])
    assert [(p.amount, p.method) for p in payments] == [(Decimal("1000.00"), "CASH")]


async def test_admin_extends_and_cancels_with_the_refund_shown(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    front = desk.login("frontdesk", tui_clinic.PASSWORD)
    front.record_payment(ids["rana_slp"], "2500", "CARD")
    before = front.packages_for_patient(ids["rana"]).assigned[0]
    app = admin_app(desk)
    async with at_patient(app, "rana") as pilot:
        assert "unpaid" not in texts(app) and "· paid" in texts(app)
        await step(pilot, "e")
        assert screen_name(app) == "PickScreen"
        await step(pilot, "enter")  # extend
        assert (before.expiry_date + timedelta(days=30)).isoformat() in texts(app)
        await pilot.press("tab")
        await type_text(pilot, "patient was ill")
        await step(pilot, "enter")
        assert screen_name(app) == "DangerConfirm"
        await step(pilot, "tab", "enter")
        assert screen_name(app) == "PatientScreen"
        # Cancel: the refund is shown before anything is done, and Enter alone backs out.
        await step(pilot, "e", "down", "down", "enter")
        await type_text(pilot, "family moved away")
        await step(pilot, "enter")
        assert screen_name(app) == "DangerConfirm"
        assert "refund due SAR 2,500" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert front.packages_for_patient(ids["rana"]).assigned[0].status == "ACTIVE"
        await step(pilot, "e", "down", "down", "enter")
        await type_text(pilot, "family moved away")
        await step(pilot, "enter")
        await step(pilot, "tab", "enter")
        assert any("refund due SAR 2,500" in n for n in notes(app))
    after = front.packages_for_patient(ids["rana"]).assigned[0]
    assert after.expiry_date == before.expiry_date + timedelta(days=30)
    assert after.status == "CANCELLED"


async def test_admin_transfers_to_a_patient_found_by_search(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    app = admin_app(desk)
    async with at_patient(app, "rana") as pilot:
        await step(pilot, "e", "down", "enter")
        await type_text(pilot, "noor")
        await pilot.press("tab")
        await type_text(pilot, "sister takes them")
        await step(pilot, "enter")
        assert screen_name(app) == "PickScreen" and "Noor Haddad" in texts(app)
        await step(pilot, "enter")
        assert "to Noor Haddad (MRN-0002)" in texts(app)
        await step(pilot, "escape")  # backs out: nothing moved, the form again
        assert screen_name(app) == "FormDialog"
        await step(pilot, "enter")
        await step(pilot, "enter")
        await step(pilot, "tab", "enter")
        assert any("10 sessions moved to Noor Haddad" in n for n in notes(app))
    session = desk.login("frontdesk", tui_clinic.PASSWORD)
    assert session.packages_for_patient(ids["rana"]).assigned[0].status == "TRANSFERRED"
    assert [p.remaining for p in session.packages_for_patient(ids["noor"]).assigned] == [10]
