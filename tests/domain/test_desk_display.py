"""A login keeps how it wants Arabic painted (the check on the login screen)."""

from __future__ import annotations

import pytest

from deskbook.errors import InvalidInput
from deskbook.testing.small_clinic import World


def test_display_mode_is_kept_for_the_next_sign_in(world: World) -> None:
    desk = world.login()
    assert desk.staff.display_mode is None
    assert desk.set_display_mode("terminal").display_mode == "terminal"
    assert desk.staff.display_mode == "terminal"
    assert world.login().staff.display_mode == "terminal"
    # Per login: another staff member keeps their own.
    assert world.login("provider").staff.display_mode is None
    assert world.login("provider").set_display_mode("APP").display_mode == "app"
    assert world.login().staff.display_mode == "terminal"
    events = [e for e in world.login("admin").audit_log(20) if e.action == "display_mode"]
    assert len(events) == 2


def test_an_unknown_mode_is_refused_and_nothing_is_written(world: World) -> None:
    desk = world.login()
    desk.set_display_mode("app")
    with pytest.raises(InvalidInput, match="one of app, terminal, off"):
        desk.set_display_mode("rtl")
    assert world.login().staff.display_mode == "app"
    events = [e for e in world.login("admin").audit_log(20) if e.action == "display_mode"]
    assert len(events) == 1
