"""The board asked for a window of its providers (issue 13): a clinic wider than a screen is
built a few columns at a time, the rows and the counts staying the whole clinic's."""

from __future__ import annotations

import pytest

from deskbook.errors import InvalidInput
from deskbook.testing.clock import at, future_day
from deskbook.testing.small_clinic import World


def test_a_window_of_providers_is_the_same_columns_on_the_same_rows(world: World) -> None:
    d = world.login()
    day = future_day(4)
    early = d.book(world.patient(), world.slp, world.amal, at(day, 9))
    late = d.book(world.patient(), world.slp, world.badr, at(day, 11))
    whole = d.board(day, world.slp_clinic)
    assert (whole.first, whole.provider_count, whole.visit_count) == (0, 2, 2)

    amal_only = d.board(day, world.slp_clinic, first=0, limit=1)
    badr_only = d.board(day, world.slp_clinic, first=1, limit=1)
    assert [c.provider_name_en for c in amal_only.columns] == ["Amal"]
    assert [c.provider_name_en for c in badr_only.columns] == ["Badr"]
    for part in (amal_only, badr_only):
        assert part.times == whole.times and part.step_minutes == whole.step_minutes
        assert (part.provider_count, part.visit_count) == (2, 2)
    assert (amal_only.first, badr_only.first) == (0, 1)
    assert amal_only.columns[0] == whole.columns[0]
    assert badr_only.columns[0] == whole.columns[1]
    row = {t: n for n, t in enumerate(whole.times)}
    shown = badr_only.columns[0].cells[row[at(day, 11)]].visit
    assert shown is not None and shown.id == late.id
    assert all(c.visit is None or c.visit.id != early.id for c in badr_only.columns[0].cells)

    past = d.board(day, world.slp_clinic, first=5, limit=3)
    assert (past.columns, past.first, past.provider_count) == ((), 2, 2)
    assert past.times == whole.times


def test_a_window_that_cannot_be_is_refused(world: World) -> None:
    d = world.login()
    day = future_day(4)
    with pytest.raises(InvalidInput):
        d.board(day, world.slp_clinic, first=-1, limit=2)
    with pytest.raises(InvalidInput):
        d.board(day, world.slp_clinic, limit=0)
