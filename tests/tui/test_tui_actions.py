"""The action registry: one source for bindings, help and palette; keys a terminal keeps."""

from __future__ import annotations

import pytest

from deskbook.tui.actions import ACTIONS, MANGLED_KEYS, check_defaults, parse_keymap
from deskbook.tui.app import DeskApp
from deskbook.tui.screens.audit import AuditScreen
from deskbook.tui.screens.board import BoardScreen
from deskbook.tui.screens.calls import CallsScreen
from deskbook.tui.screens.chooser import PackageChooser
from deskbook.tui.screens.course import CourseForm
from deskbook.tui.screens.course_review import CourseReview
from deskbook.tui.screens.daysheet import DaySheetScreen
from deskbook.tui.screens.duplicates import DuplicatesScreen
from deskbook.tui.screens.edit_patient import EditPatientScreen
from deskbook.tui.screens.expiring import ExpiringScreen
from deskbook.tui.screens.export import ExportScreen
from deskbook.tui.screens.finders import DateScreen, PatientFinder
from deskbook.tui.screens.forms import FormDialog
from deskbook.tui.screens.group import GroupScreen
from deskbook.tui.screens.login import ArabicCheck, LoginScreen
from deskbook.tui.screens.logins import LoginsScreen
from deskbook.tui.screens.patient import PatientScreen
from deskbook.tui.screens.pickers import (
    BookingTypeScreen,
    ConfirmScreen,
    DangerConfirm,
    PickScreen,
    ReasonScreen,
)
from deskbook.tui.screens.register import RegisterScreen
from deskbook.tui.screens.reports import ReportsScreen
from deskbook.tui.screens.search import SearchScreen
from deskbook.tui.screens.slots import SlotScreen
from deskbook.tui.screens.waitlist import WaitlistForm, WaitlistOffer
from deskbook.tui.widgets.slot_grid import SlotGrid

OWNERS = {
    "app": [DeskApp],
    "login": [LoginScreen],
    "check": [ArabicCheck],
    "search": [SearchScreen],
    "register": [RegisterScreen],
    "edit": [EditPatientScreen],
    "dupes": [DuplicatesScreen],
    "patient": [PatientScreen],
    "type": [BookingTypeScreen],
    "chooser": [PackageChooser],
    "pick": [PickScreen],
    "slots": [SlotScreen, SlotGrid],
    "confirm": [ConfirmScreen],
    "group": [GroupScreen],
    "day": [DaySheetScreen],
    "reason": [ReasonScreen],
    "audit": [AuditScreen],
    "course": [CourseForm],
    "review": [CourseReview],
    "form": [FormDialog],
    "danger": [DangerConfirm],
    "expiring": [ExpiringScreen],
    "reports": [ReportsScreen],
    "logins": [LoginsScreen],
    "board": [BoardScreen],
    "date": [DateScreen],
    "finder": [PatientFinder],
    "offer": [WaitlistOffer],
    "waitform": [WaitlistForm],
    "export": [ExportScreen],
    "calls": [CallsScreen],
}


def test_ids_are_unique_and_keys_survive_terminals() -> None:
    ids = [a.id for a in ACTIONS]
    assert len(ids) == len(set(ids))
    assert check_defaults() == []
    for action in ACTIONS:
        for key in action.key.split(","):
            assert key not in MANGLED_KEYS and not key.startswith("alt+"), action.id


def test_every_action_is_bound_with_its_id_and_has_a_method() -> None:
    for action in ACTIONS:
        owners = OWNERS[action.scope]
        bound = [
            b for owner in owners for b in owner.BINDINGS if getattr(b, "id", None) == action.id
        ]
        assert bound, f"{action.id} is not in any BINDINGS of {owners}"
        method = "action_" + action.action.split("(", 1)[0]
        assert any(hasattr(owner, method) for owner in owners), f"{action.id}: no {method}"


@pytest.mark.parametrize(
    ("text", "keymap", "refused"),
    [
        ("patient.book=f5", {"patient.book": "f5"}, []),
        (
            "patient.book=f5; search.new_patient=ctrl+n",
            {"patient.book": "f5", "search.new_patient": "ctrl+n"},
            [],
        ),
        ("patient.book=ctrl+m", {}, ["patient.book=ctrl+m"]),
        ("patient.book=alt+b", {}, ["patient.book=alt+b"]),
        ("no.such=f5", {}, ["no.such=f5"]),
        ("garbage", {}, ["garbage"]),
    ],
)
def test_keymap_parsing(text: str, keymap: dict[str, str], refused: list[str]) -> None:
    assert parse_keymap(text) == (keymap, refused)
