"""The slot grid that gets anywhere fast, moving a visit from the patient screen, and putting a
patient on the waitlist from it (issue 13, points 5 and 7)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from textual.widgets import OptionList
from tui_pilot import (
    at_patient,
    make_app,
    notes,
    screen_name,
    settle,
    step,
    texts,
    type_text,
)

from deskbook.db.engine import make_engine, write_session
from deskbook.db.models import Provider, ProviderClinic, ProviderSchedule, ProviderService
from deskbook.desk import Desk
from deskbook.testing import tui_clinic
from deskbook.testing.clock import TZ
from deskbook.tui.screens.slots import Draft, SlotScreen
from deskbook.tui.widgets.slot_grid import SlotGrid

SIZES = [(80, 24), (160, 48)]


def today() -> date:
    return datetime.now(TZ).date()


def one_day_provider(clinic: tui_clinic.Seed, works_on: date) -> uuid.UUID:
    """A therapist at the SLP clinic who works only on the weekday of works_on, 08:00-12:00."""
    ids = clinic.ids
    engine = make_engine(clinic.url)
    with write_session(engine) as s:
        p = Provider(tenant_id=ids["tenant"], name_en="Dr. Once Weekly")
        s.add(p)
        s.flush()
        s.add(ProviderClinic(provider_id=p.id, clinic_id=ids["slp"], tenant_id=ids["tenant"]))
        s.add(
            ProviderService(
                provider_id=p.id, service_id=ids["slp_service"], tenant_id=ids["tenant"]
            )
        )
        s.add(
            ProviderSchedule(
                tenant_id=ids["tenant"],
                provider_id=p.id,
                clinic_id=ids["slp"],
                weekday=works_on.weekday(),
                start_time=time(8),
                end_time=time(12),
            )
        )
        provider_id = p.id
    engine.dispose()
    return provider_id


def draft_for(desk: Desk, clinic: tui_clinic.Seed, provider_id: uuid.UUID) -> Draft:
    s = desk.login("frontdesk", tui_clinic.PASSWORD)
    ids = clinic.ids
    return Draft(
        patient=s.get_patient(ids["noor"]),
        service=next(v for v in s.services_for() if v.id == ids["slp_service"]),
        clinic=next(c for c in s.clinics_for() if c.id == ids["slp"]),
        provider=next(p for p in s.providers_for(ids["slp"]) if p.id == provider_id),
    )


def grid(app: Any) -> SlotGrid:
    found: SlotGrid = app.screen.query_one(SlotGrid)
    return found


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), TZ).astimezone(UTC)


@pytest.mark.parametrize("size", SIZES)
async def test_right_jumps_empty_days_n_next_free_g_and_a_week(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    works_on = today() + timedelta(days=6)
    provider_id = one_day_provider(clinic, works_on)
    app = make_app(desk)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.push_screen(SlotScreen(draft_for(desk, clinic, provider_id)))
        await settle(pilot)
        assert grid(app).days[0] == today() and not grid(app).cells
        assert "No free slot on these days" in texts(app)
        await step(pilot, "n")
        assert grid(app).chosen == at(works_on, 8)
        assert [str(r.label) for r in grid(app).rows.values()][:2] == ["08:00", "08:45"]
        await step(pilot, "g")
        await type_text(pilot, "+0")
        await step(pilot, "enter")
        assert grid(app).days[0] == today()
        await step(pilot, "right")  # one key past five empty days
        assert grid(app).days[0] == today() + timedelta(days=5)
        assert grid(app).cells
        await step(pilot, "pagedown")
        assert grid(app).days[0] == today() + timedelta(days=12)
        await step(pilot, "pageup")
        assert grid(app).days[0] == today() + timedelta(days=5)


@pytest.mark.parametrize("size", SIZES)
async def test_reschedule_from_the_patient_screen_opens_on_its_day_and_says_from_to(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    ids = clinic.ids
    day = today() + timedelta(days=9)
    session = desk.login("frontdesk", tui_clinic.PASSWORD)
    visit = session.book(ids["noor"], ids["slp_service"], ids["huda"], at(day, 9))
    app = make_app(desk)
    async with at_patient(app, "noor", size=size) as pilot:
        await step(pilot, "r")
        assert screen_name(app) == "SlotScreen"
        assert grid(app).days[0] == day
        assert "09:00 now" in texts(app)
        await step(pilot, "enter")
        assert screen_name(app) == "ConfirmScreen"
        move_line = next(line for line in texts(app).splitlines() if "→" in line)
        assert "09:00 →" in move_line
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert any("Moved to" in n for n in notes(app))
    moved = next(a for a in session.appointments_of(ids["noor"]) if a.id == visit.id)
    assert moved.start != at(day, 9)


def highlight(app: Any, selector: str, words: str) -> list[str]:
    """The keys that move the list's highlight to the option holding words."""
    options = app.screen.query_one(selector, OptionList)
    labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    return ["down"] * next(i for i, label in enumerate(labels) if words in label)


@pytest.mark.parametrize("size", SIZES)
async def test_put_a_patient_on_the_waitlist_from_their_screen(
    desk: Desk, clinic: tui_clinic.Seed, size: tuple[int, int]
) -> None:
    ids = clinic.ids
    app = make_app(desk)
    async with at_patient(app, "noor", size=size) as pilot:
        await step(pilot, "w")
        assert screen_name(app) == "WaitlistForm"
        await pilot.press(*highlight(app, "#wait-service", "SLP Session"), "enter")
        await pilot.press(*highlight(app, "#wait-provider", "Huda"), "enter")
        await type_text(pilot, "sun tue")
        await pilot.press("tab")
        await type_text(pilot, "16:00-18:00")
        await step(pilot, "enter")
        assert screen_name(app) == "PatientScreen"
        assert any("waits for SLP Session" in n for n in notes(app))
    [entry] = desk.login("frontdesk", tui_clinic.PASSWORD).waitlist()
    assert (entry.patient_id, entry.service_id, entry.provider_id) == (
        ids["noor"],
        ids["slp_service"],
        ids["huda"],
    )
    assert entry.weekdays == (1, 6) and entry.earliest == time(16) and entry.latest == time(18)
