"""A booking whose COMMIT answer is lost (issue 11, #8): the slot screen sends it again by
itself, under the same request id, once the database answers, and books it once.

PostgreSQL only: the link is cut by deskbook.testing.tcp_proxy just as the server answers the
booking's COMMIT, so the booking has landed and the desk was told the database went away.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from tui_pilot import SIZE, Keys, make_app, notes, open_patient, screen_name, settle

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.testing.tcp_proxy import TcpProxy
from deskbook.tui.app import DeskApp
from deskbook.tui.widgets.slot_grid import SlotGrid

pytestmark = pytest.mark.parametrize("engine_kind", ["postgres"], indirect=True)


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DeskApp, "PROBE_SECONDS", 0.2)


@pytest.fixture
def proxied(clinic: tui_clinic.Seed) -> Iterator[tuple[Desk, TcpProxy]]:
    parsed = make_url(clinic.url)
    with TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432) as proxy:
        through = parsed.set(host="127.0.0.1", port=proxy.port)
        desk = Desk.open(through.render_as_string(hide_password=False))
        try:
            yield desk, proxy
        finally:
            desk.close()


async def test_a_booking_cut_at_commit_is_sent_again_by_itself_and_booked_once(
    proxied: tuple[Desk, TcpProxy], clinic: tui_clinic.Seed
) -> None:
    desk, proxy = proxied
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_patient(pilot, "rana")
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
