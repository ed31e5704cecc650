"""The TUI tier: Pilot tests of the screens. The clinic is deskbook.testing.tui_clinic; how to
drive the app (settle, read the screen, count keystrokes) is in tui_pilot.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tui_pilot import ADMIN_PASSWORD

from deskbook.desk import Desk
from deskbook.staff import create_staff
from deskbook.testing import tui_clinic
from deskbook.testing.tcp_proxy import TcpProxy, through_proxy
from deskbook.tui.screens.search import SearchScreen


@pytest.fixture(autouse=True)
def no_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    # The debounce is for typing hands; in a test it would only be a timer to wait out.
    monkeypatch.setattr(SearchScreen, "DEBOUNCE_SECONDS", 0.0)


@pytest.fixture
def clinic(db_url: str) -> tui_clinic.Seed:
    return tui_clinic.build(db_url)


@pytest.fixture
def desk(clinic: tui_clinic.Seed) -> Iterator[Desk]:
    opened = Desk.open(clinic.url)
    yield opened
    opened.close()


@pytest.fixture
def admin(desk: Desk) -> str:
    """An administrator login ("boss") on the TUI clinic's desk; the fixture is its password."""
    create_staff(
        desk.engine,
        username="boss",
        display_name="Clinic Admin",
        role="ADMIN",
        password=ADMIN_PASSWORD,
    )
    return ADMIN_PASSWORD


@pytest.fixture
def proxied(clinic: tui_clinic.Seed) -> Iterator[tuple[Desk, TcpProxy]]:
    """A desk that reaches the clinic's PostgreSQL through a TCP proxy the test can stall or
    cut (settings such as DESKBOOK_CALL_DEADLINE are read when it opens)."""
    with through_proxy(clinic.url) as (through, proxy):
        desk = Desk.open(through)
        try:
            yield desk, proxy
        finally:
            desk.close()
