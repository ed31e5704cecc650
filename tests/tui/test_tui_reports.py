"""The desk's list of expiring packages and the administrator's reports screen (issue 14),
on both engines."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable, Select
from tui_pilot import (
    ADMIN_PASSWORD,
    SIZE,
    make_app,
    notes,
    screen_name,
    settle,
    step,
    texts,
    type_text,
)

from deskbook.desk import Desk
from deskbook.reports import write_csv
from deskbook.tui.app import DeskApp

pytestmark = pytest.mark.usefixtures("admin")


async def test_expiring_packages_list_opens_the_patient(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.check_action("reports", ()) is False  # not for a front desk
        await step(pilot, "f7")
        assert screen_name(app) == "ExpiringScreen"
        table = app.screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        # Only Sami's runs out within 14 days with sessions left (tomorrow, all ten).
        assert [(r[1], r[2], r[3]) for r in rows] == [("1", "10", "Sami Aziz")]
        assert "Sami Aziz (MRN-0006): expires tomorrow, 10 sessions left" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert "Sami Aziz" in texts(app)


async def test_admin_reports_and_their_csv(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    admin = desk.login("boss", ADMIN_PASSWORD)
    first, last = date.today() - timedelta(days=365), date.today()
    app = DeskApp(desk, username="boss", password=ADMIN_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f8")
        assert screen_name(app) == "ReportsScreen"
        await type_text(pilot, first.isoformat())
        await step(pilot, "enter")
        table = app.screen.query_one("#report", DataTable)
        shown = texts(app)
        assert "10 SLP Sessions" in shown and "20 ABA Therapy Package" in shown
        assert table.row_count == len(admin.package_report(first, last))
        await step(pilot, "ctrl+e")
        written = tmp_path / f"deskbook-packages-{first}-{last}.csv"
        assert any(str(written) in n for n in notes(app))
        expected = io.StringIO()
        write_csv(admin.package_report(first, last), "packages", expected)
        assert written.read_bytes().decode("utf-8") == expected.getvalue()
        # Revenue, one clinic.
        app.screen.query_one("#report-kind", Select).value = "revenue"
        app.screen.query_one("#report-clinic", Select).value = str(admin.clinics_for()[0].id)
        app.screen.query_one("#report-to").focus()
        await step(pilot, "enter")
        labels = [str(c.label) for c in table.columns.values()]
        assert labels == ["clinic", "sold", "sales", "received", "balance due", "refunds due"]
        assert table.row_count == 1
    rows = list(csv.reader(io.StringIO(expected.getvalue())))
    assert rows[0][:2] == ["package_id", "package"]
