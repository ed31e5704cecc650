"""The audit viewer: an administrator sees who wrote what and who looked at whom, by name and in
the clinic's time, filtered and paged; a front desk does not get the key."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static
from tui_pilot import (
    ADMIN_PASSWORD,
    SIZE,
    notes,
    screen_name,
    settle,
    step,
    texts,
)

from deskbook import Desk
from deskbook.testing import tui_clinic
from deskbook.tui.app import DeskApp
from deskbook.tui.screens import audit as audit_screen

pytestmark = pytest.mark.usefixtures("admin")


async def test_admin_reads_the_audit_log(desk: Desk) -> None:
    front = desk.login("frontdesk", tui_clinic.PASSWORD)
    front.register_patient("Huda Audit", "0551234567", date(1990, 5, 1), name_ar="هدى")
    app = DeskApp(desk, username="boss", password=ADMIN_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f4")
        assert screen_name(app) == "AuditScreen"
        shown = texts(app)
        assert "register_patient | Huda Audit · MRN" in shown
        assert "Mona Front" in shown
        # Walk down to the registration and see what it wrote.
        for _ in range(10):
            change = str(app.screen.query_one("#audit-change", Static).render())
            if "Huda Audit" in change:
                break
            await step(pilot, "down")
        assert "Huda Audit" in change
        await step(pilot, "escape")
        assert screen_name(app) == "SearchScreen"


async def test_front_desk_has_no_audit_key(desk: Desk) -> None:
    app = DeskApp(desk, username="frontdesk", password=tui_clinic.PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.check_action("audit", ()) is False
        await step(pilot, "f4")
        assert screen_name(app) == "SearchScreen"


def _rows(app: DeskApp) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


async def _filter(pilot: Pilot[None], app: DeskApp, widget_id: str, value: str) -> None:
    app.screen.query_one(f"#{widget_id}", Input).value = value
    app.screen.query_one(f"#{widget_id}", Input).focus()
    await step(pilot, "enter")


async def test_openings_by_name_in_local_time_filtered_and_paged(
    desk: Desk, clinic: tui_clinic.Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKBOOK_DESK", "Reception 2")
    front = desk.login("frontdesk", tui_clinic.PASSWORD)
    front.get_patient(clinic.ids["rana"])
    front.get_patient(clinic.ids["noor"])
    front.get_patient(clinic.ids["rana"])
    [newest, *_] = desk.login("boss", ADMIN_PASSWORD).audit_log(1, action="open_patient")
    riyadh = newest.at.astimezone(ZoneInfo("Asia/Riyadh")).strftime("%d %b %Y %H:%M")
    utc = newest.at.astimezone(UTC).strftime("%d %b %Y %H:%M")
    monkeypatch.setattr(audit_screen, "MAX_EVENTS", 2)
    app = DeskApp(desk, username="boss", password=ADMIN_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f4")
        await _filter(pilot, app, "audit-action", "open patient")
        rows = _rows(app)
        assert rows[0] == [riyadh, "Mona Front", "open_patient", "Rana Khalil · MRN-0001"]
        assert riyadh != utc
        assert "Reception 2" in str(app.screen.query_one("#audit-change", Static).render())
        assert "events 1–2 · PgDn older" in texts(app)
        await step(pilot, "pagedown")
        assert [row[3] for row in _rows(app)] == ["Rana Khalil · MRN-0001"]
        assert "events 3–3 · PgUp newer" in texts(app)
        await step(pilot, "pageup")
        assert len(_rows(app)) == 2
        await _filter(pilot, app, "audit-patient", "mrn-0002")
        assert [row[3] for row in _rows(app)] == ["Noor Haddad · MRN-0002"]
        await _filter(pilot, app, "audit-staff", "boss")
        assert _rows(app) == []
        assert "No event matches these filters." in texts(app)
        await _filter(pilot, app, "audit-staff", "frontdesk")
        assert len(_rows(app)) == 1
        tomorrow = datetime.now(ZoneInfo("Asia/Riyadh")).date() + timedelta(days=1)
        await _filter(pilot, app, "audit-from", tomorrow.isoformat())
        assert _rows(app) == []
        await _filter(pilot, app, "audit-from", "27/11")
        assert any("not a date" in note for note in notes(app))
