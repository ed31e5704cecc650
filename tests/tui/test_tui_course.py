"""Courses of treatment through the screens (issue 14), on both engines: the course form
prefilled, the review of every visit, a slot taken by another desk meanwhile, and the
keystrokes to book a course for a found patient."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta

from textual.widgets import DataTable
from tui_pilot import (
    Keys,
    at_patient,
    make_app,
    notes,
    screen_name,
    step,
    texts,
    type_text,
)

from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.testing.clock import TZ


def booked_visits(desk: Desk, patient_id: object) -> list[datetime]:
    session = desk.login("frontdesk", tui_clinic.PASSWORD)
    return sorted(a.start for a in session.appointments_of(patient_id) if a.status == "BOOKED")


async def test_keystrokes_to_book_a_ten_session_course(desk: Desk, clinic: tui_clinic.Seed) -> None:
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        keys = Keys(pilot)
        await keys("c")
        # One usable package, one service: straight to the form, filled in.
        assert screen_name(app) == "CourseForm"
        shown = texts(app)
        tomorrow = datetime.now(TZ).date() + timedelta(days=1)
        assert tomorrow.isoformat() in shown
        assert "10 left" in shown
        await keys("enter")
        assert screen_name(app) == "CourseReview"
        table = app.screen.query_one("#review", DataTable)
        assert table.row_count == 10
        assert "Enter books 10 visits" in texts(app)
        await keys("enter")
        assert screen_name(app) == "PatientScreen"
        assert keys.count <= 12, keys.count
        assert any("Booked 10 visits of the course" in n for n in notes(app))
    visits = booked_visits(desk, clinic.ids["rana"])
    assert len(visits) == 10
    # Weekly on one weekday, from tomorrow: the first free time, seven days apart.
    assert visits[0].astimezone(TZ).date() == tomorrow
    assert all(b - a == timedelta(days=7) for a, b in itertools.pairwise(visits))


async def test_a_slot_taken_meanwhile_books_nothing_and_marks_it(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        await step(pilot, "c")
        await step(pilot, "enter")
        review = app.screen
        assert screen_name(app) == "CourseReview"
        third = review.plan.occurrences[2]  # type: ignore[attr-defined]
        # Another desk books the third visit's time with both SLP providers.
        other = desk.login("frontdesk", tui_clinic.PASSWORD)
        other.book(ids["noor"], ids["slp_service"], ids["huda"], third.start)
        other.book(ids["sami"], ids["slp_service"], ids["omar"], third.start)
        await step(pilot, "enter")
        assert screen_name(app) == "CourseReview"
        assert booked_visits(desk, ids["rana"]) == []
        assert any("Session 3 of the course" in n and "Nothing was booked" in n for n in notes(app))
        table = app.screen.query_one("#review", DataTable)
        row = [str(c) for c in table.get_row_at(2)]
        assert "taken meanwhile" in row[-1] and "provider busy" in row[-1]
        assert table.cursor_row == 2
        assert "Enter books 9 visits · 1 left out" in texts(app)
        # Take a same-day alternative for it, leave the next one out, book the rest.
        await step(pilot, "a")
        if screen_name(app) == "PickScreen":
            await step(pilot, "enter")
        row = [str(c) for c in table.get_row_at(2)]
        assert row[-1] == "changed by the desk" and row[2] != third.start.astimezone(TZ).strftime(
            "%H:%M"
        )
        await step(pilot, "down", "s")
        assert "Enter books 9 visits · 1 left out" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
    visits = booked_visits(desk, ids["rana"])
    assert len(visits) == 9
    assert third.start not in visits
    assert review.plan.occurrences[3].start not in visits  # type: ignore[attr-defined]


async def test_a_course_from_the_package_step_of_the_booking_flow(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with at_patient(app, "yusuf") as pilot:
        await step(pilot, "b", "p")
        assert screen_name(app) == "PackageChooser"
        assert app.screen.focused.purchase.id == ids["yusuf_first"]  # type: ignore[union-attr]
        await step(pilot, "c")
        assert screen_name(app) == "CourseForm"
        # Prefilled from his last visit: its weekday, 09:00 with Dr. Huda; 7 sessions left.
        shown = texts(app)
        assert "09:00" in shown and "7 left" in shown
        assert str(app.screen.query_one("#course-provider").value) == str(ids["huda"])  # type: ignore[attr-defined]
        await step(pilot, "escape")  # back to the form's caller: the chooser again
        assert screen_name(app) == "PackageChooser"
        await step(pilot, "c", "enter")
        assert screen_name(app) == "CourseReview"
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
    session = desk.login("frontdesk", tui_clinic.PASSWORD)
    course = [a for a in session.appointments_of(ids["yusuf"]) if a.status == "BOOKED"]
    assert len(course) == 7
    assert {a.purchase_id for a in course} == {ids["yusuf_first"]}
    assert {a.provider_id for a in course} == {ids["huda"]}
    assert sorted(a.session_number for a in course) == list(range(4, 11))
    assert {a.start.astimezone(TZ).strftime("%H:%M") for a in course} == {"09:00"}
    assert len({a.series_id for a in course}) == 1 and course[0].series_id is not None


async def test_cancel_and_reschedule_a_course_from_a_day(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    session = desk.login("frontdesk", tui_clinic.PASSWORD)
    tomorrow = datetime.now(TZ).date() + timedelta(days=1)
    plan = session.plan_series(
        ids["rana_slp"], ids["slp_service"], ("SUN", "TUE"), time(9), tomorrow, 6, ids["huda"]
    )
    session.book_series(ids["rana_slp"], ids["slp_service"], plan.choices, plan.rule)
    starts = booked_visits(desk, ids["rana"])
    assert len(starts) == 6
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        # From the third visit on: cancel the rest of the course.
        await step(pilot, "down", "down", "k")
        assert screen_name(app) == "PickScreen"
        await step(pilot, "enter")
        assert starts[2].astimezone(TZ).date().isoformat() in texts(app)
        await pilot.press("tab")
        await type_text(pilot, "family travels")
        await step(pilot, "enter")
        assert screen_name(app) == "DangerConfirm"
        assert "4 visits of SLP Session" in texts(app)
        await step(pilot, "tab", "enter")
        assert screen_name(app) == "PatientScreen"
        assert booked_visits(desk, ids["rana"]) == starts[:2]
        # The two left move to 11:15 from the first one's day.
        await step(pilot, "up", "up", "k", "down", "enter")
        assert screen_name(app) == "FormDialog"
        await pilot.press("tab", "tab")
        await type_text(pilot, "11:15")
        await step(pilot, "enter")
        assert screen_name(app) == "ConfirmScreen"
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
    moved = booked_visits(desk, ids["rana"])
    assert len(moved) == 2
    assert {m.astimezone(TZ).strftime("%H:%M") for m in moved} == {"11:15"}
    assert [m.astimezone(TZ).date() for m in moved] == [s.astimezone(TZ).date() for s in starts[:2]]
