"""The link under a desk going wrong in the two ways issue 11 names, PostgreSQL only (played by
deskbook.testing.tcp_proxy): a booking whose COMMIT answer is lost (#8) is sent again by the
slot screen itself, under the same request id, and booked once; a link that stalls under a
live connection (#3) shows the outage banner within the call deadline, not a frozen desk.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from textual.widgets import Input
from tui_pilot import (
    SIZE,
    Keys,
    at_patient,
    book_seeded,
    make_app,
    notes,
    screen_name,
    settle,
    step,
    texts,
    tomorrow_at,
    type_text,
)

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.testing.tcp_proxy import TcpProxy
from deskbook.tui.app import DeskApp
from deskbook.tui.widgets.db_banner import BANNER_ID
from deskbook.tui.widgets.slot_grid import SlotGrid

pytestmark = pytest.mark.parametrize("engine_kind", ["postgres"], indirect=True)


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DeskApp, "PROBE_SECONDS", 0.2)
    monkeypatch.setenv("DESKBOOK_CALL_DEADLINE", "2")  # read by Desk.open in `proxied`


async def test_a_booking_cut_at_commit_is_sent_again_by_itself_and_booked_once(
    proxied: tuple[Desk, TcpProxy], clinic: tui_clinic.Seed
) -> None:
    desk, proxy = proxied
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        keys = Keys(pilot)
        await keys("b", "p", "enter", "enter")  # book, package, its card, first available
        assert screen_name(app) == "SlotScreen"
        slot = app.screen.query_one(SlotGrid).chosen
        await keys("enter")
        assert screen_name(app) == "ConfirmScreen"

        def cut(_conn: Any) -> None:
            proxy.cut_at_next_answer()

        event.listen(desk.engine, "commit", cut, once=True)
        await keys("enter")
        for _ in range(150):  # bounded: the probe finds the server, the booking is re-sent
            await pilot.pause(0.1)
            if screen_name(app) == "PatientScreen":
                break
        await settle(pilot)
        assert screen_name(app) == "PatientScreen", notes(app)
        assert any(n.startswith("Booked") for n in notes(app)), notes(app)
    session = desk.login("frontdesk", tui_clinic.PASSWORD)
    booked = [a for a in session.appointments_of(clinic.ids["rana"]) if a.status != "CANCELLED"]
    assert [a.start for a in booked] == [slot]


async def test_a_stalled_link_shows_the_banner_and_the_search_comes_back(
    proxied: tuple[Desk, TcpProxy],
) -> None:
    desk, proxy = proxied
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "Ra")
        await settle(pilot)
        assert "Rana Khalil" in texts(app)
        proxy.stall()
        await type_text(pilot, "na")
        for _ in range(100):  # bounded: the deadline (2 s) ends the stalled search
            await pilot.pause(0.1)
            if app.screen.query(f"#{BANNER_ID}"):
                break
        assert app.screen.query(f"#{BANNER_ID}"), texts(app)
        assert app.screen.query_one("#search", Input).value == "Rana"
        proxy.up()
        for _ in range(150):
            await pilot.pause(0.1)
            if not app.database_down:
                break
        await settle(pilot)
        assert not app.screen.query(f"#{BANNER_ID}")
        assert "Rana Khalil" in texts(app)


@pytest.mark.parametrize(("key", "lands_on"), [("f5", "BoardScreen"), ("f2", "SearchScreen")])
async def test_a_day_sheet_whose_cancel_waits_for_the_database_is_not_closed(
    proxied: tuple[Desk, TcpProxy], clinic: tui_clinic.Seed, key: str, lands_on: str
) -> None:
    """F5 (back to the open board) and F2 (back to the search) close the views above, but not
    a view whose write waits out an outage: the cancel would be lost with it."""
    desk, proxy = proxied
    book_seeded(desk, clinic, "noor", "lina", tomorrow_at(10, days=2))
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await step(pilot, "f5", "f3", "right", "right")  # the board, a day sheet above it
        sheet = app.screen
        assert screen_name(app) == "DaySheetScreen" and "Noor Haddad" in texts(app)
        await step(pilot, "x")
        assert screen_name(app) == "ReasonScreen"
        await type_text(pilot, "family travel")
        proxy.down()
        await step(pilot, "enter")
        assert app.database_down
        await step(pilot, key)
        assert screen_name(app) == lands_on
        assert sheet in app.screen_stack  # kept, with the cancel it owes
        proxy.up()
        for _ in range(150):  # bounded: the probe finds the server, the cancel is re-sent
            await pilot.pause(0.1)
            if not app.database_down:
                break
        await settle(pilot)
    session = desk.login("frontdesk", tui_clinic.PASSWORD)
    assert [a.status for a in session.appointments_of(clinic.ids["noor"])] == ["CANCELLED"]
