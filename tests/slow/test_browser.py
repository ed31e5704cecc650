"""The front desk in a real browser: Debian's chromium, headless, driven by Playwright, against
`deskbook serve`. Log in, find a patient by her Arabic name, book a visit, and find the
booking in the database. What the browser is sent is read off the websocket."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from served import Screen, serving

from deskbook.desk import Desk
from deskbook.display import visual
from deskbook.testing import tui_clinic

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")


@pytest.fixture
def clinic(sqlite_template: Path, tmp_path: Path) -> tui_clinic.Seed:
    path = tmp_path / "desk.db"
    shutil.copyfile(sqlite_template, path)
    return tui_clinic.build(f"sqlite:///{path}")


@pytest.fixture
def browser() -> Any:
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


def step(page: Any, screen: Screen, keys: list[str], shows: str, limit_s: float = 60) -> None:
    """Type keys meant for one screen, then wait until the next one shows `shows`."""
    mark = len(screen.text)
    for key in keys:
        if key in ("Enter", "Tab", "ArrowDown"):
            page.keyboard.press(key)
        else:
            page.keyboard.type(key)
    deadline = time.monotonic() + limit_s
    while shows not in screen.since(mark):
        assert time.monotonic() < deadline, f"{shows!r} never shown: {screen.text[-600:]!r}"
        page.wait_for_timeout(100)


def test_book_a_visit_from_the_browser(
    clinic: tui_clinic.Seed, browser: Any, tmp_path: Path
) -> None:
    with serving(clinic.url, log=tmp_path / "serve.log") as base:
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        screen = Screen()
        page.on("websocket", lambda ws: ws.on("framereceived", screen.feed))
        page.goto(base + "/")
        step(page, screen, [], "Password")
        page.click("#terminal")
        step(page, screen, ["frontdesk"], "frontdesk")
        # A key typed while the focus moves may land in the field it leaves: wait for the
        # password field to be painted focused before typing into it.
        step(page, screen, ["Tab"], "password")
        step(page, screen, ["frontdesk"], "•••••••••")
        step(page, screen, ["Enter"], "Name (English or")
        mark = len(screen.text)
        step(page, screen, ["رنا"], "MRN-0001")
        # The browser's terminal (xterm.js) does no BiDi: the app paints the name itself,
        # reordered and joined (the default mode for the browser).
        assert visual("خليل") in screen.since(mark)
        step(page, screen, ["Enter"], "☎")  # the patient, loaded
        step(page, screen, ["b"], "Single session")
        step(page, screen, ["p"], "used")
        step(page, screen, ["Enter"], "Which provider?")
        step(page, screen, ["Enter"], "free slots")  # first available
        step(page, screen, ["Enter"], "of 10")
        step(page, screen, ["Enter"], "☎")  # the patient, loaded
    desk = Desk.open(clinic.url)
    try:
        session = desk.login("frontdesk", tui_clinic.PASSWORD)
        booked = [a for a in session.appointments_of(clinic.ids["rana"]) if a.status != "CANCELLED"]
    finally:
        desk.close()
    assert len(booked) == 1, screen.text[-1500:]
    assert (booked[0].kind, booked[0].purchase_id) == ("PACKAGE", clinic.ids["rana_slp"])


def test_a_page_of_another_site_cannot_open_a_desk(
    clinic: tui_clinic.Seed, browser: Any, tmp_path: Path
) -> None:
    with serving(clinic.url, log=tmp_path / "serve.log") as base:
        page = browser.new_page()
        # A page that claims to come from elsewhere, as a phishing page would.
        page.route(
            "http://evil.example/",
            lambda route: route.fulfill(status=200, content_type="text/html", body="<p>hi</p>"),
        )
        page.goto("http://evil.example/")
        ws_url = base.replace("http:", "ws:") + "/ws"
        assert page.evaluate(OPEN_WEBSOCKET, ws_url) == "refused"
        # The same from the desk's own page opens it.
        page.goto(base + "/")
        assert page.evaluate(OPEN_WEBSOCKET, ws_url) == "open"


OPEN_WEBSOCKET = """url => new Promise(done => {
    const ws = new WebSocket(url);
    ws.onopen = () => { done("open"); ws.close(); };
    ws.onerror = () => done("refused");
})"""
