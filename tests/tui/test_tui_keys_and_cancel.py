"""Keys shown as the keyboard prints them ("[", "Ctrl+Q", "PgUp", "F1") in the help, the footer
and the command palette alike; and the patient screen's cancel, which is the day sheet's and the
board's: it names the visit, then offers whoever waits for the freed time."""

from __future__ import annotations

from typing import Any

from tui_pilot import (
    at_patient,
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

SIZE = (80, 24)
RAW_NAMES = ("_bracket", "ctrl+", "pageup", "pagedown", "escape", "slash")


def footer_keys(app: Any) -> list[str]:
    """The keys the footer shows for the current screen (it asks App.get_key_display)."""
    return [app.get_key_display(b) for (_, b, _, _) in app.screen.active_bindings.values()]


def palette_keys(app: Any) -> list[str]:
    return [str(c.help) for c in app.get_system_commands(app.screen)]


async def test_help_footer_and_palette_show_the_keys_as_printed(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_text(pilot, "Zzyzx")
        assert "Enter (or Ctrl+N) registers" in texts(app)
        await step(pilot, "f3")
        assert screen_name(app) == "DaySheetScreen"
        assert {"←/[", "→/]", "Ctrl+Q", "F1", "Esc"} <= set(footer_keys(app))
        assert any(k.startswith("←/[  ·  day.prev_day") for k in palette_keys(app))
        await step(pilot, "f1")
        assert screen_name(app) == "HelpScreen"
        shown = texts(app)
        for row in (
            "Day sheet | ←/[ | Prev day",
            "Day sheet | →/] | Next day",
            "Board | [ | Prev day",
            "Board | ] | Next day",
            "Confirmation calls | [ | Prev day",
            "Everywhere | F1 | Keys",
            "Everywhere | Ctrl+Q | Quit",
            "Slots | PgUp | Week back",
            "Patient search | / | Find",
            "Patient | Esc | Back",
            "Ctrl+P finds any action by name",
        ):
            assert row in shown
        for raw in RAW_NAMES:
            assert raw not in shown, raw
        await step(pilot, "escape", "f5")
        assert screen_name(app) == "BoardScreen"
        keys = footer_keys(app)
        assert {"[", "]"} <= set(keys)
        assert not [k for k in keys if any(raw in k for raw in RAW_NAMES)]


async def test_a_moved_key_is_shown_moved_everywhere(desk: Desk, monkeypatch: Any) -> None:
    monkeypatch.setenv("DESKBOOK_KEYMAP", "patient.book=ctrl+b")
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        assert "Ctrl+B" in footer_keys(app)
        assert any(k.startswith("Ctrl+B  ·  patient.book") for k in palette_keys(app))
        await step(pilot, "f1")
        assert "Patient | Ctrl+B | Book" in texts(app)


async def test_cancel_on_the_patient_screen_offers_the_waitlist_and_books_in_two_keys(
    desk: Desk, clinic: tui_clinic.Seed
) -> None:
    ids = clinic.ids
    session = desk.login("frontdesk", tui_clinic.PASSWORD)
    freed = tomorrow_at(12)
    visit = session.book(ids["rana"], ids["slp_service"], ids["huda"], freed)
    session.waitlist_add(ids["noor"], ids["slp_service"], clinic_id=ids["slp"])
    app = make_app(desk)
    async with at_patient(app, "rana") as pilot:
        await step(pilot, "x")
        assert screen_name(app) == "ReasonScreen"
        asked = texts(app)
        assert "Patient   Rana Khalil" in asked and "Service   SLP Session" in asked
        await step(pilot, "enter")
        assert screen_name(app) == "WaitlistOffer"
        assert "Noor Haddad" in texts(app)
        await step(pilot, "enter")  # pick the one waiting
        await step(pilot, "enter")  # book her there
        assert screen_name(app) == "PatientScreen"
        assert any("Noor Haddad from the waitlist" in n for n in notes(app))
        assert "Appointment cancelled." in notes(app)
        assert "booked" not in texts(app)  # the screen reloaded: Rana has nothing upcoming
    after = desk.login("frontdesk", tui_clinic.PASSWORD)
    (cancelled,) = after.appointments_of(ids["rana"])
    assert (cancelled.id, cancelled.status) == (visit.id, "CANCELLED")
    (booked,) = after.appointments_of(ids["noor"])
    assert (booked.provider_id, booked.start, booked.status) == (ids["huda"], freed, "BOOKED")
    assert after.waitlist() == []
