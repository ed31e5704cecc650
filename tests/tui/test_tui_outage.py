"""The front desk while PostgreSQL is unreachable: a banner, the typed input kept, and
recovery by itself once the server is back.

The outage is played by a TCP proxy in front of the shared server
(deskbook.testing.tcp_proxy), so the server other tests use is never stopped. PostgreSQL only:
an SQLite file cannot go away.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input
from tui_pilot import (
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
from deskbook.testing import tui_clinic
from deskbook.testing.tcp_proxy import TcpProxy
from deskbook.tui.app import DeskApp
from deskbook.tui.widgets.db_banner import BANNER_ID, BANNER_TEXT

pytestmark = pytest.mark.parametrize("engine_kind", ["postgres"], indirect=True)


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DeskApp, "PROBE_SECONDS", 0.2)


def banner_shown(app: Any) -> bool:
    return bool(app.screen.query(f"#{BANNER_ID}"))


async def until_recovered(pilot: Any) -> None:
    """Short pauses until the probe has found the server; bounded, so a hang fails."""
    for _ in range(150):
        await pilot.pause(0.1)
        if not pilot.app.database_down:
            break
    await settle(pilot)


async def test_search_during_an_outage_keeps_the_input_and_recovers_by_itself(
    proxied: tuple[Desk, TcpProxy],
) -> None:
    desk, proxy = proxied
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen_name(app) == "SearchScreen"
        await type_text(pilot, "Ra")
        assert "Rana Khalil" in texts(app)
        assert not banner_shown(app)

        proxy.down()
        await type_text(pilot, "na")
        assert banner_shown(app), texts(app)
        assert BANNER_TEXT in texts(app)
        assert screen_name(app) == "SearchScreen"
        assert app.screen.query_one("#search", Input).value == "Rana"
        assert app.database_down
        # Typing goes on while the server is away; the input keeps every key.
        await type_text(pilot, " K")
        assert app.screen.query_one("#search", Input).value == "Rana K"
        assert banner_shown(app)

        proxy.up()
        await until_recovered(pilot)
        assert not app.database_down
        assert not banner_shown(app)
        assert "Database is back." in notes(app)
        assert screen_name(app) == "SearchScreen"
        assert app.screen.query_one("#search", Input).value == "Rana K"
        assert "Rana Khalil" in texts(app)
        assert app.screen.shown_query == "Rana K"


async def test_patient_screen_waits_for_the_server_instead_of_closing(
    proxied: tuple[Desk, TcpProxy],
) -> None:
    """A read that fails as a screen opens is made again after the outage, and the screen
    stays open meanwhile (its failure handler would have closed it)."""
    desk, proxy = proxied
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "Yusuf")
        proxy.down()
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert banner_shown(app)
        assert "Yusuf Salem" not in texts(app)

        proxy.up()
        await until_recovered(pilot)
        assert not banner_shown(app)
        assert "Yusuf Salem" in texts(app)


async def test_a_write_during_an_outage_keeps_the_dialog_and_is_not_repeated_by_itself(
    proxied: tuple[Desk, TcpProxy],
) -> None:
    desk, proxy = proxied
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "Zaid Qasim")
        await step(pilot, "ctrl+n")
        assert screen_name(app) == "RegisterScreen"
        app.screen.query_one("#phone", Input).value = "0509998877"
        app.screen.query_one("#date_of_birth", Input).value = "2019-04-23"

        proxy.down()
        await step(pilot, "enter")
        assert screen_name(app) == "RegisterScreen"
        assert banner_shown(app)
        assert "PostgreSQL" in texts(app)  # the dialog says the save did not happen
        assert app.screen.query_one("#name_en", Input).value == "Zaid Qasim"
        assert app.screen.query_one("#phone", Input).value == "0509998877"

        proxy.up()
        await until_recovered(pilot)
        assert not banner_shown(app)
        assert screen_name(app) == "RegisterScreen"
        session = desk.login("frontdesk", tui_clinic.PASSWORD)
        assert session.search_patients("Zaid Qasim") == []
        await step(pilot, "enter")  # the user saves again, now it goes through
        assert screen_name(app) == "PatientScreen", texts(app)
    assert len(session.search_patients("Zaid Qasim")) == 1
