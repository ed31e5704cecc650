"""The administrator's logins screen (F9, issue 11): unlock a staff member the lockout stopped,
or set a new password, through the Desk's audited ADMIN calls; on both engines."""

from __future__ import annotations

import pytest
from textual.widgets import Static
from tui_pilot import (
    ADMIN_PASSWORD,
    SIZE,
    make_app,
    notes,
    screen_name,
    settle,
    step,
    type_text,
)

from deskbook.desk import Desk
from deskbook.errors import LoginFailed
from deskbook.logins import MAX_FAILED_LOGINS
from deskbook.testing import tui_clinic
from deskbook.tui.app import DeskApp

pytestmark = pytest.mark.usefixtures("admin")
NEW_PASSWORD = "a-new-pass-2027"


def lock_out(desk: Desk, username: str) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            desk.login(username, "wrong-password")
    with pytest.raises(LoginFailed):  # locked: the right password no longer gets in
        desk.login(username, tui_clinic.PASSWORD)


def said(app: DeskApp) -> str:
    return str(app.screen.query_one("#logins-result", Static).render())


async def test_an_admin_unlocks_a_locked_login_and_resets_a_password(desk: Desk) -> None:
    lock_out(desk, "frontdesk")
    app = DeskApp(desk, username="boss", password=ADMIN_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f9")
        assert screen_name(app) == "LoginsScreen"
        await type_text(pilot, "frontdesk")
        await step(pilot, "enter")
        assert "unlocked" in said(app), said(app)
        assert desk.login("frontdesk", tui_clinic.PASSWORD).staff.username == "frontdesk"

        await pilot.press("tab")
        await type_text(pilot, NEW_PASSWORD)
        await pilot.press("tab")
        await type_text(pilot, NEW_PASSWORD[:-1])
        await step(pilot, "enter")
        assert "differ" in said(app)
        await type_text(pilot, NEW_PASSWORD[-1])
        await step(pilot, "enter")
        assert "has a new password" in said(app), said(app)
        assert any("frontdesk has a new password" in n for n in notes(app))
    assert desk.login("frontdesk", NEW_PASSWORD).staff.username == "frontdesk"
    with pytest.raises(LoginFailed):
        desk.login("frontdesk", tui_clinic.PASSWORD)
    actions = [e.action for e in desk.login("boss", ADMIN_PASSWORD).audit_log(limit=20)]
    assert "login_unlocked" in actions and "password_reset" in actions, actions


async def test_an_unknown_login_is_said_and_a_front_desk_has_no_logins_screen(
    desk: Desk,
) -> None:
    app = DeskApp(desk, username="boss", password=ADMIN_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f9")
        await type_text(pilot, "nobody-here")
        await step(pilot, "enter")
        assert "nobody-here" in said(app) or "No such" in said(app), said(app)
        await step(pilot, "escape")
        assert screen_name(app) != "LoginsScreen"
    front = make_app(desk)
    async with front.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert front.check_action("logins", ()) is False
        await step(pilot, "f9")
        assert screen_name(front) != "LoginsScreen"
