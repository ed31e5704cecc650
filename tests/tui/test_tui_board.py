"""The board through the screens (issue 13): home clinic, the cell cursor, booking a free cell,
the visit keys, the waitlist offer after a cancel, days and dates, scrolling providers, and a
second desk's board that follows the first desk's cancel without a key."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import col
from textual.pilot import Pilot
from tui_pilot import (
    add_providers,
    book_seeded,
    frames_sent,
    highlighted,
    make_app,
    notes,
    screen_name,
    set_home,
    settle,
    step,
    stop_the_clock,
    texts,
    tomorrow_at,
    type_text,
)

from deskbook.db.engine import make_engine, write_session
from deskbook.db.models import ProviderSchedule
from deskbook.desk import Desk
from deskbook.errors import DatabaseError
from deskbook.testing import tui_clinic
from deskbook.testing.clock import TZ
from deskbook.tui.app import DeskApp
from deskbook.tui.screens.base import day_label
from deskbook.tui.widgets.board_grid import BoardGrid

SIZES = [(80, 24), (160, 48)]


def grid(app: Any) -> BoardGrid:
    found: BoardGrid = app.screen.query_one(BoardGrid)
    return found


async def open_board(pilot: Pilot[Any], *, tomorrow: bool = True) -> BoardGrid:
    await settle(pilot)
    await step(pilot, "f5")
    assert screen_name(pilot.app) == "BoardScreen"
    if tomorrow:
        await step(pilot, "right_square_bracket")
    return grid(pilot.app)


async def put_cursor(pilot: Pilot[Any], provider_column: int, hour: int, minute: int = 0) -> None:
    """Walk the cursor with the arrow keys to the provider's row of the hour (tomorrow)."""
    board = grid(pilot.app)
    assert board.board is not None
    when = tomorrow_at(hour, minute)
    target = next(i for i, t in enumerate(board.board.times) if t == when)
    while board.cursor_column != provider_column:
        await pilot.press("right" if board.cursor_column < provider_column else "left")
    while board.cursor_row != target:
        await pilot.press("down" if board.cursor_row < target else "up")
    await settle(pilot)


def cell_at(app: Any, provider_column: int, hour: int) -> str:
    board = grid(app)
    assert board.board is not None
    row = next(i for i, t in enumerate(board.board.times) if t == tomorrow_at(hour))
    return str(board.get_cell_at((row, provider_column)))


def visit_text(app: Any, provider_column: int, hour: int) -> str:
    """A visit told over its rows (patient, service, status), read back as one line."""
    board = grid(app)
    assert board.board is not None
    row = next(i for i, t in enumerate(board.board.times) if t == tomorrow_at(hour))
    lines = [str(board.get_cell_at((row + n, provider_column))) for n in range(3)]
    return " · ".join(line.removeprefix("┆ ") for line in lines)


@pytest.mark.parametrize("size", SIZES)
async def test_board_opens_on_home_clinic_and_k_switches(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    set_home(clinic, "aba")
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        board = await open_board(pilot, tomorrow=False)
        assert "ABA Clinic" in texts(app)
        assert board.names == ["Lina Haddad"]
        await step(pilot, "k")
        assert screen_name(app) == "PickScreen"
        while "SLP Clinic" not in highlighted(app):
            await pilot.press("down")
        await step(pilot, "enter")
        assert grid(app).names == ["Dr. Huda Saleh", "Dr. Omar Nasser"]
        assert "SLP Clinic" in texts(app)


@pytest.mark.parametrize("size", SIZES)
async def test_enter_on_a_free_cell_books_there_and_on_a_visit_opens_the_patient(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    set_home(clinic, "slp")
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await open_board(pilot)
        assert cell_at(app, 1, 12) == "free"
        await put_cursor(pilot, 1, 12)
        await step(pilot, "enter")
        assert screen_name(app) == "PatientFinder"
        await type_text(pilot, "Noor")
        await step(pilot, "enter")
        # Omar gives one service here: no service question, straight to the confirmation.
        assert screen_name(app) == "ConfirmScreen"
        shown = texts(app)
        assert "Noor Haddad" in shown and "Dr. Omar Nasser" in shown and "SLP Session" in shown
        await step(pilot, "enter")
        assert screen_name(app) == "BoardScreen"
        assert visit_text(app, 1, 12) == "Noor Haddad · SLP Session · booked"
        await step(pilot, "enter")  # the cursor stayed on the new visit
        assert screen_name(app) == "PatientScreen"
        assert "MRN-0002" in texts(app)


@pytest.mark.parametrize("size", SIZES)
async def test_a_free_row_no_service_can_start_on_says_so_before_any_write(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    set_home(clinic, "slp")
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await open_board(pilot)
        # Rows are 15 minutes; the 45-minute SLP slots start at 12:00 and 12:45, not 12:15.
        await put_cursor(pilot, 1, 12, 15)
        assert str(grid(app).get_cell_at(grid(app).cursor_coordinate)) == "free"
        await step(pilot, "enter")
        await type_text(pilot, "Noor")
        await step(pilot, "enter")
        assert screen_name(app) == "BoardScreen"
        assert any("No service fits at 12:15" in n for n in notes(app))
    assert desk.login("frontdesk", tui_clinic.PASSWORD).appointments_of(clinic.ids["noor"]) == []


@pytest.mark.parametrize("size", SIZES)
async def test_cancel_on_the_board_offers_the_waitlist_and_books_in_two_keys(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    set_home(clinic, "slp")
    book_seeded(desk, clinic, "rana", "huda", tomorrow_at(12))
    ids = clinic.ids
    desk.login("frontdesk", tui_clinic.PASSWORD).waitlist_add(
        ids["noor"], ids["slp_service"], clinic_id=ids["slp"]
    )
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await open_board(pilot)
        assert visit_text(app, 0, 12) == "Rana Khalil · SLP Session · booked"
        await put_cursor(pilot, 0, 12)
        await step(pilot, "x")
        assert screen_name(app) == "ReasonScreen"
        await step(pilot, "enter")
        assert screen_name(app) == "WaitlistOffer"
        assert "Noor Haddad" in texts(app)
        await step(pilot, "enter")  # pick
        await step(pilot, "enter")  # confirm
        assert screen_name(app) == "BoardScreen"
        assert visit_text(app, 0, 12) == "Noor Haddad · SLP Session · booked"
        assert any("from the waitlist" in n for n in notes(app))
        session = desk.login("frontdesk", tui_clinic.PASSWORD)
        assert session.waitlist() == []


@pytest.mark.parametrize("size", SIZES)
async def test_arrived_and_reschedule_keys_act_on_the_visit_under_the_cursor(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    set_home(clinic, "slp")
    book_seeded(desk, clinic, "rana", "huda", tomorrow_at(12))
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await open_board(pilot)
        await put_cursor(pilot, 0, 12)
        await step(pilot, "r")
        assert screen_name(app) == "SlotScreen"
        await step(pilot, "escape")
        await put_cursor(pilot, 1, 13)
        await step(pilot, "a")  # a free cell: nothing to mark
        assert any("No visit here" in n for n in notes(app))


@pytest.mark.parametrize("size", SIZES)
async def test_right_past_the_last_visible_provider_scrolls_and_days_move(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    set_home(clinic, "slp")
    add_providers(clinic, 4)
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        board = await open_board(pilot, tomorrow=False)
        assert len(board.names) == 6
        for _ in range(5):
            await pilot.press("right")
        await settle(pilot)
        assert board.cursor_column == 5
        if size[0] == 80:
            assert board.scroll_x > 0  # the last providers came into view
        else:
            assert board.scroll_x == 0  # a wide terminal shows all six at once
            assert board.cell_width >= 22
        today = datetime.now(TZ).date()
        await step(pilot, "right_square_bracket", "right_square_bracket")
        assert board.board is not None and board.board.day == today + timedelta(days=2)
        await step(pilot, "t")
        assert board.board.day == today
        await step(pilot, "g")
        assert screen_name(app) == "DateScreen"
        await type_text(pilot, "+3")
        await step(pilot, "enter")
        shown = grid(app).board
        assert shown is not None and shown.day == today + timedelta(days=3)


@pytest.mark.parametrize("size", SIZES)
async def test_providers_beyond_the_window_are_reached_by_arrows_with_their_visits(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    """16 providers: the board reads a window of them (8 at 80 columns, 12 at 160); → past
    the window brings the next providers and their visits, ← goes back."""
    set_home(clinic, "slp")
    added = add_providers(clinic, 14)
    last = added[9]  # "Therapist 9" sorts last of the 16
    session = desk.login("frontdesk", tui_clinic.PASSWORD)
    session.book(clinic.ids["rana"], clinic.ids["slp_service"], last, tomorrow_at(11))
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        board = await open_board(pilot)
        assert board.board is not None and board.board.provider_count == 16
        assert len(board.names) < 16 and "Therapist 9" not in board.names
        assert f"providers 1–{len(board.names)} of 16" in texts(app)
        for _ in range(15):
            await step(pilot, "right")
        assert board.provider_index() == 15
        assert board.names[board.cursor_column] == "Therapist 9"
        assert visit_text(app, board.cursor_column, 11) == "Rana Khalil · SLP Session · booked"
        assert "of 16" in texts(app) and "providers 1–" not in texts(app)
        await step(pilot, "right")  # the last provider: nothing further
        assert board.provider_index() == 15
        for _ in range(15):
            await step(pilot, "left")
        assert board.provider_index() == 0 and board.names[0] == "Dr. Huda Saleh"
        assert board.board is not None and board.board.first == 0


async def at_the_window_edge(pilot: Pilot[Any]) -> tuple[BoardGrid, int]:
    """The board on tomorrow with the cursor on the window's last provider (its column is
    returned): with more providers than a window, the next → goes past the edge."""
    board = await open_board(pilot)
    last = len(board.names) - 1
    for _ in range(last):
        await pilot.press("right")
    await settle(pilot)
    assert board.cursor_column == last
    return board, last


async def test_an_older_board_landing_after_a_press_past_the_edge_keeps_the_cursor_going(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    """→ past the window's last provider asks for the next window. The answer to a board read
    asked for before the key (a live refresh), coming in after it, is not shown: it would put
    the old window back and the cursor on the provider before the one asked for."""
    set_home(clinic, "slp")
    add_providers(clinic, 14)
    app = make_app(desk)
    async with app.run_test(size=SIZES[0]) as pilot:
        board, last = await at_the_window_edge(pilot)
        screen = app.screen
        older, stale = board.board, screen.asked
        assert older is not None and older.provider_count > last + 1
        await pilot.press("right")  # past the edge: the next window is asked for
        assert screen.asked == stale + 1
        screen.answered(stale, older)  # the live refresh's answer comes in after it
        await settle(pilot)
        assert board.provider_index() == last + 1
        assert board.board is not None and board.board.first > 0


async def test_a_login_that_may_not_see_the_board_signs_in_without_a_word_and_f5_says_why(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    """After sign-in the app reads the board F5 would open once, to have it warm. A login
    that may not see the board (a provider's) is told nothing then; F5 says why."""
    from deskbook.staff import create_staff

    create_staff(
        desk.engine,
        username="huda",
        display_name="Dr. Huda Saleh",
        role="PROVIDER",
        password=tui_clinic.PASSWORD,
        provider=str(clinic.ids["huda"]),
    )
    app = DeskApp(desk, username="huda", password=tui_clinic.PASSWORD)
    async with app.run_test(size=SIZES[0]) as pilot:
        await settle(pilot)
        await app.workers.wait_for_complete()  # the warm-up's read among them
        await settle(pilot)
        assert screen_name(app) == "SearchScreen" and notes(app) == []
        await step(pilot, "f5")
        assert notes(app) == ["Your role (provider) cannot book."]


async def test_a_resize_while_the_next_window_is_read_keeps_the_press_past_the_edge(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    """The terminal resized while → past the edge waits for its window: the board shown again
    at the new width keeps the ask, and the cursor goes on to the provider asked for."""
    set_home(clinic, "slp")
    add_providers(clinic, 14)
    app = make_app(desk)
    async with app.run_test(size=SIZES[0]) as pilot:
        board, last = await at_the_window_edge(pilot)
        read, gate = app.session.board, threading.Event()

        def held(*args: Any) -> Any:
            gate.wait(10)
            return read(*args)

        app.session.board = held  # type: ignore[method-assign]
        await pilot.press("right")  # past the edge: the next window is on its way
        await pilot.resize_terminal(SIZES[0][0] + 20, SIZES[0][1])
        await pilot.pause()
        gate.set()
        await settle(pilot)
        assert board.provider_index() == last + 1


async def test_an_older_read_made_again_after_an_outage_does_not_undo_a_newer_one(
    desk: Desk, clinic: tui_clinic.Seed, monkeypatch: Any
) -> None:
    """A board read stopped by an outage, then ] before the database is back: the next day's
    read replaces the stopped one, which is not made again when the database answers (it
    cancelled the newer read, and the board stayed on a day it no longer was on)."""
    monkeypatch.setattr(DeskApp, "PROBE_SECONDS", 1000.0)  # the return is told by hand
    app = make_app(desk)
    async with app.run_test(size=SIZES[0]) as pilot:
        await settle(pilot)
        await step(pilot, "f5")
        screen = app.screen
        read, how, gate = app.session.board, ["down"], threading.Event()

        def board(*args: Any) -> Any:
            if how[0] == "down":
                raise DatabaseError("The database is not answering.")
            gate.wait(10)
            return read(*args)

        app.session.board = board  # type: ignore[method-assign]
        screen.load()  # a live refresh's reload, stopped by the outage
        await pilot.pause(0.3)
        assert app.database_down
        how[0] = "slow"
        await pilot.press("right_square_bracket")  # the next day's read on its way
        await pilot.pause()
        screen.database_back()
        gate.set()
        await settle(pilot)
        assert grid(app).board is not None and grid(app).board.day == screen.day
        assert day_label(screen.day) in texts(app)


def scrollbars_agree(board: BoardGrid) -> bool:
    """The scrollbars show the grid's size, its window and where it is scrolled."""
    across, down = board.horizontal_scrollbar, board.vertical_scrollbar
    return (
        (down.window_virtual_size, down.window_size, down.position),
        (across.window_virtual_size, across.window_size, across.position),
    ) == (
        (board.virtual_size.height, board.scrollable_content_region.height, board.scroll_y),
        (board.virtual_size.width, board.scrollable_content_region.width, board.scroll_x),
    )


@pytest.mark.parametrize("size", SIZES)
async def test_the_board_comes_in_one_frame_with_its_scrollbars_where_it_is(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int], monkeypatch: Any
) -> None:
    """A board read in (], [, → past the window) is written in one frame, the scrollbars in
    it: Textual repainted them after every layout, in a frame of their own 17-30 ms after the
    board's, which a receptionist waited for too. F5 writes two in one go: the board laid out,
    then the whole screen, drawn for the first time. After every key (and a change of the
    terminal's size) the scrollbars show where the grid is."""
    from deskbook.tui.screens import board as board_screen

    # F5's frames are held back until its first read is in, however slow the machine.
    monkeypatch.setattr(board_screen, "HOLD_SECONDS", 30.0)
    set_home(clinic, "slp")
    add_providers(clinic, 14)
    stop_the_clock(monkeypatch, datetime.now(UTC))
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        frames = frames_sent(app, monkeypatch)
        keys = ["f5", "right_square_bracket", *["right"] * 13, "down", "end", "left_square_bracket"]
        read_in = 0
        for key in keys:
            before = getattr(app.screen, "board", None)
            frames.clear()
            await step(pilot, key)
            board = grid(app)
            assert board.board is not None
            if board.board is not before:
                read_in += 1
                assert frames == ["BoardScreen"] * (2 if key == "f5" else 1), f"{key}: {frames}"
            assert scrollbars_agree(board), key
        assert read_in >= 4  # F5, ], [ and at least one window past the edge
        assert board.provider_index() == 13 and board.scroll_y > 0
        for width, height in ((size[0] + 30, size[1] - 6), (size[0] - 10, size[1] + 4)):
            await pilot.resize_terminal(width, height)
            await settle(pilot)
            assert scrollbars_agree(board)
            view = board.scrollable_content_region
            assert (board.max_scroll_x, board.max_scroll_y) == (
                max(0, board.virtual_size.width - view.width),
                max(0, board.virtual_size.height - view.height),
            )
            assert board.scroll_y <= board.max_scroll_y and board.scroll_x <= board.max_scroll_x
            # The cursor's cell is in view.
            top = board.scroll_y
            assert top <= board.cursor_row < top + view.height - 1


async def test_another_desks_cancel_shows_on_this_board_without_a_key(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    set_home(clinic, "slp")
    visit = book_seeded(desk, clinic, "rana", "huda", tomorrow_at(12))
    other = Desk.open(clinic.url)
    try:
        watcher, canceller = make_app(desk), make_app(other)
        async with watcher.run_test(size=(160, 48)) as seen, canceller.run_test() as acting:
            await open_board(seen)
            await open_board(acting)
            assert visit_text(watcher, 0, 12) == "Rana Khalil · SLP Session · booked"
            await put_cursor(acting, 0, 12)
            await acting.press("x")
            await settle(acting)
            await acting.press("enter")
            await settle(acting)
            assert cell_at(canceller, 0, 12) == "free"
            # No key on the watching desk: its poll sees the change and reloads.
            for _ in range(100):
                if cell_at(watcher, 0, 12) == "free":
                    break
                await asyncio.sleep(0.1)
            assert cell_at(watcher, 0, 12) == "free"
            assert grid(watcher).find_visit(visit.id) is None
    finally:
        other.close()


async def test_the_safe_desk_rules_hold_on_the_board(desk: Desk, clinic: tui_clinic.Seed) -> None:
    """Issue 10 on the board (VisitActions, shared with the day sheet): tomorrow's visit cannot
    arrive or be a no-show today; a cancel is asked first, naming the visit; a time the patient
    cannot take is said before any confirm; a free cell's confirm carries the Desk's session
    number and takes notes."""
    set_home(clinic, "slp")
    ids = clinic.ids
    book_seeded(desk, clinic, "rana", "huda", tomorrow_at(12))
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_board(pilot)
        await put_cursor(pilot, 0, 12)
        for key in ("a", "n"):  # refused at once, in the Desk's words; nothing asked
            await step(pilot, key)
            assert screen_name(app) == "BoardScreen"
            assert any("on that day, not before" in n for n in notes(app)), notes(app)
            app._notifications.clear()
        await step(pilot, "x")
        assert screen_name(app) == "ReasonScreen"
        shown = texts(app)
        for words in ("Patient   Rana Khalil", "SLP Session", "Dr. Huda Saleh"):
            assert words in shown, shown
        await step(pilot, "escape")
        await put_cursor(pilot, 1, 12)  # Omar is free at 12:00, Rana is not (issue 10 #5)
        await step(pilot, "enter")
        await type_text(pilot, "Rana")
        await step(pilot, "enter")
        assert screen_name(app) == "BoardScreen"
        assert any("cannot be taken: the patient has" in n for n in notes(app)), notes(app)
        await put_cursor(pilot, 1, 13, 30)
        await step(pilot, "enter")
        await type_text(pilot, "Rana")
        await step(pilot, "enter")
        assert screen_name(app) == "ConfirmScreen"
        confirm = texts(app)
        await type_text(pilot, "needs the quiet room")
        await step(pilot, "enter")
        assert screen_name(app) == "BoardScreen"
    visits = desk.login("frontdesk", tui_clinic.PASSWORD).appointments_of(ids["rana"])
    assert [v.status for v in visits] == ["BOOKED", "BOOKED"]
    assert visits[1].notes == "needs the quiet room"
    # The confirm said what the booking then did (the Desk's number, not the screen's count).
    assert f"Session {visits[1].session_number} of {visits[1].session_total}" in confirm, confirm


async def test_a_day_nobody_works_says_so_rather_than_an_empty_clinic(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    set_home(clinic, "aba")
    tomorrow = tomorrow_at(9).astimezone(TZ).date()
    engine = make_engine(clinic.url)
    with write_session(engine) as s:  # the ABA clinic closed on tomorrow's weekday
        s.execute(
            delete(ProviderSchedule).where(
                col(ProviderSchedule.clinic_id) == clinic.ids["aba"],
                col(ProviderSchedule.weekday) == tomorrow.weekday(),
            )
        )
    engine.dispose()
    app = make_app(desk)
    async with app.run_test(size=SIZES[0]) as pilot:
        board = await open_board(pilot)
        assert board.names == []
        assert f"Nobody works here on {tomorrow:%a %d %b}" in texts(app)
        await step(pilot, "right_square_bracket")
        assert board.names == ["Lina Haddad"]


async def test_the_board_shows_when_its_first_read_is_slow_or_refused(
    desk: Desk, monkeypatch: Any
) -> None:
    """F5 holds the board's frames back for its first read, and only so long: a read slower
    than the hold shows the screen meanwhile, a refused one shows it with what went wrong."""
    from deskbook.errors import PermissionDenied
    from deskbook.tui.screens import board as board_screen

    opening = board_screen.read_opening

    def slow(*args: Any) -> Any:
        time.sleep(1.5)
        return opening(*args)

    def refused(*_args: Any) -> Any:
        raise PermissionDenied("A provider login cannot see the board.")

    app = make_app(desk)
    async with app.run_test(size=SIZES[0]) as pilot:
        await settle(pilot)
        for read, said in ((slow, None), (refused, "cannot see the board")):
            monkeypatch.setattr(board_screen, "read_opening", read)
            written = frames_sent(app, monkeypatch)
            await pilot.press("f5")
            await asyncio.sleep(board_screen.HOLD_SECONDS + 0.4)
            assert screen_name(app) == "BoardScreen"
            assert "BoardScreen" in written, "the board was not drawn after the hold"
            if said is not None:
                assert any(said in n for n in notes(app))
            await app.workers.wait_for_complete()
            monkeypatch.undo()
            await step(pilot, "escape")
