"""The TUI tier: Pilot tests of the screens. The clinic is deskbook.testing.tui_clinic; how to
drive the app (settle, read the screen, count keystrokes) is in tui_pilot.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
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
