"""How a screen's Desk calls come back after an outage: a read is made again by itself, a write
never is, whatever it is called. Whether a call writes is said where it is made (read/write), so
a new write cannot be replayed by being left off a list.

No database: a stand-in session fails while `down` is set, as a lost server does."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from tui_pilot import SIZE, notes, settle

from deskbook.errors import DatabaseError
from deskbook.results import PatientMatches, StaffView
from deskbook.statuses import Role
from deskbook.tui.app import DeskApp
from deskbook.tui.screens.base import DeskScreen
from deskbook.tui.widgets.db_banner import BANNER_ID


class FlakySession:
    """Answers like a DeskSession, or raises DatabaseError while the server is down."""

    def __init__(self) -> None:
        self.down = False
        self.calls: list[str] = []
        self.staff = StaffView(
            id=uuid.uuid4(),
            username="frontdesk",
            display_name="Mona Front",
            role=Role.FRONT_DESK,
            tenant_id=uuid.uuid4(),
            tenant_name="Test Clinic",
            timezone="Asia/Riyadh",
            currency="SAR",
            provider_id=None,
        )

    def _answer(self, name: str) -> str:
        self.calls.append(name)
        if self.down:
            raise DatabaseError("PostgreSQL is not answering.")
        return name

    def search_patients(self, query: str, limit: int = 50) -> list[Any]:
        self._answer("search")
        return []

    def find_patients(self, query: str, limit: int = 50) -> PatientMatches:
        self._answer("search")
        return PatientMatches((), 0, more=False)

    def look(self) -> str:
        return self._answer("look")

    def change(self) -> str:
        return self._answer("change")


class FlakyDesk:
    def __init__(self, session: FlakySession) -> None:
        self.session = session

    def login(self, username: str, password: str) -> FlakySession:
        return self.session


class TwoCalls(DeskScreen[None]):
    """A screen that reads one thing and writes another as it opens."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[str] = []

    def on_mount(self) -> None:
        self.read("look", self.session.look, self.answers.append)
        self.write("change", self.session.change, self.answers.append)


@pytest.fixture(autouse=True)
def quick_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DeskApp, "PROBE_SECONDS", 0.05)


async def test_after_an_outage_the_read_is_made_again_and_the_write_is_not() -> None:
    session = FlakySession()
    app = DeskApp(FlakyDesk(session), username="frontdesk", password="secret")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.session is session
        session.down = True
        screen = TwoCalls()
        await app.push_screen(screen)
        await settle(pilot)
        assert app.database_down
        assert screen.query(f"#{BANNER_ID}")
        assert (session.calls.count("look"), session.calls.count("change")) == (1, 1)
        assert screen.answers == []
        assert "PostgreSQL is not answering." in notes(app)  # the write said it was not done

        session.down = False
        for _ in range(100):
            await pilot.pause(0.05)
            if not app.database_down:
                break
        await settle(pilot)
        assert not app.database_down
        assert not screen.query(f"#{BANNER_ID}")
        assert (session.calls.count("look"), session.calls.count("change")) == (2, 1)
        assert screen.answers == ["look"]  # the read came back; the write waits for the user
