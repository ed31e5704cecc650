"""The audit viewer: an administrator sees who wrote what; a front desk does not get the key."""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import Static
from tui_pilot import SIZE, screen_name, settle, texts

from deskbook import Desk
from deskbook.staff import create_staff
from deskbook.testing import tui_clinic
from deskbook.tui.app import DeskApp

ADMIN_PASSWORD = "admin password"


@pytest.fixture
def desk(desk: Desk) -> Desk:
    """The TUI clinic's desk, with an administrator who may read the audit log."""
    create_staff(
        desk.engine,
        username="boss",
        display_name="Clinic Admin",
        role="ADMIN",
        password=ADMIN_PASSWORD,
    )
    return desk


async def test_admin_reads_the_audit_log(desk: Desk) -> None:
    front = desk.login("frontdesk", tui_clinic.PASSWORD)
    front.register_patient("Huda Audit", "0551234567", date(1990, 5, 1), name_ar="هدى")
    app = DeskApp(desk, username="boss", password=ADMIN_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert screen_name(app) == "AuditScreen"
        shown = texts(app)
        assert "register_patient | patient" in shown
        assert "frontdesk" in shown
        # Walk down to the registration and see what it wrote.
        for _ in range(10):
            change = str(app.screen.query_one("#audit-change", Static).render())
            if "Huda Audit" in change:
                break
            await pilot.press("down")
            await settle(pilot)
        assert "Huda Audit" in change
        await pilot.press("escape")
        await settle(pilot)
        assert screen_name(app) == "SearchScreen"


async def test_front_desk_has_no_audit_key(desk: Desk) -> None:
    app = DeskApp(desk, username="frontdesk", password=tui_clinic.PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.check_action("audit", ()) is False
        await pilot.press("f4")
        await settle(pilot)
        assert screen_name(app) == "SearchScreen"
